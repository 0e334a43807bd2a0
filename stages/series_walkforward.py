"""Stage series_walkforward@<model>: does the model's score hold at other origins?

Walk-forward evaluation (rnnlab/scores/walkforward.py): the test part's end cut into
`series_walkforward.<model>.folds` folds in time (scikit-learn's TimeSeriesSplit); at each
fold's origin the trained model (series_train's, fold after fold) continues training for
`series_walkforward.<model>.epochs` epochs on every window before the origin, with the same
transform, batch size and seed, then predicts the fold one step ahead. Persistence, drift and AR are
refitted on the same windows. Scored per fold and pooled: Theil's U, rmse, bias and the
Diebold-Mariano p-value against persistence. Continued rather than retrained from scratch:
the same idea (only the past trains) at a fraction of the cost; the fold count is the knob.
Each fold needs walkforward.MIN_FOLD windows: fewer folds than asked are used where the test
part holds no more (said in a line, in the metrics' `folds` entry and in the report), down to
one; a test part too short for one fold is refused in one line. A fold where the price never
moves has no Theil's U: it says it cannot be compared with the random walk, as
series_evaluate does.

Reads its data stage's parts (--train, --val, --test) and what series_train wrote (--model,
--transform, --run). Outputs, at the paths dvc.yaml's cmd names: the metrics (--metrics:
{fold_<k> | pooled: {metric: {predictor: value}}, folds: {asked, used, test_windows,
min_fold_windows}}), the plot (--plot: a row per fold, its dates and every predictor's
Theil's U, empty where it has none) and the figure (--figure). Logged into the model's run as
`wf_<fold>_<metric>_<predictor>`.
"""
import numpy as np

from rnnlab import params
from rnnlab.charts import series_figures
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, write_csv, write_json
from rnnlab.data import scaling, series, windows
from rnnlab.scores import forecast, walkforward
from rnnlab.tracking import runs


def arguments(models):
    parser = Arguments("series_walkforward")
    parser.choice("name", models, "the model: a section of params.yaml's series")
    for name in series.PARTS:
        parser.path(name, f"its data stage's {name} part (.npz)")
    parser.path("model", "series_train's model (.keras)")
    parser.path("transform", "series_train's scaling (JSON)")
    parser.path("run", "series_train's MLflow run (JSON)")
    parser.path("metrics", "the metrics written (JSON)")
    parser.path("plot", "Theil's U per fold written (CSV)")
    parser.path("figure", "the figure written (PNG)")
    return parser.parse_args()


def main():
    models = params.series_models()
    args = arguments(models)
    s = series.defined(models)[args.name]
    stage, section = f"series_walkforward@{s.name}", f"series_walkforward.{s.name}"
    trained = [f"{s.train_section}.{key}" for key in ("layer", "units", "batch_size", "seed")]
    p = params.load(stage, s.window_key, *trained, section)
    window, wp = p[s.window_key], p[section]
    tp = {key.rsplit(".", 1)[1]: p[key] for key in trained}
    time, values, bounds = series.joined(series.load_parts(series.part_files(args)))
    raw, y = windows.rows_before(values, window, len(values), window)  # window i: target row window + i
    test_start, test_stop = bounds["test"]
    n_test = test_stop - test_start
    used, fewer = walkforward.fold_count(n_test, wp["folds"],
                                         (f"{section}.folds", series.TEST_KEYS[s.data]))
    folds = walkforward.splits(len(y), n_test, used)
    transform, _ = scaling.Transform.load(args.transform)
    if fewer:
        print(f"{stage}: {fewer}")

    metrics, rows, pooled, lasts = {}, [], {}, []
    with all_or_nothing(args.metrics, args.plot, args.figure), \
            runs.same_run(args.run, stage):
        from rnnlab.nets import models  # TensorFlow: folds and store are good

        model = models.load(args.model)
        for k, (seen, fold) in enumerate(folds, 1):
            models.continue_training(model, transform.inputs(raw[seen]),
                                     transform.targets(raw[seen], y[seen]), epochs=wp["epochs"],
                                     batch_size=tp["batch_size"], seed=tp["seed"] + k,
                                     section=s.train_section)
            last = forecast.persistence(raw[fold])
            out = models.predict(model, transform.inputs(raw[fold]))
            guesses = {"model": transform.to_units(raw[fold], out)}
            guesses |= {n: f(raw[fold]) for n, f in walkforward.baselines(values, raw, y, seen).items()}
            metrics[f"fold_{k}"] = walkforward.scores(y[fold], guesses, last)
            for name, guess in guesses.items():
                pooled.setdefault(name, []).append(guess)
            lasts.append(last)
            u = metrics[f"fold_{k}"].get("theil_u", {})  # none where the price never moved
            rows.append({"fold": k, "start": time[window + fold[0]], "stop": time[window + fold[-1]],
                         **{f"theil_u_{n}": u.get(n) for n in guesses}})
            print(f"{stage}: fold {k}/{len(folds)} {rows[-1]['start']} .. {rows[-1]['stop']}: "
                  + theil_line(metrics[f"fold_{k}"]))
        targets = np.concatenate([y[fold] for _, fold in folds])
        metrics["pooled"] = walkforward.scores(
            targets, {n: np.concatenate(g) for n, g in pooled.items()}, np.concatenate(lasts))
        metrics["folds"] = {"asked": wp["folds"], "used": used, "test_windows": n_test,
                            "min_fold_windows": walkforward.MIN_FOLD}
        forecast.check_scores_finite(metrics, s.train_section)
        write_json(args.metrics, metrics)
        # A fold without a Theil's U: an empty cell
        write_csv(args.plot, {key: ["" if r[key] is None else r[key] for r in rows]
                              for key in rows[0]})
        series_figures.walkforward_figure(args.figure, rows, metrics["pooled"],
                                          forecast.labels(tp["layer"], tp["units"], window),
                                          note=fewer)
        runs.log_metrics(dict(runs.flatten(metrics, "wf")))
        runs.log_as(args.figure, "figures/walkforward.png")
    print(f"{stage}: pooled over {len(folds)} fold{'s' * (len(folds) != 1)}: "
          f"{theil_line(metrics['pooled'])}; the network {forecast.verdict(metrics['pooled'])}")


def theil_line(scores):
    """Theil's U of every predictor but persistence, or why there is none."""
    u = scores.get("theil_u")
    if u is None:
        return "no Theil's U (persistence makes no error here)"
    return "Theil's U " + ", ".join(f"{n} {v:.4f}" for n, v in u.items() if n != "persistence")


if __name__ == "__main__":
    run(main)
