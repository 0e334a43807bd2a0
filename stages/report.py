"""Stage report: reports/README.md, one page with every model beside its baselines, its
figures and samples.

Reads only what the other stages wrote (metrics/, plots/, reports/figures/, reports/samples/,
runs/, data/text/vocab.json), so it needs no TensorFlow and takes a moment.
"""
import os

from stages import vocab
from stages.errors import run
from stages.figures import read_history
from stages.forecast import LABELS
from stages.outputs import all_or_nothing, read_json
from stages.text_baselines import CEILING, NGRAM, UNIGRAM
from stages.variants import VARIANTS

OUT = "reports/README.md"
SINE_PARTS = {"train": "training windows, next sample",
              "held_out": "held-out future, next sample",
              "forecast": "held-out future, forecast fed back"}


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
    return f"MLflow run `{info['run_id']}` ({info['experiment_name']} / {info['run_name']}).\n"


def sine_section():
    metrics = read_json("metrics/sine.json")
    held = len(read_history("plots/sine_forecast.csv")["t"])
    parts = ["## Example 1: SimpleRNN predicts the next sample of a sine wave\n",
             f"Trained on the lecture's series; the {held} samples after it are held out, never "
             "trained on. Beside the SimpleRNN: the same network untrained, persistence (the last "
             "value) and AR(2) fitted by least squares on the training windows (exact for a clean "
             "sine). Lower is better.\n"]
    for metric in ("mse", "mae"):
        rows = [[label] + [fmt(metrics[part][metric].get(name)) for name in LABELS]
                for part, label in SINE_PARTS.items()]
        parts.append(table(rows, [metric] + list(LABELS.values())))
    repeats = metrics["held_out"]["repeats_training"]
    if repeats:
        parts.append(f"{repeats:.0%} of the held-out windows (inputs and target) also occur in the "
                     "training series: a clean periodic wave repeats itself, so the one-step "
                     "held-out score says little about generalisation; the forecast, fed its own "
                     "predictions, does. With `sine_data.noise` > 0 every window is new.\n")
    parts += ["![sine: predictions before and after training, loss, forecast](figures/sine.png)\n",
              run_line("runs/sine.json")]
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
        with open(v.samples, encoding="utf-8") as f:
            samples = f.read().rstrip("\n")
        parts += [f"\n### {name}\n",
                  f"![{name}: loss and accuracy per epoch]({os.path.relpath(v.figure, 'reports')})\n",
                  "Samples (prompt -> prompt + generated), at each temperature:\n",
                  f"```\n{samples}\n```\n",
                  run_line(v.run)]
    return parts


def render():
    parts = ["# RNN lab: results\n",
             "Written by the `report` stage of `dvc repro` from the files the other stages wrote; "
             "do not edit by hand.\n"]
    return "\n".join(parts + sine_section() + text_section())


def main():
    page = render()
    with all_or_nothing(OUT):
        with open(OUT, "w", encoding="utf-8") as f:
            f.write(page)
    print(f"report: {OUT}")


if __name__ == "__main__":
    run(main)
