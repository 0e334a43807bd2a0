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
training history (--figure). text_track logs them into the training's MLflow run, beside the
baselines' figures; this stage imports no MLflow.
"""
from rnnlab import params
from rnnlab.charts import figures
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, write_json
from rnnlab.data import vocab, windows
from rnnlab.data.windows import EVAL_BATCH
from rnnlab.forward import inference
from rnnlab.scores import scoring


def evaluate(model, ids, window, sequence):
    """Scores on every window of ``ids``: the character after it, and with ``sequence`` the
    next character at every step as well (``sequence_*``)."""
    last, steps = scoring.Scores(), scoring.Scores()
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


def arguments():
    parser = Arguments("text_evaluate")
    parser.choice("variant", params.variants(), "the model: a section of params.yaml's text_train")
    parser.path("vocab", "text_encode's vocabulary (JSON)")
    parser.path("train", "text_encode's training ids (.npy)")
    parser.path("val", "text_encode's held-out ids (.npy)")
    parser.path("model", "text_train's model (.keras)")
    parser.path("history", "text_train's history per epoch (CSV)")
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

    with all_or_nothing(args.metrics, args.figure):
        model = inference.load_model(args.model)
        metrics = evaluate(model, ids, meta["window"], sequence=kind == "many_to_many")
        write_json(args.metrics, {split: metrics})
        figures.history_figure(args.figure, figures.read_history(args.history), name)
    print(f"{stage}: {scoring.summary(split, metrics)}")


if __name__ == "__main__":
    run(main)
