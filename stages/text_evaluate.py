"""Stage text_evaluate@<variant>: how well the model predicts text.

Scored on the held-out text when text_encode.val > 0, else on the training text (the
lecture's setting, where the rhyme is all there is); the metrics file says which
({"val": {...}} or {"train": {...}}), and text_baselines scores its baselines on the same
split under the same names. Every variant is scored on the lecture's task, the character
after each full window, so their figures compare directly: loss (cross-entropy, nats),
accuracy, bits per character and perplexity. A many_to_many model (text_train.<variant>.kind)
is also scored at every step of its windows (sequence_*), which is its training objective.
Windows are read in batches of a strided view of the ids (no array of all windows), and the
saved model runs in NumPy (rnnlab/forward/inference.py): no TensorFlow here.

Outputs, at the paths dvc.yaml's cmd names: the metrics (--metrics) and the figure of the
training history (--figure). Logged into the training run, beside the baselines' figures.
"""
from rnnlab import params
from rnnlab.charts import figures
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, read_json, write_json
from rnnlab.data import vocab, windows
from rnnlab.data.windows import EVAL_BATCH
from rnnlab.forward import inference
from rnnlab.scores.scoring import Scores
from rnnlab.tracking import notes, runs

BASELINES = ("unigram", "ngram", "ceiling")


def evaluate(model, ids, window, sequence):
    """Scores on every window of ``ids``: the character after it, and with ``sequence`` the
    next character at every step as well (``sequence_*``)."""
    last, steps = Scores(), Scores()
    every = windows.pairs(ids, window)  # a view: (windows, window + 1)
    for start in range(0, len(every), EVAL_BATCH):
        inputs, targets = windows.split_shifted(every[start:start + EVAL_BATCH])
        probs = model.predict_on_batch(inputs)
        last.add(probs[:, -1] if probs.ndim == 3 else probs, targets[:, -1])
        if sequence:
            steps.add(probs, targets)
    metrics = last.result()
    if sequence:
        metrics.update({f"sequence_{k}": val for k, val in steps.result().items()})
    return {**metrics, "windows": last.count}


def baselines(split, paths):
    """text_baselines' figures on the same split (``paths``: {baseline: its metrics file}),
    named as the model's with the baseline's name after them (eval_val_accuracy_ngram), so the
    MLflow run shows both."""
    return {f"eval_{split}_{k}_{name}": val for name, path in paths.items()
            for k, val in read_json(path)[split].items() if k != "windows"}


def arguments():
    parser = Arguments("text_evaluate")
    parser.choice("variant", params.variants(), "the model: a section of params.yaml's text_train")
    parser.path("vocab", "text_encode's vocabulary (JSON)")
    parser.path("train", "text_encode's training ids (.npy)")
    parser.path("val", "text_encode's held-out ids (.npy)")
    for name in BASELINES:
        parser.path(name, f"text_baselines' {name} metrics (JSON)")
    parser.path("model", "text_train's model (.keras)")
    parser.path("history", "text_train's history per epoch (CSV)")
    parser.path("run", "text_train's MLflow run (JSON)")
    parser.path("metrics", "the metrics written (JSON)")
    parser.path("figure", "the figure of the training history written (PNG)")
    return parser.parse_args()


def main():
    args = arguments()
    name = args.variant
    stage, kind_key = f"text_evaluate@{name}", f"text_train.{name}.kind"
    kind = params.load(stage, kind_key)[kind_key]
    _, meta = vocab.load(args.vocab)
    split = vocab.scored_split(meta)
    ids = vocab.load_ids({"train": args.train, "val": args.val}[split])

    with all_or_nothing(args.metrics, args.figure), runs.same_run(args.run, stage) as active:
        model = inference.load_model(args.model)
        metrics = evaluate(model, ids, meta["window"], sequence=kind == "many_to_many")
        write_json(args.metrics, {split: metrics})
        figures.history_figure(args.figure, figures.read_history(args.history), name)
        others = baselines(split, {b: getattr(args, b) for b in BASELINES})
        result = (f"{split} accuracy {metrics['accuracy']:.4f}, "
                  f"{metrics['bits_per_char']:.3f} bits/char over {metrics['windows']} windows")
        runs.log_evaluation(
            active, args.run, {f"eval_{split}_{k}": val for k, val in metrics.items()
                               if k != "windows"},
            baselines=others,
            figure=(args.figure, "figures/history.png"),
            result=f"{result}; baselines: n-gram {others[f'eval_{split}_accuracy_ngram']:.4f}, "
                   f"unigram {others[f'eval_{split}_accuracy_unigram']:.4f}, ceiling of the "
                   f"window {others[f'eval_{split}_accuracy_ceiling']:.4f}.",
            meaning=notes.TEXT_METRICS)
    print(f"{stage}: {result}")


if __name__ == "__main__":
    run(main)
