"""The MLflow names the pipeline gives after its data files: an experiment per data file, a
registered model per served model.

The stock prices' experiment name is also written into data/stock/meta.json (stock_data),
which the series stages read it from: this module shapes that output.
"""
import os
import re


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


def generator(corpus, variant):
    """The served text generator of ``variant`` in the registry: 'sixpence-many-to-one'."""
    return f"{text_experiment(corpus)}-{variant.replace('_', '-')}"


def forecaster(experiment_name):
    """The served forecaster of a series' experiment in the registry: 'msft-forecaster'."""
    return f"{experiment_name}-forecaster"
