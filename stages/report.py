"""Stage report: reports/README.md, one page with every model beside its baselines, its
figures and samples.

Reads only what the other stages wrote (metrics/, plots/, reports/figures/, reports/samples/,
runs/, data/*/meta.json, data/text/vocab.json), the few params that name the models, and the
lecture's numbers (lecture/slide.json: what the slides print; lecture/results.json: what the
lecture's scripts printed when `make lecture` last ran), so it needs no TensorFlow and takes a
moment.
"""
import ast
import csv
import os

from rnnlab import params
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, read_json, reading
from rnnlab.data import adding, series, variants, vocab
from rnnlab.scores import forecast
from rnnlab.scores.ngram import CEILING, NGRAM, UNIGRAM

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


def fmt_lag(lag):
    """A peak lag in days ('+1'), '–' where there is none (a series that never moved)."""
    return "–" if lag is None else f"{lag:+d}"


def fmt(value):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) >= 1e-4 or value == 0 else f"{value:.1e}"
    return str(value)


EXACT = 1e-12
"""An error below this is floating-point noise around 0 (AR(3) on a clean sine: 1e-31)."""
ERRORS = ("mse", "rmse", "mae", "mape", "theil_u")


def fmt_error(value):
    """An error figure; 'exact (~0)' where it is rounding noise, not a measurement."""
    return "exact (~0)" if isinstance(value, float) and 0 <= value < EXACT else fmt(value)


def run_line(path):
    info = read_json(path)
    with reading(path):
        return f"MLflow run `{info['run_id']}` ({info['experiment_name']} / {info['run_name']}).\n"


def rows_of(path):
    with reading(path), open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def horizon_note(horizon, key):
    """What the fed-back forecast's title adds where the test part held fewer steps than
    ``key`` (<data>_evaluate.horizon) asks for: how many were forecast, and why."""
    if horizon["used"] == horizon["asked"]:
        return ""
    return (f" ({horizon['used']} steps: `{key}` asks for {horizon['asked']}, but the test part "
            f"holds only {horizon['test_values']} values)")


def score_tables(metrics, labels, horizon_key):
    """One table per part: a row per predictor, a column per metric (lower is better but for
    direction, scored on the steps that moved; DM p: Diebold-Mariano p-value against
    persistence); the forecast's title says if it has fewer steps than ``horizon_key`` asks."""
    parts = []
    for part, title in PART_NAMES.items():
        if part not in metrics:
            continue
        scores = metrics[part]
        keys = [k for k in COLUMNS if k in scores]
        names = [n for n in forecast.NAMES if n in scores["rmse"]]
        rows = [[labels[n]] + [(fmt_error if k in ERRORS else fmt)(scores[k].get(n)) for k in keys]
                for n in names]
        shares = (f" (of the steps that moved, {scores['up_share']:.3f} went up; "
                  f"{scores['flat_share']:.3f} did not move)" if "up_share" in scores else "")
        if part == "forecast":
            shares = horizon_note(scores["horizon"], horizon_key)
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
             *score_tables(metrics, labels, "sine_evaluate.horizon")]
    repeats = metrics["test"]["repeats_training"]
    if repeats:
        parts.append(f"{repeats:.0%} of the test windows (inputs and target) also occur in the "
                     "training series: a clean periodic wave repeats itself, so the one-step "
                     "test score says little about generalisation; the forecast, fed its own "
                     "predictions, does. With `sine_data.noise` > 0 every window is new.\n")
    parts += ["![sine: predictions before and after training, loss, forecast](figures/sine.png)\n",
              run_line(series.SERIES["sine"].run)]
    return parts


STOCK_MODELS = {"stock": "the lab's", "stock_tutorial": "the tutorials'"}
"""The stock models side by side, in the order the report lists them."""


def stock_section(p):
    lab, tutorial = series.SERIES["stock"], series.SERIES["stock_tutorial"]
    metrics = {name: read_json(series.SERIES[name].metrics) for name in STOCK_MODELS}
    meta = series.load_meta(lab)
    d = p["stock_data"]
    test = rows_of(lab.test_plot)
    target = meta["columns"][0]
    inputs = f" and {', '.join(meta['columns'][1:])}" if len(meta["columns"]) > 1 else ""
    labels = {name: forecast.labels(p[f"{name}_train"]["layer"], p[f"{name}_train"]["units"],
                                    d["window"]) for name in STOCK_MODELS}
    parts = ["## Example 4: two networks on daily stock prices, against a random walk\n",
             f"`{meta['source']}`, column {target}{inputs}; windows of {d['window']} days; parts in "
             f"time: train, val {d['val']:.0%}, test {d['test']:.0%} (never shuffled across)"
             + missing_note(meta) + ". Two networks, the same layer, window, data and early "
             "stopping, differ in what they predict:\n",
             "".join(f"- **{STOCK_MODELS[name]}** (`{name}_train`): {labels[name]['model']}, "
                     f"{series.FORMULATIONS[p[f'{name}_train']['target']]}.\n"
                     for name in STOCK_MODELS),
             "Beside them: persistence (tomorrow = today: the random walk), drift (persistence "
             "plus the training part's mean daily change) and "
             f"{labels['stock']['ar']}, a least-squares autoregression on the same window. On the "
             f"test part ({test[0]['time']} to {test[-1]['time']}, {len(test)} days), one step "
             f"ahead, prices in {target}'s units; bias: the mean error (prediction - actual); "
             "peak lag: the lag k at which the predictions correlate best with the price k "
             "days earlier (+1: yesterday's price, a day late); change r: the correlation of "
             "predicted and actual daily changes.\n",
             side_by_side(metrics, labels)]
    parts += tutorial_note(p, metrics, labels, lab)
    parts += walkforward_section(p, lab, labels["stock"])
    parts += strategy_section(lab)
    parts += [f"**Every score of {STOCK_MODELS['stock']} model** (the tutorials' are in "
              f"`{tutorial.metrics}`):\n",
              *score_tables(metrics["stock"], labels["stock"], "stock_evaluate.horizon"),
              "![the lab's model: the parts, the test part, a zoom, daily changes, lags, the "
              "fed-back forecast, loss, errors](figures/stock.png)\n", run_line(lab.run),
              "![the tutorials' model: the same panels](figures/stock_tutorial.png)\n",
              run_line(tutorial.run)]
    return parts


def missing_note(meta):
    missing = meta.get("missing") or {}
    if not missing.get("rows"):
        return ""
    done = {"drop": "dropped", "ffill": "filled from the day before"}[missing["rule"]]
    return f"; {missing['rows']} rows with empty cells {done} (`stock_data.missing`)"


def side_by_side(metrics, labels):
    """The test part's table: both networks, then the baselines, each with its verdict."""
    rows = []
    for name, who in [("stock", "model"), ("stock_tutorial", "model"), ("stock", "persistence"),
                      ("stock", "drift"), ("stock", "ar")]:
        m = metrics[name]["test"]
        label = f"{labels[name][who]}, {STOCK_MODELS[name]}" if who == "model" else labels[name][who]
        verdict = ("the random walk itself" if who == "persistence"
                   else forecast.verdict(m, who))
        rows.append([label, fmt_error(m["rmse"][who]), fmt(m["theil_u"][who]),
                     f"{m['bias'][who]:+.3f}", fmt(m.get("dm_pvalue", {}).get(who)),
                     fmt(m.get("direction", {}).get(who)),
                     f"{m['peak_lag'][who]:+d}" if who in m.get("peak_lag", {}) else "–",
                     fmt(m.get("change_corr", {}).get(who)), verdict])
    return table(rows, ["predictor", "rmse", "Theil's U", "bias", "DM p", "direction",
                        "peak lag", "change r", "verdict"])


def tutorial_note(p, metrics, labels, lab):
    """Why the tutorials' model loses by so much, in numbers, when its prices are min-max
    scaled and the test part's lie above the training part's."""
    tp = p["stock_tutorial_train"]
    above = series.above_training(series.load_parts(lab, ("train", "test")))
    m, pm = metrics["stock_tutorial"]["test"], metrics["stock"]["test"]
    lines = []
    if tp["target"] == "price" and above is not None:
        train_max, test_max = above
        lines.append(
            f"**Why the tutorials' model loses by so much**: the test prices reach {test_max:.2f}, "
            f"above anything in the training part (at most {train_max:.2f}); scaled to the "
            "training range they lie outside what the network ever saw, and it extrapolates "
            f"low: its predictions sit {abs(m['bias']['model']):.2f} below the price on average "
            f"(persistence: {m['bias']['persistence']:+.3f}). That is its scaler's failure, not "
            f"the lesson. {STOCK_MODELS['stock'].capitalize()} model predicts the next day's "
            f"return instead, which has no level to leave behind (bias {pm['bias']['model']:+.3f}): "
            "it loses to the random walk for the lesson's reason, that yesterday's price is "
            "about all a window of past prices tells.\n")
    lines.append("**A lagged copy**: a network that learnt 'tomorrow is about today' tracks the "
                 "price on a long chart and is a day late. "
                 + "; ".join(f"{STOCK_MODELS[n].capitalize()} model peaks at "
                             f"{fmt_lag(metrics[n]['test'].get('peak_lag', {}).get('model'))} "
                             f"day(s), change r "
                             f"{fmt(metrics[n]['test'].get('change_corr', {}).get('model'))}"
                             for n in STOCK_MODELS)
                 + " (a perfect forecaster peaks at 0 with change r 1; persistence at +1).\n")
    return lines


def walkforward_section(p, lab, labels):
    wf = read_json(lab.walkforward_metrics)
    rows = rows_of(lab.walkforward_plot)
    wp = p["stock_walkforward"]
    names = ["model", "drift", "ar"]

    def cells(scores):  # no Theil's U where persistence makes no error: '–'
        return [*[fmt(scores.get("theil_u", {}).get(n)) for n in names],
                fmt(scores.get("dm_pvalue", {}).get("model"))]

    body = [[f"{r['fold']}: {r['start']} .. {r['stop']}", str(wf[f"fold_{r['fold']}"]["windows"]),
             *cells(wf[f"fold_{r['fold']}"])] for r in rows]
    pooled = wf["pooled"]
    body.append(["**pooled**", str(pooled["windows"]), *cells(pooled)])
    folds = wf["folds"]
    count = f"{folds['used']} fold{'s' * (folds['used'] != 1)}"
    if folds["used"] < folds["asked"]:
        count += (f" (`stock_walkforward.folds` asks for {folds['asked']}, but the test part's "
                  f"{folds['test_windows']} windows hold only {folds['used']} of at least "
                  f"{folds['min_fold_windows']})")
    flat = [r["fold"] for r in rows if "theil_u" not in wf[f"fold_{r['fold']}"]]
    never = (f" In fold{'s' * (len(flat) != 1)} {', '.join(flat)} the price never moves: "
             "persistence makes no error there, so no Theil's U (–)." if flat else "")
    return ["### Walk-forward: the lab's model at several origins\n",
            f"One test split is one sample. The test part's end in {count} "
            "(scikit-learn's TimeSeriesSplit, an expanding window); at each fold's origin the "
            f"model continues training for {wp['epochs']} epoch(s) on every window before it, and "
            "the baselines are refitted on the same windows. Theil's U per fold (below 1 beats "
            f"the random walk); DM p: Diebold-Mariano against persistence.{never} Pooled, the "
            f"{labels['model']} {forecast.verdict(pooled)}.\n",
            table(body, ["fold", "days", f"U {labels['model']}", "U drift", f"U {labels['ar']}",
                         "DM p"]),
            "![walk-forward: Theil's U per fold](figures/stock_walkforward.png)\n"]


def strategy_section(lab):
    r = read_json(lab.strategy_metrics)
    d = r["direction"]
    rows = [[name, f"{m['cumulative_return']:+.1%}", f"{m['annual_volatility']:.1%}",
             f"{m['sharpe']:.2f}", f"{m['max_drawdown']:.1%}", str(m["trades"])]
            for name, m in ((f"long/flat, {r['cost_bps']:g} bp per trade", r["strategy"]),
                            ("long/flat, before costs", r["strategy_before_costs"]),
                            ("buy and hold", r["buy_and_hold"]))]
    return ["### Could one trade on it?\n",
            "Not financial advice: a classroom backtest, with no slippage, taxes or dividends. "
            "A long/flat rule on the lab's model's calls: long the next day when it predicts a "
            "rise, else out of the market. Its calls were right on "
            f"{d['accuracy']:.1%} of the {d['n']} days that moved (binomial test: p "
            f"{pvalue(d['p_vs_half'])} against a coin, p {pvalue(d['p_vs_up_share'])} "
            f"against always guessing the more common move, right {d['best_constant']:.1%} of "
            f"the time). The rule {trading_verdict(r)}.\n",
            table(rows, ["on the test part", "return", "volatility (a year)", "Sharpe",
                         "max drawdown", "trades"]),
            "![equity curves of the rule and of buy-and-hold](figures/stock_strategy.png)\n"]


def pvalue(p):
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def trading_verdict(report):
    from rnnlab.scores import trading

    return trading.verdict(report).split(" (directional accuracy")[0]


def text_section(defined):
    _, meta = vocab.load(vocab.VOCAB)
    split = vocab.scored_split(meta)
    sizes, window = meta["split"], meta["window"]
    where = (f"the last {sizes['val']} characters, held out (after a gap of {sizes['gap']}; "
             f"{sizes['train']} train)" if split == "val" else
             f"the training text, all {sizes['train']} characters (text_encode.val is 0, "
             "as in the lecture)")
    scored = {name: read_json(v.metrics)[split] for name, v in defined.items()}
    windows = next(iter(scored.values()))["windows"]
    ngram = read_json(NGRAM)
    scored[f"{ngram['order']}-character n-gram baseline"] = ngram[split]
    scored["unigram baseline"] = read_json(UNIGRAM)[split]
    columns = ("loss", "accuracy", "bits_per_char", "perplexity")
    rows = []
    for name, m in scored.items():
        rows.append([name] + [fmt(m[k]) for k in columns])
        if "sequence_accuracy" in m:  # a many-to-many model, also scored at every position
            rows.append([f"{name}, every position of the window"]
                        + [fmt(m[f"sequence_{k}"]) for k in columns])
    ceiling = read_json(CEILING)[split]
    rows.append([f"ceiling of a {window}-character window (oracle)", "–", fmt(ceiling["accuracy"]),
                 "–", "–"])
    parts = [f"## Examples 2 and 3: character LSTMs on `{meta['corpus']}`\n",
             f"{meta['characters']} characters, a vocabulary of {len(meta['chars'])}, windows of "
             f"{window}. Scored on {where}: the character after each full window, "
             f"{windows} windows (a many-to-many model also at every "
             "position of the window, its training objective: the early positions see little "
             "context, so that accuracy, the one its training curve shows, is lower). "
             "Loss in nats; bits per character and "
             "perplexity: lower is better. The n-gram baseline predicts from the previous "
             f"{ngram['order']} characters (`text_baselines.ngram_order`"
             + (f" asks for {ngram['order_asked']}, more than the window of {window}: a baseline "
                "sees no more than the models" if ngram["order"] < ngram["order_asked"] else "")
             + "), counted in the training text. "
             "The ceiling is "
             "an oracle's: the best accuracy any function of the window fitted to the scored "
             f"text itself could reach; {ceiling['determined']:.1%} of its windows are always "
             "followed by the same character (on little or rare text that is most of them, and "
             "the ceiling nears 1).\n",
             table(rows, ["predictor", "loss", "accuracy", "bits/char", "perplexity"])]
    for name, v in defined.items():
        with reading(v.samples), open(v.samples, encoding="utf-8") as f:
            samples = f.read().rstrip("\n")
        parts += [f"\n### {name}\n",
                  f"![{name}: loss and accuracy per epoch]({os.path.relpath(v.figure, 'reports')})\n",
                  "Samples (prompt -> prompt + generated), at each temperature:\n",
                  f"```\n{samples}\n```\n",
                  run_line(v.run)]
    return parts


def gradient_sequences(p):
    """The test sequences the gradient norms are averaged over: adding_train.gradient_sequences,
    or the whole test set where adding_data.test_size is smaller (as stages/adding_train.py
    does), and why."""
    asked, size = p["adding_train"]["gradient_sequences"], p["adding_data"]["test_size"]
    if asked <= size:
        return f"the first {asked} test sequences"
    return (f"all {size} test sequences (`adding_train.gradient_sequences` asks for {asked}, "
            "more than the test set)")


def adding_section(p):
    """Example 5: the table cell x length of test mse beside the baseline, the gradient figure
    and what they say, in the lecture's terms."""
    metrics = read_json(adding.METRICS)
    lengths, cells = p["adding_data"]["lengths"], p["adding_train"]["cells"]
    a = p["adding_train"]
    names = forecast.LAYER_LABELS
    longest, shortest = max(lengths), min(lengths)
    rows = []
    for cell in cells:
        row = [f"{names[cell]}({a['units']})"]
        for length in lengths:
            m = metrics[f"T{length}"][cell]
            row.append(f"{m['mse']:.4f} ({m['baseline_ratio']:.2f}x), {m['epochs']} epochs")
        m = metrics[f"T{longest}"][cell]
        row.append(f"{m['gradient_ratio_untrained']:.1e} -> {m['gradient_ratio']:.1e}")
        rows.append(row)
    rows.append(["predict the mean (baseline)"]
                + [f"{metrics[f'T{t}']['baseline']['mse']:.4f} (1/6 = {adding.BASELINE_MSE:.4f})"
                   for t in lengths] + ["–"])
    header = (["cell"] + [f"T = {t}: test mse (x baseline), epochs" for t in lengths]
              + [f"g(1)/g({longest - 1}) at T = {longest}: untrained -> trained"])

    def ratio(cell, length):
        return metrics[f"T{length}"][cell]["baseline_ratio"]

    failed = [names[c] for c in cells if ratio(c, longest) > 0.9]
    learned = [names[c] for c in cells if ratio(c, longest) < 0.1]
    said = []
    if failed or learned:
        said.append(f"At T = {longest}, " + "; ".join(filter(None, [
            f"{' and '.join(failed)} ended at the baseline ("
            + ", ".join(f"{ratio(c, longest):.2f}x" for c in cells if names[c] in failed)
            + "): it learned nothing of the first marked value" if failed else "",
            f"{' and '.join(learned)} learned the sum (mse "
            + ", ".join(f"{metrics[f'T{longest}'][c]['mse']:.4f}" for c in cells
                        if names[c] in learned) + ")" if learned else ""])) + ".")
    if shortest != longest and all(ratio(c, shortest) < 0.1 for c in cells):
        said.append(f"At T = {shortest} all {len(cells)} learn it: the task is not too hard for a "
                    "SimpleRNN, the distance is.")
    elif shortest == longest:
        said.append("Add a short length to see that the distance is what breaks the SimpleRNN: "
                    "with `dvc exp run -S 'adding_data.lengths=[10,100]'` all three learn T = 10 "
                    "([docs/why-lstm.md](../docs/why-lstm.md)).")
    if "simple_rnn" in cells:
        g = metrics[f"T{longest}"]["simple_rnn"]["gradient_ratio"]
        said.append(
            "The reason is the lecture's equation s_t = tanh(U x_t + W s_{t-1}): the gradient "
            "reaching an input k steps before the output is multiplied k times by "
            "W^T diag(1 - s_t^2), so it shrinks geometrically; after training the SimpleRNN's "
            f"gradient at the first input is {g:.0e} times weaker than at the last but one "
            "(in float32 it underflows: the dotted floor in the figure, so that ratio is a "
            "lower bound) and no update can tie the output to it.")
    gated = [c for c in ("lstm", "gru") if c in cells]
    if gated:
        said.append(
            "The LSTM's cell state adds instead (c_t = f * c_{t-1} + i * g, rnnlab/forward/inference.py: "
            "lstm_step), and its forget gate near 1 lets the gradient through: after training "
            + ", ".join(f"{names[c]}'s g(1)/g({longest - 1}) is "
                        f"{metrics[f'T{longest}'][c]['gradient_ratio']:.2f}" for c in gated)
            + ". Untrained, every cell's gradient decays with distance; the gap opens with training.")
    return ["## Example 5: why the LSTM, the lecture's \"problem with RNNs\" measured\n",
            "The adding problem: each sequence of T steps holds a random value and a marker per "
            "step, and the target is the sum of the two marked values, one in each half of the "
            "sequence. Predicting the mean (1.0) scores an mse of 1/6: that is all a network can "
            "do that cannot carry the first marked value to the output. Every cell gets the same "
            f"budget: {a['units']} units, {a['optimizer']} with learning rate "
            f"{a['learning_rate']}, gradients clipped to norm {a['clipnorm']}, batches of "
            f"{a['batch_size']}, at most {a['epochs']} epochs, stopped once the training mse is "
            f"below {a['stop_below']}; {p['adding_data']['train_size']} training and "
            f"{p['adding_data']['test_size']} test sequences per length. g(k): the mean norm of "
            f"d(loss)/d(x) at the input k steps before the output, over {gradient_sequences(p)}."
            "\n",
            table(rows, header),
            " ".join(said) + "\n",
            "![adding problem: test mse per cell and length beside the baseline; gradient norm by "
            "distance from the output, untrained and trained](figures/adding.png)\n",
            "MLflow: experiment `adding-problem`, a run per cell and length (tags `lab.cell`, "
            "`lab.length`); [docs/why-lstm.md](../docs/why-lstm.md) has the lesson, what was "
            "tried, and the three cells on the rhyme.\n"]


SLIDE, LECTURE = "lecture/slide.json", "lecture/results.json"


def last_rows(path, n):
    return rows_of(path)[-n:]


def greedy_samples(path):
    """{prompt: text} of the greedy block (T=0) of a text_generate samples file."""
    found, greedy = {}, False
    with reading(path), open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("T="):
                greedy = line.startswith("T=0 ")
            elif greedy and " -> " in line:
                prompt, text = line.strip().split(" -> ", 1)
                found[ast.literal_eval(prompt)] = ast.literal_eval(text)
    return found


def lstm_weights(units, inputs):
    """Weights of an LSTM layer: four gates, each a (inputs + units + 1) x units matrix (the
    slide's own comment on its summary: 33000 = 75 x 440, 440 = 4 x (34 + 75 + 1))."""
    return 4 * units * (inputs + units + 1)


def lecture_section(p, defined):
    """The slide's printed numbers, the lecture's scripts run here, and the lab's: the sine,
    and the first many-to-one text model (the lecture's, named many_to_one by default)."""
    slide, script = read_json(SLIDE), read_json(LECTURE)
    sine = series.SERIES["sine"]
    sine_metrics = read_json(sine.metrics)["train"]["mse"]
    sine_windows = len(rows_of(sine.train_plot))
    window = p["sine_data"]["window"]
    rows = [
        ["sine: windows X, targets Y", "X (17, 3, 1), Y (17, 1)",
         f"X {tuple(script['sine']['X_shape'])}, Y {tuple(script['sine']['Y_shape'])}",
         f"X ({sine_windows}, {window}, 1), Y ({sine_windows}, 1)", "the same 20 samples"],
        ["sine: mse before training", "–", fmt(script["sine"]["mse_before"]),
         fmt(sine_metrics["untrained"]), "the same seed gives the same initial weights"],
        ["sine: mse after 100 epochs", "–", fmt(script["sine"]["mse_after"]),
         fmt(sine_metrics["model"]), "the same model, optimiser and seed"],
    ]
    lecture_kind = [(name, v) for name, v in defined.items()
                    if p["text_train"][name]["kind"] == "many_to_one"]
    if lecture_kind:
        name, text = lecture_kind[0]
        voc, meta = vocab.load(vocab.VOCAB)
        units = p["text_train"][name]["units"]
        windows = meta["split"]["train"] - meta["window"]
        lab_weights = lstm_weights(units, len(voc)) + (units + 1) * len(voc)
        history = last_rows(text.history, 3)
        samples = greedy_samples(text.samples)
        ours = script["sixpence"]
        rows += [
            ["sixpence: characters, vocabulary", f"–, {slide['sixpence']['vocab_size']}",
             f"{ours['characters']}, {ours['vocab_size']}", f"{meta['characters']}, {len(voc)}",
             "the rhyme as the slide prints it"],
            ["sixpence: windows of 10 (+1)", str(slide["sixpence"]["windows"]),
             str(ours["windows"]), str(windows),
             "the slide's text file had 3 more characters than its printed rhyme "
             "([docs/lecture.md](../docs/lecture.md))"],
            ["sixpence: weights (LSTM + Dense)", f"{slide['sixpence']['params_total']:,}",
             f"{ours['params_total']:,}", f"{lab_weights:,}",
             "the same layers; the lab one-hot encodes inside the model (a frozen layer)"],
        ]
        for i, epoch in enumerate(slide["sixpence"]["last_epochs"]):
            lab = next((r for r in history if int(r["epoch"]) == epoch), None)
            rows.append([f"sixpence: loss, accuracy at epoch {epoch}",
                         f"{slide['sixpence']['loss_last_epochs'][i]:.4f}, "
                         f"{slide['sixpence']['accuracy_last_epochs'][i]:.4f}",
                         f"{ours['loss_last_epochs'][i]:.4f}, {ours['accuracy_last_epochs'][i]:.4f}",
                         f"{float(lab['loss']):.4f}, {float(lab['accuracy']):.4f}" if lab else "–",
                         "one training run each: other initial weights and batch order "
                         "(the slide's is unseeded, on Keras 2)" if i == 0 else "as above"])
        for prompt, printed in zip(slide["sixpence"]["prompts"], slide["sixpence"]["generated"]):
            ran = dict(zip(ours["prompts"], ours["generated"])).get(prompt)
            lab = samples.get(prompt)
            why = ("the rhyme's start: every model has learnt it" if prompt == "Sing a son" else
                   "' counting ' is followed by 'house' once and by 'out' once: a guess"
                   if prompt == "king was i" else "not in the rhyme: each model guesses its own way")
            rows.append([f"sixpence: {prompt!r} + 20 greedy characters", f"`{printed}`",
                         f"`{ran}`" if ran else "–", f"`{lab}`" if lab else "–", why])
    return ["## The lecture beside the lab\n",
            "What the slides print, what the lecture's scripts (`lecture/`, Keras 3, `make "
            f"lecture`) printed on this machine ({script['machine']['cpus']} CPUs, Keras "
            f"{script['machine']['keras']}), and the lab's defaults. "
            "[docs/lecture.md](../docs/lecture.md) maps every step of the slides to the lab.\n",
            table(rows, ["", "slide", "lecture script, here", "lab", "why they differ"])]


def render(p, defined):
    parts = ["# RNN lab: results\n",
             "Written by the `report` stage of `dvc repro` from the files the other stages wrote; "
             "do not edit by hand.\n"]
    return "\n".join(parts + lecture_section(p, defined) + sine_section(p)
                     + text_section(defined) + stock_section(p) + adding_section(p))


def main():
    stock_keys = [f"{name}_train.{k}" for name in STOCK_MODELS for k in ("layer", "units", "target")]
    found = params.load(STAGE, "sine_data.window", "sine_train.layer", "sine_train.units",
                        "stock_data", *stock_keys, "stock_walkforward", "text_train",
                        "adding_data", "adding_train")
    p = {"sine_data": {"window": found["sine_data.window"]},
         "sine_train": {k: found[f"sine_train.{k}"] for k in ("layer", "units")},
         **{f"{name}_train": {k: found[f"{name}_train.{k}"] for k in ("layer", "units", "target")}
            for name in STOCK_MODELS},
         **{key: found[key] for key in ("stock_data", "stock_walkforward", "text_train",
                                        "adding_data", "adding_train")}}
    defined = variants.defined(params.variants())
    page = render(p, defined)
    with all_or_nothing(OUT):
        with open(OUT, "w", encoding="utf-8") as f:
            f.write(page)
    print(f"report: {OUT}")


if __name__ == "__main__":
    run(main)
