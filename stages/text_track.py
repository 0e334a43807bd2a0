"""Stage text_track@<variant>: a text model's results into its training's MLflow run.

text_evaluate and text_generate write files only and import no MLflow, whose import with its
SQLite store is most of a short stage's start-up; this stage adds what they wrote to the run
that text_train opened and linked (--run), as it is, FINISHED (rnnlab/tracking/runs.py:
``same_run``): the model's scores (--metrics, ``eval_<split>_<metric>``, linked to the models
the training logged) beside the baselines' on the same split (--unigram, --ngram, --ceiling,
``eval_<split>_<metric>_<baseline>``), the figure of its training (--figure, as
figures/history.png), the samples (--samples, as samples.txt), and the result in a line in
the run's description. It writes no file: DVC runs it again when one of those files changes.
"""
from rnnlab import params
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import run
from rnnlab.core.outputs import numbers, read_json, readable, reading
from rnnlab.scores import ngram, scoring
from rnnlab.tracking import notes, runs


def arguments():
    parser = Arguments("text_track")
    parser.choice("variant", params.variants(), "the model: a section of params.yaml's text_train")
    parser.path("metrics", "text_evaluate's metrics (JSON)")
    for name in ngram.BASELINES:
        parser.path(name, f"text_baselines' {name} metrics (JSON)")
    parser.path("figure", "text_evaluate's figure of the training history (PNG)")
    parser.path("samples", "text_generate's samples for people (text)")
    parser.path("run", "text_train's MLflow run (JSON)")
    return parser.parse_args()


def main():
    args = arguments()
    stage = f"text_track@{args.variant}"
    params.load(stage)  # params.yaml checked whole, as by every stage; this one reads none of it
    scored = read_json(args.metrics)
    with reading(args.metrics):
        (split, metrics), = scored.items()  # {"val": {...}} or {"train": {...}}
        own = numbers({f"eval_{split}_{k}": v for k, v in metrics.items() if k != "windows"})
        result = scoring.summary(split, metrics)
    # text_baselines' figures on the same split, named as the model's with the baseline's
    # name after them (eval_val_accuracy_ngram), so that the run shows both
    baselines, accuracy = {}, {}
    for name in ngram.BASELINES:
        path = getattr(args, name)
        record = read_json(path)
        with reading(path):
            baselines.update(numbers({f"eval_{split}_{k}_{name}": v
                                      for k, v in record[split].items() if k != "windows"}))
            accuracy[name] = record[split]["accuracy"]
    with reading(args.samples), open(args.samples, encoding="utf-8") as f:
        page = f.read()
    readable(args.figure)  # there before the run is touched

    with runs.same_run(args.run, stage) as active:
        runs.log_evaluation(
            active, args.run, own, baselines=baselines,
            figure=(args.figure, "figures/history.png"),
            result=f"{result}; baselines: n-gram {accuracy['ngram']:.4f}, unigram "
                   f"{accuracy['unigram']:.4f}, ceiling of the window {accuracy['ceiling']:.4f}.",
            meaning=notes.TEXT_METRICS)
        runs.log_text(page, "samples.txt")  # the same name in every run: Compare lines them up
    print(f"{stage}: {result}")


if __name__ == "__main__":
    run(main)
