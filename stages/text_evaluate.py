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

Outputs: metrics/text_<variant>.json, reports/figures/text_<variant>.png. Logged into the
training run, beside the baselines' figures.
"""
from rnnlab import params
from rnnlab.charts import figures
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, read_json, write_json
from rnnlab.data import variants, vocab, windows
from rnnlab.data.windows import EVAL_BATCH
from rnnlab.forward import inference
from rnnlab.scores import ngram
from rnnlab.scores.scoring import Scores
from rnnlab.tracking import notes, runs


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


def baselines(split):
    """text_baselines' figures on the same split, named as the model's with the baseline's
    name after them (eval_val_accuracy_ngram), so the MLflow run shows both."""
    named = {"unigram": ngram.UNIGRAM, "ngram": ngram.NGRAM, "ceiling": ngram.CEILING}
    return {f"eval_{split}_{k}_{name}": val for name, path in named.items()
            for k, val in read_json(path)[split].items() if k != "windows"}


def main():
    v = variants.from_argv("text_evaluate", params.variants())
    stage, kind_key = f"text_evaluate@{v.name}", f"text_train.{v.name}.kind"
    kind = params.load(stage, kind_key)[kind_key]
    _, meta = vocab.load(vocab.VOCAB)
    split = vocab.scored_split(meta)
    ids = vocab.load_ids(split)

    with all_or_nothing(v.metrics, v.figure), runs.same_run(v.run, stage) as active:
        model = inference.load_model(v.model)
        metrics = evaluate(model, ids, meta["window"], sequence=kind == "many_to_many")
        write_json(v.metrics, {split: metrics})
        figures.history_figure(v.figure, figures.read_history(v.history), v.name)
        others = baselines(split)
        result = (f"{split} accuracy {metrics['accuracy']:.4f}, "
                  f"{metrics['bits_per_char']:.3f} bits/char over {metrics['windows']} windows")
        runs.log_evaluation(
            active, v.run, {f"eval_{split}_{k}": val for k, val in metrics.items()
                            if k != "windows"},
            baselines=others,
            figure=(v.figure, "figures/history.png"),
            result=f"{result}; baselines: n-gram {others[f'eval_{split}_accuracy_ngram']:.4f}, "
                   f"unigram {others[f'eval_{split}_accuracy_unigram']:.4f}, ceiling of the "
                   f"window {others[f'eval_{split}_accuracy_ceiling']:.4f}.",
            meaning=notes.TEXT_METRICS)
    print(f"{stage}: {result}")


if __name__ == "__main__":
    run(main)
