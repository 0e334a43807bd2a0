"""Examples 2 and 3: the character models on the text, each beside the n-gram and unigram
baselines and the ceiling of its window, then each model's figure and generated samples."""
from rnnlab.report import samples
from rnnlab.report.markdown import fmt, run_line, table

COLUMNS = ("loss", "accuracy", "bits_per_char", "perplexity")
"""The scores of metrics/text_<variant>.json the table shows, in its order."""


def where(meta, split):
    """What the models are scored on, in words: the held-out end of the text, or all of it."""
    sizes = meta["split"]
    if split == "val":
        return (f"the last {sizes['val']} characters, held out (after a gap of {sizes['gap']}; "
                f"{sizes['train']} train)")
    return (f"the training text, all {sizes['train']} characters (text_encode.val is 0, "
            "as in the lecture)")


def scores_table(scored, ceiling, window):
    """A row per predictor of ``scored`` ({name: its scores}, the models then the baselines;
    a many-to-many model also at every position of its window), then the ``ceiling``."""
    rows = []
    for name, m in scored.items():
        rows.append([name] + [fmt(m[k]) for k in COLUMNS])
        if "sequence_accuracy" in m:  # a many-to-many model, also scored at every position
            rows.append([f"{name}, every position of the window"]
                        + [fmt(m[f"sequence_{k}"]) for k in COLUMNS])
    rows.append([f"ceiling of a {window}-character window (oracle)", "–", fmt(ceiling["accuracy"]),
                 "–", "–"])
    return table(rows, ["predictor", "loss", "accuracy", "bits/char", "perplexity"])


def model_part(name, model):
    """A model's figure, its samples as the .txt file holds them, and its MLflow run;
    ``model``: 'figure' (its path from reports/), 'samples' (the records of its samples
    JSON), 'run' (runs/text_<name>.json)."""
    lines = samples.page(model["samples"]).rstrip("\n")
    return [f"\n### {name}\n",
            f"![{name}: loss and accuracy per epoch]({model['figure']})\n",
            "Samples (prompt -> prompt + generated), at each temperature:\n",
            f"```\n{lines}\n```\n",
            run_line(model["run"])]


def section(meta, split, models, ngram, unigram, ceiling):
    """The section: ``meta`` data/text/vocab.json, ``split`` the split scored ('train' or
    'val'), ``models`` {name: 'scores' (its metrics of that split) and what ``model_part``
    reads}, ``ngram`` metrics/text_ngram.json, ``unigram`` and ``ceiling`` the split's scores
    of metrics/text_unigram.json and text_ceiling.json."""
    window = meta["window"]
    windows = next(iter(models.values()))["scores"]["windows"]
    order, asked = ngram["order"], ngram["order_asked"]
    scored = {name: m["scores"] for name, m in models.items()}
    scored[f"{order}-character n-gram baseline"] = ngram[split]
    scored["unigram baseline"] = unigram
    parts = [f"## Examples 2 and 3: character LSTMs on `{meta['corpus']}`\n",
             f"{meta['characters']} characters, a vocabulary of {len(meta['chars'])}, windows of "
             f"{window}. Scored on {where(meta, split)}: the character after each full window, "
             f"{windows} windows (a many-to-many model also at every "
             "position of the window, its training objective: the early positions see little "
             "context, so that accuracy, the one its training curve shows, is lower). "
             "Loss in nats; bits per character and "
             "perplexity: lower is better. The n-gram baseline predicts from the previous "
             f"{order} characters (`text_baselines.ngram_order`"
             + (f" asks for {asked}, more than the window of {window}: a baseline "
                "sees no more than the models" if order < asked else "")
             + "), counted in the training text. "
             "The ceiling is "
             "an oracle's: the best accuracy any function of the window fitted to the scored "
             f"text itself could reach; {ceiling['determined']:.1%} of its windows are always "
             "followed by the same character (on little or rare text that is most of them, and "
             "the ceiling nears 1).\n",
             scores_table(scored, ceiling, window)]
    for name, model in models.items():
        parts += model_part(name, model)
    return parts
