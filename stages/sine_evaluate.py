"""Stage sine_evaluate: predictions before and after training, as in the lecture's figure.

The untrained model is rebuilt with the same seed, so 'before' shows the exact starting
point of the trained model. Metrics are computed on the lecture's windows.

Outputs: metrics/sine.json (mse, mae, and the same before training), plots/sine_predictions.csv,
reports/figures/sine.png. Logged into the training run (runs/sine.json).
"""
import numpy as np

from stages import figures, params, tracking
from stages.errors import run
from stages.outputs import all_or_nothing, write_csv, write_json
from stages.sine_train import RUN, build

STAGE = "sine_evaluate"
METRICS, PREDICTIONS, FIGURE = "metrics/sine.json", "plots/sine_predictions.csv", "reports/figures/sine.png"


def errors(y, y_hat):
    return {"mse": float(np.mean((y - y_hat) ** 2)), "mae": float(np.mean(np.abs(y - y_hat)))}


def main():
    p = params.load(STAGE, {"sine_data": {"window": params.SINE_DATA["window"]},
                            "sine_train": params.TRAIN})
    with np.load("data/sine.npz") as data:
        X, Y = data["X"], data["Y"]

    import keras
    import mlflow

    with all_or_nothing(METRICS, PREDICTIONS, FIGURE), tracking.same_run(RUN, STAGE):
        before = build(p["sine_data"], p["sine_train"]).predict_on_batch(X)
        after = keras.saving.load_model("models/sine.keras").predict_on_batch(X)
        metrics = {**errors(Y, after), **{f"untrained_{k}": v for k, v in errors(Y, before).items()}}
        write_json(METRICS, metrics)
        write_csv(PREDICTIONS, {"window": range(len(Y)), "target": Y[:, 0],
                                "before_training": before[:, 0], "after_training": after[:, 0]})
        loss = figures.read_history("plots/sine_history.csv")["loss"]
        figures.sine_figure(FIGURE, Y[:, 0], before[:, 0], after[:, 0], loss)
        mlflow.log_metrics({f"eval_{k}": v for k, v in metrics.items()})
        mlflow.log_artifact(FIGURE, "figures")
    print(f"sine_evaluate: mse {metrics['mse']:.5f} (untrained {metrics['untrained_mse']:.5f})")


if __name__ == "__main__":
    run(main)
