"""Stage series_track@<model>: a series model's evaluation into its training's MLflow run.

series_evaluate writes files only and imports no MLflow, whose import with its SQLite store
is most of a short stage's start-up; this stage adds what it wrote to the run that
series_train opened and linked (--run), as it is, FINISHED (rnnlab/tracking/runs.py:
``same_run``): every score of the metrics (--metrics) as ``eval_<part>_<metric>_<predictor>``,
the network's own (``..._model``) linked to the models the training logged, the baselines'
and the data's into the run only; the figure (--figure, as figures/evaluation.png); and the
result in a line in the run's description. It writes no file: DVC runs it again when one of
those files changes.
"""
from rnnlab import params
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import run
from rnnlab.core.outputs import numbers, read_json, readable, reading
from rnnlab.scores import forecast
from rnnlab.tracking import notes, runs


def arguments():
    parser = Arguments("series_track")
    parser.choice("name", params.series_models(), "the model: a section of params.yaml's series")
    parser.path("metrics", "series_evaluate's metrics (JSON)")
    parser.path("figure", "series_evaluate's figure (PNG)")
    parser.path("run", "series_train's MLflow run (JSON)")
    return parser.parse_args()


def main():
    args = arguments()
    stage = f"series_track@{args.name}"
    params.load(stage)  # params.yaml checked whole, as by every stage; this one reads none of it
    metrics = read_json(args.metrics)
    with reading(args.metrics):
        result = forecast.summary(metrics)
        scores = numbers(dict(runs.flatten(metrics, "eval")))
        own = dict(runs.flatten(metrics, "eval", keep=lambda path: "model" in path))
    readable(args.figure)  # there before the run is touched

    with runs.same_run(args.run, stage) as active:
        runs.log_evaluation(active, args.run, own,
                            baselines={k: v for k, v in scores.items() if k not in own},
                            figure=(args.figure, "figures/evaluation.png"), result=result,
                            meaning=notes.SERIES_METRICS)
    print(f"{stage}: {result}")


if __name__ == "__main__":
    run(main)
