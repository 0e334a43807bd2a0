"""Stage sine_evaluate: the RNN beside its baselines, on its training windows and on the
held-out future.

Predictors (stages/forecast.py): the trained model; the untrained one (rebuilt with the same
seed: the lecture's 'before training'); persistence (the last value); AR(2) fitted by least
squares on the training windows (exact for a clean sine). Scored three ways:
  train     next sample of each training window (the lecture's figure),
  held_out  next sample of each window ending in the unseen future (observed inputs),
  forecast  the whole held-out future from the end of the training series, each prediction
            fed back as the next input (multi-step, autoregressive).

Outputs: metrics/sine.json ({part: {mse|mae: {predictor: value}}}, and held_out.repeats_training:
the fraction of held-out windows, inputs and target, that also occur in the training series),
plots/sine_predictions.csv
(training windows), plots/sine_forecast.csv (held-out future), reports/figures/sine.png.
Logged into the training run (runs/sine.json).
"""
import numpy as np

from stages import figures, forecast, params, tracking
from stages.errors import run
from stages.outputs import all_or_nothing, write_csv, write_json
from stages.sine_data import HELD_OUT, TRAIN
from stages.sine_train import MODEL, RUN, build

STAGE = "sine_evaluate"
METRICS, PREDICTIONS = "metrics/sine.json", "plots/sine_predictions.csv"
FORECAST, FIGURE = "plots/sine_forecast.csv", "reports/figures/sine.png"


def flat(X):
    """(windows, window, 1) -> (windows, window)."""
    return X[..., 0]


def predictor(model):
    """A Keras sine model as a predictor of forecast's kind: windows (n, window) -> (n,)."""
    return lambda W: model.predict_on_batch(W[..., np.newaxis])[:, 0]


def flatten(tree, prefix):
    """('eval', {'a': {'b': 1}}) -> ('eval_a_b', 1): MLflow's flat metric names."""
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from flatten(value, f"{prefix}_{key}")
        else:
            yield f"{prefix}_{key}", value


def main():
    p = params.load(STAGE, {"sine_data": {"window": params.SINE_DATA["window"]},
                            "sine_train": params.TRAIN})
    with np.load(TRAIN) as train, np.load(HELD_OUT) as held:
        train, held = dict(train), dict(held)
    X, y, X_held, y_held = flat(train["X"]), train["Y"][:, 0], flat(held["X"]), held["Y"][:, 0]

    import keras
    import mlflow

    with all_or_nothing(METRICS, PREDICTIONS, FORECAST, FIGURE), tracking.same_run(RUN, STAGE):
        predictors = {
            "model": predictor(keras.saving.load_model(MODEL)),
            "persistence": forecast.persistence,
            "ar2": forecast.ar2(forecast.fit_ar2(X, y)),
        }
        on_train = {name: f(X) for name, f in predictors.items()}
        on_train["untrained"] = predictor(build(p["sine_data"], p["sine_train"]))(X)
        on_held = {name: f(X_held) for name, f in predictors.items()}
        window = X.shape[1]
        forecasts = {name: forecast.autoregress(f, train["s"][-window:], len(y_held))
                     for name, f in predictors.items()}
        metrics = {"train": forecast.errors(y, on_train),
                   "held_out": forecast.errors(y_held, on_held),
                   "forecast": forecast.errors(y_held, forecasts)}
        # A clean periodic wave repeats itself: say how many held-out windows are not new.
        metrics["held_out"]["repeats_training"] = forecast.repeats(
            np.column_stack([X_held, y_held]), np.column_stack([X, y]))
        write_json(METRICS, metrics)
        write_csv(PREDICTIONS, {"window": range(len(y)), "target": y,
                                "before_training": on_train["untrained"],
                                "after_training": on_train["model"]})
        write_csv(FORECAST, {"t": held["t"], "target": y_held, "model_one_step": on_held["model"],
                             **{f"{name}_forecast": f for name, f in forecasts.items()}})
        loss = figures.read_history("plots/sine_history.csv")["loss"]
        figures.sine_figure(FIGURE, y, on_train["untrained"], on_train["model"], loss,
                            (train["t"], train["s"]), (held["t"], y_held), forecasts)
        mlflow.log_metrics(dict(flatten(metrics, "eval")))  # eval_held_out_mse_ar2, ...
        mlflow.log_artifact(FIGURE, "figures")
    mse = {part: metrics[part]["mse"] for part in metrics}
    print(f"sine_evaluate: mse train {mse['train']['model']:.5f} "
          f"(untrained {mse['train']['untrained']:.5f}); held-out {mse['held_out']['model']:.5f} "
          f"(persistence {mse['held_out']['persistence']:.5f}, AR(2) {mse['held_out']['ar2']:.2e}); "
          f"forecast {mse['forecast']['model']:.5f}")


if __name__ == "__main__":
    run(main)
