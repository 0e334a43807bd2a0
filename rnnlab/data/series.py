"""The series examples (the sine wave and the stock prices): one task, a window of a series ->
the next value, with one set of files and windows for both (numpy only).

A data stage writes a series as three contiguous parts in time, ``train``, ``val`` (may be
empty) and ``test``, each ``data/<series>/<part>.npz`` with ``time`` (seconds or dates),
``values`` (rows, columns; the first column is the target) and ``columns``, plus
``data/<series>/meta.json`` (columns, source, the MLflow experiment). Windows never let a
target of one part into another: a window's target is in the part it scores, its inputs are
the ``window`` rows before that target, which for ``val`` and ``test`` may reach back into
the parts before (those values were observed by then).

What the network reads of a window, and how its output becomes a price again, is the
model's scaling (rnnlab/data/scaling.py); what a series may be before it is written, its size
and its values, is checked by rnnlab/data/limits.py.

Every file of a series is named by ``Series`` below, the one place the code reads those paths;
dvc.yaml declares the same ones (see rnnlab/data/variants.py for how the two are held equal).
"""
import json
import sys
from dataclasses import dataclass

import numpy as np

from rnnlab.core.errors import LabError
from rnnlab.core.outputs import read_json, reading
from rnnlab.data import windows

PARTS = ("train", "val", "test")


TRAINING = ("layer", "units", "target", "optimizer", "learning_rate", "epochs", "batch_size",
            "patience", "seed")
"""The keys of a model's section that shape its training (the rest, ``data`` and ``horizon``,
choose its inputs and score it): what series_train declares, so that a new horizon retrains
nothing."""


@dataclass(frozen=True)
class Series:
    """The files of series model ``name``: the data it reads (``data/<data>/``, written by stage
    ``<data>_data``), its network, and what evaluating it writes. Its params: its section
    ``series.<name>`` and ``<data>_data.window``."""
    name: str  # 'sine', 'stock', 'stock_tutorial': its section of params.yaml's `series`
    data: str  # 'sine' or 'stock': the series it learns (its section's `data`)

    def part(self, name):
        return f"data/{self.data}/{name}.npz"

    @property
    def meta(self):
        return f"data/{self.data}/meta.json"

    @property
    def train_section(self):
        return f"series.{self.name}"

    @property
    def training_keys(self):
        """The dotted keys of its section that series_train reads (``TRAINING``)."""
        return [f"{self.train_section}.{key}" for key in TRAINING]

    @property
    def window_key(self):
        return f"{self.data}_data.window"

    @property
    def model(self):
        return f"models/{self.name}.keras"

    @property
    def untrained(self):
        """The network as initialised (seeded), before training: the lecture's 'before'."""
        return f"models/{self.name}_untrained.keras"

    @property
    def transform(self):
        return f"models/{self.name}_transform.json"

    @property
    def history(self):
        return f"plots/{self.name}_history.csv"

    @property
    def run(self):
        return f"runs/{self.name}.json"

    @property
    def metrics(self):
        return f"metrics/{self.name}.json"

    @property
    def train_plot(self):
        return f"plots/{self.name}_train.csv"

    @property
    def test_plot(self):
        return f"plots/{self.name}_test.csv"

    @property
    def forecast_plot(self):
        return f"plots/{self.name}_forecast.csv"

    @property
    def figure(self):
        return f"reports/figures/{self.name}.png"

    @property
    def strategy_metrics(self):
        return f"metrics/{self.name}_strategy.json"

    @property
    def equity_plot(self):
        return f"plots/{self.name}_equity.csv"

    @property
    def strategy_figure(self):
        return f"reports/figures/{self.name}_strategy.png"

    @property
    def walkforward_metrics(self):
        return f"metrics/{self.name}_walkforward.json"

    @property
    def walkforward_plot(self):
        return f"plots/{self.name}_walkforward.csv"

    @property
    def walkforward_figure(self):
        return f"reports/figures/{self.name}_walkforward.png"


TEST_KEYS = {"sine": "sine_data.held_out", "stock": "stock_data.test"}
"""The key that sizes each data's test part (named where the test part is too short)."""


def defined(models):
    """``{name: Series}`` of params.yaml's ``series`` section ``models`` ({name: its section}),
    in its order."""
    return {name: Series(name, section["data"]) for name, section in models.items()}


def from_argv(module, models):
    """The series model named on the command line of ``python -m stages.<module> <name>``, one
    of ``models`` (params.yaml's ``series``: {name: its section})."""
    if len(sys.argv) != 2 or sys.argv[1] not in models:
        raise LabError(f"usage: python -m stages.{module} {{{'|'.join(models)}}} (the models of "
                       "params.yaml's series)")
    return defined(models)[sys.argv[1]]


# ---- the parts on disk ----

def part_files(args, names=PARTS):
    """{part: its file} of ``names``, in order, from a stage's command line (its options
    ``--train``, ``--val``, ``--test``: rnnlab/core/arguments.py)."""
    return {name: getattr(args, name) for name in names}


def save_parts(files, meta_file, times, values, columns, sizes, **meta):
    """Write the parts of sizes (train, val, test) in order, each to its file of ``files``
    ({part: path}), and the meta record to ``meta_file``."""
    parts, start = {}, 0
    for name, size in zip(PARTS, sizes):
        parts[name] = {"time": times[start:start + size], "values": values[start:start + size]}
        np.savez(files[name], **parts[name], columns=np.asarray(columns))
        start += size
    with open(meta_file, "w", encoding="utf-8") as f:
        json.dump({"columns": list(columns), **meta,
                   "non_positive": non_positive(parts, columns)}, f, indent=2)
        f.write("\n")


def load_parts(series, names=PARTS):
    """{part: {'time': ..., 'values': ...}} for ``names``."""
    parts = {}
    for name in names:
        with reading(series.part(name)), np.load(series.part(name), allow_pickle=False) as data:
            parts[name] = {"time": data["time"], "values": data["values"]}
    return parts


def above_training(parts):
    """(the training part's maximum, the test part's) of the target column when the test part
    goes above anything the training part holds, else None: where min-max scaled prices leave
    the range the network saw (series_evaluate's figure title and the report say so)."""
    top, high = (float(parts[name]["values"][:, 0].max()) for name in ("train", "test"))
    return (top, high) if high > top else None


def missing_params(meta):
    """What the data stage did with rows that had empty cells (stock_data.missing), as run
    params: {'missing': 'ffill', 'missing_rows': 3}; {} for a series without such a record."""
    missing = meta.get("missing")
    return {"missing": missing["rule"], "missing_rows": missing["rows"]} if missing else {}


def load_meta(series):
    meta = read_json(series.meta)
    with reading(series.meta):
        meta["columns"], meta["non_positive"]  # noqa: B018 (a record a data stage wrote)
    return meta


def joined(parts):
    """The parts one after another: times, values, and where each part starts and stops."""
    bounds, start = {}, 0
    for name, part in parts.items():
        bounds[name] = (start, start + len(part["values"]))
        start += len(part["values"])
    return (np.concatenate([p["time"] for p in parts.values()]),
            np.concatenate([p["values"] for p in parts.values()]), bounds)


def part_windows(parts, name, window):
    """The windows of part ``name`` of ``parts`` (loaded in order): a training window lies
    inside the training part; a later part's windows may start in the parts before it."""
    _, values, bounds = joined(parts)
    start, stop = bounds[name]
    return windows.rows_before(values, max(start, window), stop, window)


def non_positive(parts, columns):
    """Where the first value <= 0 of any part is, in words ("column 'Volume' is 0 at
    1987-03-02 (train part)"), or None: a log return cannot be taken there."""
    for name, part in parts.items():
        bad = np.argwhere(part["values"] <= 0)
        if len(bad):
            row, col = bad[0]
            return (f"column {columns[col]!r} is {part['values'][row, col]:g} at "
                    f"{part['time'][row]} ({name} part)")
    return None
