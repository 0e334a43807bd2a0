"""The MLflow names the pipeline gives after its data files: an experiment per data file, a
registered model per served model; on a shared server, each student's own (``owned``).

The stock prices' experiment name is also written into data/stock/meta.json (stock_data),
which the series stages read it from: this module shapes that output.
"""
import os
import re

OWNER = "MLFLOW_TRACKING_USERNAME"
"""Who logs: set, with MLFLOW_TRACKING_PASSWORD, for a tracking server with accounts."""


SINE = "sine"
"""The sine wave's experiment (it has no data file to be named after)."""


def experiment(path, default):
    """An MLflow experiment named after a data file: its name without the extension, in lower
    case, other characters than letters and digits as '-' ('data/msft.csv' -> 'msft',
    'data/Moby Dick.txt' -> 'moby-dick'); ``default`` if nothing is left."""
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-") or default


def text_experiment(corpus):
    """The experiment of the character models trained on ``corpus`` ('data/sixpence.txt' ->
    'sixpence')."""
    return experiment(corpus, "text")


def owned(name):
    """``name`` as the MLflow experiment or registered model of whoever logs: 'alice-msft' when
    MLFLOW_TRACKING_USERNAME is 'alice' (a class's server: everyone reads everything, and each
    student MANAGEs, so edits, only what they created, so two students must never need the
    same name), ``name`` itself when it is not set (the project's own mlflow.db)."""
    user = os.environ.get(OWNER, "").strip()
    return f"{user}-{name}" if user else name


def generator(corpus, variant):
    """The served text generator of ``variant`` in the registry: 'sixpence-many-to-one'
    ('alice-sixpence-many-to-one' for alice on a class's server)."""
    return owned(f"{text_experiment(corpus)}-{variant.replace('_', '-')}")


def forecaster(experiment_name, model=None):
    """The served forecaster of a series model (rnnlab/data/series.py: Series) in the registry:
    '<experiment>-forecaster' for the model named after its data ('msft-forecaster'), else the
    rest of its name in between ('stock_tutorial' -> 'msft-tutorial-forecaster')."""
    extra = "" if model is None else model.name.removeprefix(model.data).strip("_")
    return owned("-".join(part for part in (experiment_name, extra.replace("_", "-"), "forecaster")
                          if part))
