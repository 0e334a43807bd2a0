"""The scalings of the series models: a ``Transform`` turns raw windows into what the network
reads and its output back into the target's units, fitted on the training part only:
  value       the values as they are (the lecture's sine);
  price       each column min-max scaled to [0, 1] on the training part, the next value
              scaled the same way (what the stock tutorials do);
  log_return  log(x[t] / x[t-1]) of each column, standardised on the training part; the
              network predicts the next log return and the price is last * exp(return).
Written by hand rather than with a scikit-learn scaler: it is three lines per kind, it is
saved as JSON beside the model (no pickle), and the served forecaster applies it without
scikit-learn.

Also here: what each target makes of a model in a few words (``FORMULATIONS``), the checks of a
saved transform record (``check_record``) and of a log-return target's data
(``check_positive``). The windows themselves come from rnnlab/data/series.py (numpy only).
"""
import json
import math
import reprlib

import numpy as np

from rnnlab.core.errors import LabError
from rnnlab.core.outputs import read_json, reading
from rnnlab.data.limits import FLOAT32_MAX

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


def check_positive(kind, found, where):
    """LabError for a log-return target when the data stage ``found`` a value <= 0 (meta.json's
    ``non_positive``, over every part): checked before training, not after."""
    if kind == "log_return" and found:
        raise LabError(f"{where}.target log_return takes logs, but {found}; use target price, "
                       "or leave that column out")
