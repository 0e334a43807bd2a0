"""Stage report: reports/README.md, one page with every model's metrics, figures and samples.

Reads only what the other stages wrote (metrics/, reports/figures/, reports/samples/, runs/),
so it needs no TensorFlow and takes a moment.
"""
import os

from stages.errors import run
from stages.outputs import all_or_nothing, read_json
from stages.variants import VARIANTS

OUT = "reports/README.md"


def table(rows, columns):
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(str(c) for c in row) + " |\n" for row in rows)


def fmt(value):
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def render():
    sine = read_json("metrics/sine.json")
    sine_run = read_json("runs/sine.json")
    parts = [
        "# RNN lab: results\n",
        "Written by the `report` stage of `dvc repro` from the files the other stages wrote; "
        "do not edit by hand. Models train and are scored on the same data, as in the lecture.\n",
        "## Example 1: SimpleRNN predicts the next sample of a sine wave\n",
        table([["mse", fmt(sine["untrained_mse"]), fmt(sine["mse"])],
               ["mae", fmt(sine["untrained_mae"]), fmt(sine["mae"])]],
              ["metric", "before training", "after training"]),
        f"\n![sine: targets, predictions before and after training, loss](figures/sine.png)\n",
        f"MLflow run `{sine_run['run_id']}` ({sine_run['experiment_name']} / {sine_run['run_name']}).\n",
        "## Examples 2 and 3: character LSTMs on \"Sing a song of sixpence\"\n",
        "Scored on the lecture's task, the character after each full window "
        "(bits per character: lower is better).\n",
    ]
    rows = []
    for name, v in VARIANTS.items():
        m = read_json(v.metrics)
        rows.append([name, fmt(m["accuracy"]), fmt(m["loss"]), fmt(m["bits_per_char"]), m["windows"]])
    parts.append(table(rows, ["model", "accuracy", "loss (nats)", "bits/char", "windows"]))
    for name, v in VARIANTS.items():
        info = read_json(v.run)
        with open(v.samples, encoding="utf-8") as f:
            samples = f.read().rstrip("\n")
        parts += [f"\n### {name}\n",
                  f"![{name}: loss and accuracy per epoch]({os.path.relpath(v.figure, 'reports')})\n",
                  "Samples (prompt -> prompt + generated; greedy unless "
                  "text_generate.temperature > 0):\n",
                  f"```\n{samples}\n```\n",
                  f"MLflow run `{info['run_id']}` ({info['experiment_name']} / {info['run_name']}).\n"]
    return "\n".join(parts)


def main():
    page = render()
    with all_or_nothing(OUT):
        with open(OUT, "w", encoding="utf-8") as f:
            f.write(page)
    print(f"report: {OUT}")


if __name__ == "__main__":
    run(main)
