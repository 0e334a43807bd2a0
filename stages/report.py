"""Stage report: reports/README.md, one page with every model beside its baselines, its
figures and samples.

Reads only what the other stages wrote (metrics/, plots/, reports/figures/, reports/samples/,
runs/, data/*/meta.json, data/text/vocab.json) and the few params that name the models, so it
needs no TensorFlow and takes a moment.
"""
import csv
import os

from rnnlab import forecast, params, series, vocab
from rnnlab.errors import run
from rnnlab.ngram import CEILING, NGRAM, UNIGRAM
from rnnlab.outputs import all_or_nothing, read_json, reading
from rnnlab.variants import VARIANTS

STAGE = "report"
OUT = "reports/README.md"
PART_NAMES = {"train": "training windows, next value", "val": "validation part, next value",
              "test": "test part, next value", "forecast": "test part, forecast fed back"}
COLUMNS = {"mse": "mse", "rmse": "rmse", "mae": "mae", "mape": "mape %", "theil_u": "Theil's U",
           "direction": "direction", "dm_pvalue": "DM p"}
"""The metrics of metrics/<series>.json the tables show, and their headers."""


def table(rows, columns):
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(str(c) for c in row) + " |\n" for row in rows)


def fmt(value):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) >= 1e-4 or value == 0 else f"{value:.1e}"
    return str(value)


def run_line(path):
    info = read_json(path)
    with reading(path):
        return f"MLflow run `{info['run_id']}` ({info['experiment_name']} / {info['run_name']}).\n"


def rows_of(path):
    with reading(path), open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def score_tables(metrics, labels):
    """One table per part: a row per predictor, a column per metric (lower is better but for
    direction, scored on the steps that moved; DM p: Diebold-Mariano p-value against
    persistence)."""
    parts = []
    for part, title in PART_NAMES.items():
        if part not in metrics:
            continue
        scores = metrics[part]
        keys = [k for k in COLUMNS if k in scores]
        names = [n for n in forecast.NAMES if n in scores["rmse"]]
        rows = [[labels[n]] + [fmt(scores[k].get(n)) for k in keys] for n in names]
        shares = (f" (of the steps that moved, {scores['up_share']:.3f} went up; "
                  f"{scores['flat_share']:.3f} did not move)" if "up_share" in scores else "")
        parts += [f"**{title}**{shares}\n",
                  table(rows, ["predictor"] + [COLUMNS[k] for k in keys])]
    return parts


def sine_section(p):
    metrics = read_json(series.SERIES["sine"].metrics)
    labels = forecast.labels(p["sine_train"]["layer"], p["sine_train"]["units"],
                             p["sine_data"]["window"])
    held = len(rows_of(series.SERIES["sine"].forecast_plot))
    parts = [f"## Example 1: a {labels['model']} predicts the next sample of a sine wave\n",
             f"Trained on the lecture's series; the samples after it are the test part, never "
             f"trained on (the first {held} are also forecast with the predictions fed back). "
             f"Beside the {labels['model']}: the same network untrained, persistence (the last "
             f"value), drift and {labels['ar']} fitted by least squares on the training windows "
             "(exact for a clean sine). Theil's U is the rmse over persistence's; direction, how "
             "often the sign of the predicted change is right.\n",
             *score_tables(metrics, labels)]
    repeats = metrics["test"]["repeats_training"]
    if repeats:
        parts.append(f"{repeats:.0%} of the test windows (inputs and target) also occur in the "
                     "training series: a clean periodic wave repeats itself, so the one-step "
                     "test score says little about generalisation; the forecast, fed its own "
                     "predictions, does. With `sine_data.noise` > 0 every window is new.\n")
    parts += ["![sine: predictions before and after training, loss, forecast](figures/sine.png)\n",
              run_line(series.SERIES["sine"].run)]
    return parts


def stock_section(p):
    stock = series.SERIES["stock"]
    metrics, meta = read_json(stock.metrics), series.load_meta(stock)
    d, tp = p["stock_data"], p["stock_train"]
    labels = forecast.labels(tp["layer"], tp["units"], d["window"])
    test = rows_of(stock.test_plot)
    target = meta["columns"][0]
    inputs = f" and {', '.join(meta['columns'][1:])}" if len(meta["columns"]) > 1 else ""
    kind = {"price": "the next price, min-max scaled on the training part (as the tutorials do)",
            "log_return": "the next log return, turned back into a price",
            "value": "the next value, unscaled"}[tp["target"]]
    u = metrics["test"].get("theil_u", {}).get("model")
    stopping = ("; early stopping on the val part" if tp["patience"] and d["val"] else "")
    parts = ["## Example 4: a recurrent network on daily stock prices, against a random walk\n",
             f"`{meta['source']}`, column {target}{inputs}; windows of {d['window']} days; parts in "
             f"time: train, val {d['val']:.0%}, test {d['test']:.0%} (never shuffled across). The "
             f"{labels['model']} predicts {kind}{stopping}. Beside it: "
             "persistence (tomorrow = today: the random walk), drift (persistence plus the training "
             f"part's mean daily change) and {labels['ar']}, a least-squares autoregression on "
             f"the same window. Prices in {target}'s units.\n",
             f"**Verdict**: on the test part ({test[0]['time']} to {test[-1]['time']}, {len(test)} "
             f"days) the {labels['model']} {forecast.verdict(metrics['test'])}"
             + (f"; Theil's U {u:.3f}" if u is not None else "") + ".\n"]
    train_max = series.load_parts(stock, ("train",))["train"]["values"][:, 0].max()
    test_max = max(float(r["target"]) for r in test)
    if tp["target"] == "price" and test_max > train_max:
        parts.append(f"The test prices reach {test_max:.2f}, above anything in the training part "
                     f"(at most {train_max:.2f}): scaled to the training range, they lie outside "
                     "what the network ever saw, and it has to extrapolate. A network that only "
                     "learnt 'tomorrow is about today' looks perfect on a long chart and is still "
                     "a day late: compare the zoom and the daily-change scatter in the figure "
                     "(`stock_train.target: log_return` predicts changes instead).\n")
    parts += [*score_tables(metrics, labels),
              "![stock: the parts, the test part with the network and persistence, a zoom, "
              "predicted vs actual daily change, the fed-back forecast, loss](figures/stock.png)\n",
              run_line(stock.run)]
    return parts


def text_section():
    _, meta = vocab.load(vocab.VOCAB)
    split = vocab.scored_split(meta)
    sizes, window = meta["split"], meta["window"]
    where = (f"the last {sizes['val']} characters, held out (after a gap of {sizes['gap']}; "
             f"{sizes['train']} train)" if split == "val" else
             f"the training text, all {sizes['train']} characters (text_encode.val is 0, "
             "as in the lecture)")
    scored = {name: read_json(v.metrics)[split] for name, v in VARIANTS.items()}
    ngram = read_json(NGRAM)
    scored[f"{ngram['order']}-character n-gram baseline"] = ngram[split]
    scored["unigram baseline"] = read_json(UNIGRAM)[split]
    rows = [[name] + [fmt(m[k]) for k in ("loss", "accuracy", "bits_per_char", "perplexity")]
            for name, m in scored.items()]
    ceiling = read_json(CEILING)[split]
    rows.append([f"ceiling of a {window}-character window (oracle)", "–", fmt(ceiling["accuracy"]),
                 "–", "–"])
    parts = [f"## Examples 2 and 3: character LSTMs on `{meta['corpus']}`\n",
             f"{meta['characters']} characters, a vocabulary of {len(meta['chars'])}, windows of "
             f"{window}. Scored on {where}: the character after each full window, "
             f"{scored['many_to_one']['windows']} windows. Loss in nats; bits per character and "
             "perplexity: lower is better. The n-gram baseline predicts from the previous "
             "`text_baselines.ngram_order` characters, counted in the training text. "
             "The ceiling is "
             "an oracle's: the best accuracy any function of the window fitted to the scored "
             f"text itself could reach; {ceiling['determined']:.1%} of its windows are always "
             "followed by the same character (on little or rare text that is most of them, and "
             "the ceiling nears 1).\n",
             table(rows, ["predictor", "loss", "accuracy", "bits/char", "perplexity"])]
    for name, v in VARIANTS.items():
        with reading(v.samples), open(v.samples, encoding="utf-8") as f:
            samples = f.read().rstrip("\n")
        parts += [f"\n### {name}\n",
                  f"![{name}: loss and accuracy per epoch]({os.path.relpath(v.figure, 'reports')})\n",
                  "Samples (prompt -> prompt + generated), at each temperature:\n",
                  f"```\n{samples}\n```\n",
                  run_line(v.run)]
    return parts


def render(p):
    parts = ["# RNN lab: results\n",
             "Written by the `report` stage of `dvc repro` from the files the other stages wrote; "
             "do not edit by hand.\n"]
    return "\n".join(parts + sine_section(p) + text_section() + stock_section(p))


def main():
    named = {"layer": params.SERIES_TRAIN["layer"], "units": params.SERIES_TRAIN["units"]}
    p = params.load(STAGE, {"sine_data": {"window": params.WINDOW}, "sine_train": named,
                            "stock_data": params.STOCK_DATA,
                            "stock_train": {**named, "target": params.SERIES_TRAIN["target"],
                                            "patience": params.SERIES_TRAIN["patience"]}})
    page = render(p)
    with all_or_nothing(OUT):
        with open(OUT, "w", encoding="utf-8") as f:
            f.write(page)
    print(f"report: {OUT}")


if __name__ == "__main__":
    run(main)
