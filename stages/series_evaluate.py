"""Stage series_evaluate@<series>: is the network better than a random walk?

Predictors (rnnlab/forecast.py), all reading the same raw windows: the trained network; the
same network untrained (its seeded initial weights, saved by series_train: the lecture's
'before training', on the training windows); persistence (tomorrow = today: the random
walk); drift (persistence plus the training part's mean step); an AR on the window's values
fitted by least squares on the training windows. Scored, under the same metric names, on
  train     the training windows (the lecture's figure),
  val, test the windows whose targets are in the validation and test parts (observed inputs),
  forecast  the first `horizon` values of the test part from the rows before it, each
            prediction fed back as the next input (multi-step).
Every price figure is in the target's units: a log-return network's outputs become prices.
The networks run in NumPy (rnnlab/inference.py): no TensorFlow in this stage.

Outputs: metrics/<series>.json ({part: {metric: {predictor: value}}}), plots/<series>_train.csv,
plots/<series>_test.csv, plots/<series>_forecast.csv, reports/figures/<series>.png. Logged
into the training run (runs/<series>.json).
"""
import numpy as np

from rnnlab import figures, forecast, inference, notes, params, series, series_figures, tracking
from rnnlab.errors import LabError, run
from rnnlab.outputs import all_or_nothing, write_csv, write_json


def flatten(tree, prefix):
    """('eval', {'a': {'b': 1}}) -> ('eval_a_b', 1): MLflow's flat metric names."""
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from flatten(value, f"{prefix}_{key}")
        else:
            yield f"{prefix}_{key}", value


def main():
    s = series.from_argv("series_evaluate")
    stage, data = f"series_evaluate@{s.name}", f"{s.name}_data"
    sections = {data: {"window": params.WINDOW}, f"{s.name}_train": params.SERIES_TRAIN,
                f"{s.name}_evaluate": params.SERIES_EVALUATE}
    p = params.load(stage, sections)
    window, tp = p[data]["window"], p[f"{s.name}_train"]
    horizon = p[f"{s.name}_evaluate"]["horizon"]
    meta = series.load_meta(s)
    series.check_positive(tp["target"], meta["non_positive"], f"{s.name}_train")
    parts = series.load_parts(s)
    time, values, bounds = series.joined(parts)
    test_start, test_stop = bounds["test"]
    if horizon > test_stop - test_start:
        raise LabError(f"params.yaml: '{s.name}_evaluate.horizon' ({horizon}) is longer than the "
                       f"test part ({test_stop - test_start} values)")
    transform, _ = series.Transform.load(s.transform)

    def network(path):
        """A saved network, run in NumPy (rnnlab/inference.py), as a predictor of raw windows
        in the target's units."""
        model = inference.load_model(path)
        return lambda W: transform.values(W, model(transform.inputs(W))[:, 0])

    outputs = (s.metrics, s.train_plot, s.test_plot, s.forecast_plot, s.figure)
    with all_or_nothing(*outputs), tracking.same_run(s.run, stage) as active:
        W, y = series.part_windows(parts, "train", window)
        predictors = {
            "model": network(s.model),
            "persistence": forecast.persistence,
            "drift": forecast.drift(parts["train"]["values"]),
            "ar": forecast.ar(W, y),
        }
        untrained = network(s.untrained)
        scored, metrics = {}, {}
        for name in series.PARTS:
            if not len(parts[name]["values"]):
                continue
            W_part, y_part = series.part_windows(parts, name, window)
            guesses = {n: f(W_part) for n, f in predictors.items()}
            if name == "train":
                guesses["untrained"] = untrained(W_part)
            metrics[name] = forecast.one_step(y_part, guesses, forecast.persistence(W_part))
            if name != "train":  # a periodic wave repeats itself: how much of this is new?
                metrics[name]["repeats_training"] = forecast.repeats(W_part, y_part, W, y)
            scored[name] = (W_part, y_part, guesses)
        context = values[test_start - window:test_start]
        target = values[test_start:test_start + horizon, 0]
        forecasts = {n: forecast.autoregress(f, context, horizon) for n, f in predictors.items()}
        metrics["forecast"] = forecast.errors(target, forecasts)
        forecast.check_finite(metrics, f"{s.name}_train")
        write_json(s.metrics, metrics)

        _, y_train, on_train = scored["train"]
        write_csv(s.train_plot, {"step": range(len(y_train)), "time": time[window:bounds["train"][1]],
                                 "target": y_train, "before_training": on_train["untrained"],
                                 "after_training": on_train["model"]})
        W_test, y_test, on_test = scored["test"]
        last = forecast.persistence(W_test)
        write_csv(s.test_plot, {"step": range(len(y_test)), "time": time[test_start:test_stop],
                                "target": y_test, "model": on_test["model"],
                                "persistence": on_test["persistence"],
                                "actual_change": y_test - last,
                                "predicted_change": on_test["model"] - last})
        write_csv(s.forecast_plot, {"step": range(horizon),
                                    "time": time[test_start:test_start + horizon], "target": target,
                                    **{f"{n}_forecast": f for n, f in forecasts.items()}})
        history = figures.read_history(s.history)
        labels = forecast.labels(tp["layer"], tp["units"], window)
        series_figures.FIGURES[s.name](s.figure, time=time, values=values[:, 0], bounds=bounds,
                                scored=scored, forecasts=forecasts, horizon=horizon,
                                history=history, labels=labels, meta=meta)
        # eval_test_rmse_model, ...: into the run, linked to the models it logged
        tracking.log_evaluation(dict(flatten(metrics, "eval")), s.run)
        tracking.log_as(s.figure, "figures/evaluation.png")
        rmse = metrics["test"]["rmse"]
        result = (f"test rmse {rmse['model']:.4g} (persistence {rmse['persistence']:.4g}, "
                  f"drift {rmse['drift']:.4g}, AR {rmse['ar']:.3g}); the network "
                  f"{forecast.verdict(metrics['test'])}; forecast of {horizon}: rmse "
                  f"{metrics['forecast']['rmse']['model']:.4g}")
        tracking.describe(notes.with_result(tracking.note_of(active), result, notes.SERIES_METRICS))
    print(f"{stage}: {result}")


if __name__ == "__main__":
    run(main)
