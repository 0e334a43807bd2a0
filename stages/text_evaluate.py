"""Stage text_evaluate@<variant>: how well the model predicts the corpus.

Both variants are scored on the lecture's task, the character after each full window, so
their figures compare directly: loss (cross-entropy, nats), accuracy, bits per character.
many_to_many is also scored at every step of its windows (sequence_*), which is its
training objective. The lecture trains and evaluates on the same text.

Outputs: metrics/text_<variant>.json, reports/figures/text_<variant>.png. Logged into the
training run.
"""
import math

import numpy as np

from stages import figures, tracking, variants, vocab, windows
from stages.errors import run
from stages.outputs import all_or_nothing, write_json


def scores(probs, targets):
    """Mean cross-entropy (nats), accuracy and bits per character of ``probs`` (..., V)."""
    p_true = np.take_along_axis(probs, targets[..., np.newaxis], axis=-1)[..., 0]
    loss = float(-np.mean(np.log(np.clip(p_true, 1e-12, 1.0))))
    accuracy = float(np.mean(np.argmax(probs, axis=-1) == targets))
    return {"loss": loss, "accuracy": accuracy, "bits_per_char": loss / math.log(2)}


def main():
    v = variants.from_argv("text_evaluate")
    stage = f"text_evaluate@{v.name}"
    _, meta = vocab.load("data/text/vocab.json")
    ids = np.load("data/text/ids.npy")

    import keras
    import mlflow

    with all_or_nothing(v.metrics, v.figure), tracking.same_run(v.run, stage):
        model = keras.saving.load_model(v.model)
        X, y = windows.next_step(ids, meta["window"])
        probs = model.predict(X, batch_size=256, verbose=0)
        metrics = scores(probs[:, -1] if probs.ndim == 3 else probs, y)
        if v.name == "many_to_many":
            sequence = scores(probs, windows.shifted(ids, meta["window"])[1])
            metrics.update({f"sequence_{k}": val for k, val in sequence.items()})
        metrics["windows"] = len(X)
        write_json(v.metrics, metrics)
        figures.history_figure(v.figure, figures.read_history(v.history), v.name)
        mlflow.log_metrics({f"eval_{k}": val for k, val in metrics.items() if k != "windows"})
        mlflow.log_artifact(v.figure, "figures")
    print(f"{stage}: accuracy {metrics['accuracy']:.4f}, {metrics['bits_per_char']:.3f} bits/char "
          f"over {len(X)} windows")


if __name__ == "__main__":
    run(main)
