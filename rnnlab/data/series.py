"""The series examples (the sine wave and the stock prices): one task, a window of a series ->
the next value, with one set of files and windows for both (numpy only).

A data stage writes a series as three contiguous parts in time, ``train``, ``val`` (may be
empty) and ``test``, each a ``.npz`` with ``time`` (seconds or dates), ``values`` (rows,
columns; the first column is the target) and ``columns``, plus a meta record (JSON: columns,
source, the MLflow experiment). Windows never let a target of one part into another: a
window's target is in the part it scores, its inputs are the ``window`` rows before that
target, which for ``val`` and ``test`` may reach back into the parts before (those values
were observed by then).

What the network reads of a window, and how its output becomes a price again, is the
model's scaling (rnnlab/data/scaling.py); what a series may be before it is written, its size
and its values, is checked by rnnlab/data/limits.py.

No path is named here: the functions below take the files they read or write as parameters,
and the stages take them from their cmd in dvc.yaml (``--train data/sine/train.npz``, one
option per part: ``part_files``).
"""
import json
from dataclasses import dataclass

import numpy as np

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
    """Series model ``name`` and the series ``data`` it learns (written by stage
    ``<data>_data``). Its params: its section ``series.<name>`` and ``<data>_data.window``. Its
    files are named by its stages' cmds in dvc.yaml."""
    name: str  # 'sine', 'stock', 'stock_tutorial': its section of params.yaml's `series`
    data: str  # 'sine' or 'stock': the series it learns (its section's `data`)

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


TEST_KEYS = {"sine": "sine_data.held_out", "stock": "stock_data.test"}
"""The key that sizes each data's test part (named where the test part is too short)."""


def defined(models):
    """``{name: Series}`` of params.yaml's ``series`` section ``models`` ({name: its section}),
    in its order."""
    return {name: Series(name, section["data"]) for name, section in models.items()}


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


def load_parts(files):
    """{part: {'time': ..., 'values': ...}} of ``files`` ({part: path}), in its order."""
    parts = {}
    for name, path in files.items():
        with reading(path), np.load(path, allow_pickle=False) as data:
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


def load_meta(path):
    """The meta record at ``path``, as its data stage wrote it."""
    meta = read_json(path)
    with reading(path):
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
