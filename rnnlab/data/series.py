"""The series examples (the sine wave and the stock prices): one task, a window of a series ->
the next value, with one set of files, windows and scalings for both (numpy only).

A data stage writes a series as three contiguous parts in time, ``train``, ``val`` (may be
empty) and ``test``, each ``data/<series>/<part>.npz`` with ``time`` (seconds or dates),
``values`` (rows, columns; the first column is the target) and ``columns``, plus
``data/<series>/meta.json`` (columns, source, the MLflow experiment). Windows never let a
target of one part into another: a window's target is in the part it scores, its inputs are
the ``window`` rows before that target, which for ``val`` and ``test`` may reach back into
the parts before (those values were observed by then).

A ``Transform`` turns raw windows into what the network reads and its output back into the
target's units, fitted on the training part only:
  value       the values as they are (the lecture's sine);
  price       each column min-max scaled to [0, 1] on the training part, the next value
              scaled the same way (what the stock tutorials do);
  log_return  log(x[t] / x[t-1]) of each column, standardised on the training part; the
              network predicts the next log return and the price is last * exp(return).
Written by hand rather than with a scikit-learn scaler: it is three lines per kind, it is
saved as JSON beside the model (no pickle), and the served forecaster applies it without
scikit-learn.

Every file of a series is named by ``Series`` below, the one place the code reads those paths;
dvc.yaml declares the same ones (see rnnlab/data/variants.py for how the two are held equal).
"""
import json
import math
import reprlib
import sys
from dataclasses import dataclass

import numpy as np

from rnnlab.core.errors import LabError
from rnnlab.core.outputs import read_json, reading
from rnnlab.data import windows

PARTS = ("train", "val", "test")


@dataclass(frozen=True)
class Series:
    """The files of series model ``name``: the data it reads (``data/<data>/``, written by stage
    ``<data>_data``), its network, and what evaluating it writes. Its params: the sections
    ``<name>_train``, ``<data>_data`` (the window) and ``<data>_evaluate``."""
    name: str  # 'sine', 'stock', 'stock_tutorial': the key of the series stages' foreach
    data: str  # 'sine' or 'stock': the series it learns (two stock models read one series)

    def part(self, name):
        return f"data/{self.data}/{name}.npz"

    @property
    def meta(self):
        return f"data/{self.data}/meta.json"

    @property
    def train_section(self):
        return f"{self.name}_train"

    @property
    def window_key(self):
        return f"{self.data}_data.window"

    @property
    def evaluate_section(self):
        return f"{self.data}_evaluate"

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


SERIES = {"sine": Series("sine", "sine"),                      # the lecture's SimpleRNN
          "stock": Series("stock", "stock"),                    # the lab's: scale-free
          "stock_tutorial": Series("stock_tutorial", "stock")}  # the tutorials': min-max prices
"""Every series model, as dvc.yaml's series stages list them (``foreach``)."""


def from_argv(module):
    """The series named on the command line of ``python -m stages.<module> <series>``."""
    if len(sys.argv) != 2 or sys.argv[1] not in SERIES:
        raise LabError(f"usage: python -m stages.{module} {{{'|'.join(SERIES)}}}")
    return SERIES[sys.argv[1]]


# ---- what a series may be ----

WINDOW_COPIES = 4
"""Copies of the windows, in float64, that training holds at its peak (the windows, their
scaled inputs, the tensors Keras makes of them, a batch or two): the basis of check_size."""


def physical_memory():
    """This machine's memory in bytes; None where the system does not say (not Linux/macOS)."""
    import os

    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_size(rows, window, columns, keys):
    """LabError, before anything is allocated, if the windows of ``rows`` rows of ``columns``
    values would need more than half of this machine's memory to train on; ``keys`` names
    the params that set the size."""
    need = rows * window * columns * 8 * WINDOW_COPIES
    have = physical_memory()
    if have is None:  # no limit known
        return
    if need > have // 2:  # integers: a count of hundreds of digits overflows a float
        raise LabError(f"params.yaml: {keys} make {rows:,} rows in windows of {window}: training "
                       f"on them needs ~{need // 2**30:,} GiB, more than half of this machine's "
                       f"{have / 2**30:,.1f} GiB")


FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32(values, keys):
    """LabError if a value of the series is NaN, infinite, or too large for the float32 that
    Keras trains in (|v| > 3.4e38) (``keys``: the params or file to change)."""
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(values) & (np.abs(values) <= FLOAT32_MAX)
    bad = np.flatnonzero(~ok.all(axis=-1) if np.ndim(values) > 1 else ~ok)
    if len(bad):
        raise LabError(f"the series has a value that is not a finite float32 number (|v| <= "
                       f"3.4e38) at row {bad[0]}: change {keys}")


# ---- the parts on disk ----

def save_parts(series, times, values, columns, sizes, **meta):
    """Write the parts of sizes (train, val, test) in order, and the meta record."""
    parts, start = {}, 0
    for name, size in zip(PARTS, sizes):
        parts[name] = {"time": times[start:start + size], "values": values[start:start + size]}
        np.savez(series.part(name), **parts[name], columns=np.asarray(columns))
        start += size
    with open(series.meta, "w", encoding="utf-8") as f:
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


# ---- scaling ----

TARGETS = ("value", "price", "log_return")

FORMULATIONS = {
    "value": "lecture: the values as they are",
    "price": "tutorial: prices min-max scaled on the training part",
    "log_return": "scale-free: the next log return",
}
"""What each target makes of a model, in a few words (its run's tag ``lab.formulation``, the
report's tables)."""


class Transform:
    """Raw windows -> network inputs, next value -> network target, and back (see above).
    A raw window is ``window`` rows of the series' columns as the data stage wrote them:
    ``raw`` below is (n, window, columns)."""

    def __init__(self, kind, shift, scale):
        if kind not in TARGETS:
            raise ValueError(f"unknown target {kind!r}")
        self.kind, self.shift, self.scale = kind, np.asarray(shift, float), np.asarray(scale, float)

    @classmethod
    def fit(cls, kind, train_values):
        """Fitted on the training part's rows only: nothing of val or test leaks into it."""
        x = np.asarray(train_values, dtype=np.float64)
        if kind == "value":
            return cls(kind, np.zeros(x.shape[1]), np.ones(x.shape[1]))
        if kind == "price":
            lo, hi = x.min(axis=0), x.max(axis=0)
            return cls(kind, lo, _nonzero(hi - lo))
        returns = np.log(x[1:] / x[:-1])
        return cls(kind, returns.mean(axis=0), _nonzero(returns.std(axis=0)))

    def steps(self, window):
        """How many steps the network reads from a window of ``window`` rows."""
        return window - 1 if self.kind == "log_return" else window

    def inputs(self, raw):
        """(n, window, columns) raw windows -> (n, steps, columns) float32 network inputs."""
        return self.scaled(raw).astype(np.float32)

    def scaled(self, raw):
        """The network inputs of ``raw`` in float64, before they are cast to float32."""
        raw = np.asarray(raw, dtype=np.float64)
        if self.kind == "log_return":
            raw = np.log(raw[:, 1:] / raw[:, :-1])
        return (raw - self.shift) / self.scale

    def limits(self):
        """(low, high) per column: the raw values this transform maps into float32's range, and
        within that range themselves (what training accepts: ``check_float32``). A log-return
        model's values must also be > 0 (``low`` is the smallest positive float64 then)."""
        with np.errstate(over="ignore"):
            if self.kind == "log_return":
                return (np.full_like(self.shift, np.nextafter(0.0, 1.0)),
                        np.full_like(self.shift, FLOAT32_MAX))
            return (np.maximum(self.shift - FLOAT32_MAX * self.scale, -FLOAT32_MAX),
                    np.minimum(self.shift + FLOAT32_MAX * self.scale, FLOAT32_MAX))

    def check_window(self, rows, columns):
        """LabError naming the column, the row and the range unless the raw window ``rows``
        (window, columns), as a client sends it, gives a number this model computes: every
        value finite and within ``limits`` (float32's range; > 0 for log returns), and every
        network input, after the transform, finite in float32 too (a log return of two
        values whose ratio overflows, a spread scaled past 3.4e38)."""
        rows = np.asarray(rows, dtype=np.float64)
        low, high = self.limits()
        with np.errstate(invalid="ignore"):
            bad = ~((rows >= low) & (rows <= high))  # NaN: bad
        if bad.any():
            row, col = np.argwhere(bad)[0]
            wanted = (f"> 0 and <= {FLOAT32_MAX:.4g} (a log-return model takes logs)"
                      if self.kind == "log_return" else
                      f"from {low[col]:.4g} to {high[col]:.4g}")
            raise LabError(f"column {columns[col]!r} is {rows[row, col]:g} in row {row + 1} of "
                           f"{len(rows)}: this model computes with finite float32 numbers "
                           f"{wanted}")
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            z = self.scaled(rows[np.newaxis])[0]
            bad = ~(np.abs(z) <= FLOAT32_MAX)
        if bad.any():
            step, col = np.argwhere(bad)[0]
            what = (f"the log return of rows {step + 1} and {step + 2} "
                    f"({rows[step, col]:g} -> {rows[step + 1, col]:g})"
                    if self.kind == "log_return" else f"row {step + 1} ({rows[step, col]:g})")
            raise LabError(f"column {columns[col]!r}: {what}, scaled as the model was trained, is "
                           f"{z[step, col]:g}, beyond float32's range (|x| <= {FLOAT32_MAX:.4g}): "
                           "send values nearer the ones it trained on")

    def check_forecast(self, values, column):
        """LabError naming the target ``column`` if a forecast (n,) is not a finite float32
        number (the network overflowed inside, or a price times exp(return) passed 3.4e38)."""
        values = np.asarray(values, dtype=np.float64)
        bad = ~(np.abs(values) <= FLOAT32_MAX)
        if bad.any():
            raise LabError(f"column {column!r}: the forecast from these rows is "
                           f"{values[bad][0]:g}, not a finite float32 number (|x| <= "
                           f"{FLOAT32_MAX:.4g}): send values nearer the ones the model trained on")

    def targets(self, raw, y):
        """The network's target for the value ``y`` (n,) after each raw window."""
        y = np.asarray(y, dtype=np.float64)
        if self.kind == "log_return":
            y = np.log(y / np.asarray(raw)[:, -1, 0])
        return ((y - self.shift[0]) / self.scale[0]).astype(np.float32)

    def to_units(self, raw, out):
        """The network's outputs (n,) after the raw windows, back in the target's units (a
        price, not a return): the inverse of ``targets``."""
        out = np.asarray(out, dtype=np.float64) * self.scale[0] + self.shift[0]
        if self.kind == "log_return":
            return np.asarray(raw, dtype=np.float64)[:, -1, 0] * np.exp(out)
        return out

    def to_json(self):
        return {"target": self.kind, "shift": self.shift.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_json(cls, data):
        return cls(data["target"], data["shift"], data["scale"])

    def save(self, path, **extra):
        """As JSON, with ``extra`` facts beside it (the window and columns, for serving)."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump({**self.to_json(), **extra}, f, indent=2)
            f.write("\n")

    @classmethod
    def load(cls, path):
        """The transform and the whole record saved with it (window, columns); LabError naming
        the file and the key if the record is not one series_train writes (``check_record``):
        a zero scale would divide by zero, and be blamed on training much later."""
        record = read_json(path)
        with reading(path):  # a ValueError below: "<path> is unreadable or corrupt (...)"
            check_record(record)
            return cls.from_json(record), record


def check_record(record):
    """ValueError naming the key unless ``record`` is a transform record a model can use: a
    known 'target'; 'columns' distinct names; 'shift' finite numbers and 'scale' finite numbers
    > 0, one per column; 'window' an integer >= 1 (>= 2 for log returns, which read one step
    fewer)."""
    if not isinstance(record, dict):
        raise ValueError(f"not a transform record (a JSON object with {', '.join(RECORD_KEYS)}), "
                         f"got {type(record).__name__}")
    for key in RECORD_KEYS:
        if key not in record:
            raise ValueError(f"key {key!r} is missing")
    if record["target"] not in TARGETS:
        raise ValueError(f"key 'target' must be one of {', '.join(map(repr, TARGETS))}, "
                         f"got {reprlib.repr(record['target'])}")
    columns = record["columns"]
    if (not isinstance(columns, list) or not columns
            or not all(isinstance(c, str) and c for c in columns)
            or len(set(columns)) != len(columns)):
        raise ValueError(f"key 'columns' must be a list of distinct column names, "
                         f"got {reprlib.repr(columns)}")
    for key, least in (("shift", None), ("scale", 0.0)):
        numbers = record[key]
        if (not isinstance(numbers, list) or len(numbers) != len(columns)
                or not all(_finite(v) and (least is None or v > least) for v in numbers)):
            rule = "finite numbers" if least is None else "finite numbers > 0"
            raise ValueError(f"key {key!r} must be a list of {len(columns)} {rule} (one per "
                             f"column), got {reprlib.repr(numbers)}")
    window, least = record["window"], 2 if record["target"] == "log_return" else 1
    if not isinstance(window, int) or isinstance(window, bool) or window < least:
        raise ValueError(f"key 'window' must be an integer >= {least}, got {reprlib.repr(window)}")


RECORD_KEYS = ("target", "shift", "scale", "window", "columns")
"""The keys of a transform record (models/<model>_transform.json): ``to_json`` and the extras
series_train saves beside it."""


def _finite(value):
    """A JSON number that is finite (not a bool, a string, NaN or Infinity, which json reads)."""
    try:
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value))
    except OverflowError:  # an integer of hundreds of digits
        return False


def _nonzero(spread):
    """A column that does not vary on the training part scales by 1, not by 0."""
    return np.where(spread > 0, spread, 1.0)


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


def check_positive(kind, found, where):
    """LabError for a log-return target when the data stage ``found`` a value <= 0 (meta.json's
    ``non_positive``, over every part): checked before training, not after."""
    if kind == "log_return" and found:
        raise LabError(f"{where}.target log_return takes logs, but {found}; use target price, "
                       "or leave that column out")
