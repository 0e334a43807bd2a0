"""What a series may be before anything trains on it: windows that fit in this machine's memory
(``check_size``, from ``physical_memory``, which rnnlab/data/prices.py and adding.py also bound
their own sizes with), and values that are finite float32 numbers, the numbers Keras trains in
(``check_float32``, ``FLOAT32_MAX``, the range rnnlab/data/scaling.py also holds a model's
inputs to). The data stages check both, so that a mistake in params.yaml or in a CSV is one line
naming it, not a MemoryError or a failure much later in training (numpy only).
"""
import numpy as np

from rnnlab.core.errors import LabError

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
