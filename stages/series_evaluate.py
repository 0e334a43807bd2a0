"""Stage series_evaluate@<model>: is the network better than a random walk?

Predictors (rnnlab/scores/forecast.py), all reading the same raw windows: the trained network; the
same network untrained (its seeded initial weights, saved by series_train: the lecture's
'before training', on the training windows); persistence (tomorrow = today: the random
walk); drift (persistence plus the training part's mean step); an AR on the window's values
fitted by least squares on the training windows. Scored, under the same metric names, on
  train     the training windows (the lecture's figure),
  val, test the windows whose targets are in the validation and test parts (observed inputs),
  forecast  the first `horizon` values of the test part from the rows before it, each
            prediction fed back as the next input (multi-step); a test part shorter than
            `horizon` is forecast over all its values (``forecast_steps``: said in a line and
            in the metrics' `forecast.horizon` entry), one that holds none is refused.
Every price figure is in the target's units: a log-return network's outputs become prices.
On the test part, the "lagged copy" check as well: the correlation of each predictor with the
series at lags -3..+3 (a peak at +1: yesterday's value, a day late) and of its predicted
changes with the actual ones.
The networks run in NumPy (rnnlab/forward/inference.py): no TensorFlow in this stage.

Reads its data stage's parts and meta record (--train, --val, --test, --meta) and what
series_train wrote (--model, --untrained, --transform, --history). Outputs, at the
paths dvc.yaml's cmd names: the metrics (--metrics: {part: {metric: {predictor: value}}},
and under `forecast` `horizon: {asked, used, test_values}`), the predictions on the training
windows (--train-plot) and fed back (--forecast-plot), DVC plots; the one-step predictions on
the test part (--test-predictions), an out that series_strategy and the report read as data
(the top-level views of dvc.yaml draw it too); and the figure (--figure). series_track logs
the metrics and the figure into the training's MLflow run; this stage imports no MLflow.
"""
from rnnlab import params
from rnnlab.charts import figures, series_figures
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import LabError, run
from rnnlab.core.outputs import all_or_nothing, write_csv, write_json
from rnnlab.data import scaling, series
from rnnlab.forward import inference
from rnnlab.scores import forecast


def forecast_steps(n_test, asked, keys, where="the test part"):
    """(steps forecast, why fewer or None): the ``asked`` horizon, or all the test part's
    ``n_test`` values where it holds fewer. LabError naming ``where`` (its file) and ``keys``
    (the horizon's key, the key that sizes the test part) if it holds none, so that not one
    step can be forecast."""
    horizon_key, test_key = keys
    if n_test < 1:
        raise LabError(f"{where} has no values, so not one step of '{horizon_key}' can be "
                       f"forecast: raise '{test_key}' and rerun its data stage (dvc repro)")
    if asked <= n_test:
        return asked, None
    return n_test, (f"'{horizon_key}' asks for {asked} steps, but the test part holds "
                    f"{n_test} value{'s' * (n_test != 1)}: forecasting {n_test}")


def network(path, transform):
    """A saved network, run in NumPy (rnnlab/forward/inference.py), as a predictor of raw windows in
    the target's units."""
    model = inference.load_model(path)
    return lambda raw: transform.to_units(raw, model(transform.inputs(raw))[:, 0])


def score_parts(parts, window, predictors, untrained):
    """{part: scores} of every predictor one step ahead on each part that has values (the
    untrained network on the training windows only), and {part: (raw windows, targets,
    {predictor: predictions})}."""
    raw_train, y_train = series.part_windows(parts, "train", window)
    metrics, scored = {}, {}
    for name in series.PARTS:
        if not len(parts[name]["values"]):
            continue
        raw, y = series.part_windows(parts, name, window)
        guesses = {n: predict(raw) for n, predict in predictors.items()}
        if name == "train":
            guesses["untrained"] = untrained(raw)
        metrics[name] = forecast.one_step(y, guesses, forecast.persistence(raw))
        if name == "test":  # is it a lagged copy of the series?
            metrics[name].update(forecast.lag_scores(y, guesses, forecast.persistence(raw)))
        if name != "train":  # a periodic wave repeats itself: how much of this is new?
            metrics[name]["repeats_training"] = forecast.repeats(raw, y, raw_train, y_train)
        scored[name] = (raw, y, guesses)
    return metrics, scored


def write_predictions(args, time, bounds, window, scored, target, forecasts):
    """The predictions, at the paths of the command line: on the training windows (before and
    after training, a DVC plot), on the test part (with the daily changes: the out the next
    stages read), and the fed-back forecast (a DVC plot)."""
    _, y_train, on_train = scored["train"]
    write_csv(args.train_plot, {"step": range(len(y_train)),
                                "time": time[window:bounds["train"][1]], "target": y_train,
                                "before_training": on_train["untrained"],
                                "after_training": on_train["model"]})
    raw_test, y_test, on_test = scored["test"]
    test_start, test_stop = bounds["test"]
    last = forecast.persistence(raw_test)
    write_csv(args.test_predictions, {"step": range(len(y_test)),
                                      "time": time[test_start:test_stop],
                                      "target": y_test, "model": on_test["model"],
                                      "persistence": on_test["persistence"],
                                      "actual_change": y_test - last,
                                      "predicted_change": on_test["model"] - last})
    write_csv(args.forecast_plot, {"step": range(len(target)),
                                   "time": time[test_start:test_start + len(target)],
                                   "target": target,
                                   **{f"{n}_forecast": f for n, f in forecasts.items()}})


def title(s, target, parts, test):
    """The figure's title: the model and its formulation; for min-max scaled prices whose test
    part goes above the training part, the one sentence that explains its bias."""
    head = f"{s.name}: {scaling.FORMULATIONS[target]}"
    above = series.above_training(parts)
    if target != "price" or above is None:
        return head
    top, high = above
    return (f"{head}\nThe test prices reach {high:.4g}, above the training maximum {top:.4g}: "
            f"scaled, they lie outside what the network saw, and it extrapolates "
            f"(mean error {test['bias']['model']:+.3g}, persistence's "
            f"{test['bias']['persistence']:+.3g})")


def arguments(models):
    parser = Arguments("series_evaluate")
    parser.choice("name", models, "the model: a section of params.yaml's series")
    for name in series.PARTS:
        parser.path(name, f"its data stage's {name} part (.npz)")
    parser.path("meta", "its data stage's meta record (JSON)")
    parser.path("model", "series_train's model (.keras)")
    parser.path("untrained", "series_train's model as initialised (.keras)")
    parser.path("transform", "series_train's scaling (JSON)")
    parser.path("history", "series_train's loss per epoch (CSV)")
    parser.path("metrics", "the metrics written (JSON)")
    parser.path("train-plot", "the predictions on the training windows written (CSV)")
    parser.path("test-predictions", "the predictions on the test part written (CSV)")
    parser.path("forecast-plot", "the forecast fed back written (CSV)")
    parser.path("figure", "the figure written (PNG)")
    return parser.parse_args()


def main():
    models = params.series_models()
    args = arguments(models)
    s = series.defined(models)[args.name]
    stage = f"series_evaluate@{s.name}"
    window_key, section = s.window_key, s.train_section
    p = params.load(stage, window_key, section)
    window, tp = p[window_key], p[section]
    asked = tp["horizon"]
    meta = series.load_meta(args.meta)
    scaling.check_positive(tp["target"], meta["non_positive"], section)
    parts = series.load_parts(series.part_files(args))
    time, values, bounds = series.joined(parts)
    test_start, test_stop = bounds["test"]
    n_test = test_stop - test_start
    horizon, fewer = forecast_steps(n_test, asked, (f"{section}.horizon", series.TEST_KEYS[s.data]),
                                    where=args.test)
    transform, _ = scaling.Transform.load(args.transform)
    if fewer:
        print(f"{stage}: {fewer}")

    outputs = (args.metrics, args.train_plot, args.test_predictions, args.forecast_plot,
               args.figure)
    with all_or_nothing(*outputs):
        predictors = {
            "model": network(args.model, transform),
            "persistence": forecast.persistence,
            "drift": forecast.drift(parts["train"]["values"]),
            "ar": forecast.ar(*series.part_windows(parts, "train", window)),
        }
        metrics, scored = score_parts(parts, window, predictors, network(args.untrained, transform))
        context = values[test_start - window:test_start]
        target = values[test_start:test_start + horizon, 0]
        forecasts = {n: forecast.autoregress(f, context, horizon) for n, f in predictors.items()}
        metrics["forecast"] = forecast.scores(target, forecasts)
        metrics["forecast"]["horizon"] = {"asked": asked, "used": horizon, "test_values": n_test}
        forecast.check_scores_finite(metrics, section)
        write_json(args.metrics, metrics)
        write_predictions(args, time, bounds, window, scored, target, forecasts)
        series_figures.FIGURES[s.data](args.figure, time=time, values=values[:, 0],
                                       bounds=bounds, scored=scored, forecasts=forecasts,
                                       horizon=horizon,
                                       history=figures.read_history(args.history),
                                       labels=forecast.labels(tp["layer"], tp["units"], window),
                                       lags=metrics["test"],
                                       title=title(s, tp["target"], parts, metrics["test"]),
                                       meta=meta)
    print(f"{stage}: {forecast.summary(metrics)}")


if __name__ == "__main__":
    run(main)
