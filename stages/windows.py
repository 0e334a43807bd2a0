"""Supervised windows over a 1-D series (numpy only: the data stages import this)."""
import numpy as np


def next_step(series, window):
    """Inputs of ``window`` values and the value that follows each (the lecture's windows).

    For a series of length N: X has shape (N - window, window), y has shape (N - window,).
    X[i] = series[i : i + window] and y[i] = series[i + window].
    """
    pairs = _windows(series, window)
    return pairs[:, :-1], pairs[:, -1]


def shifted(series, window):
    """Inputs of ``window`` values and the same window shifted by one (many-to-many):
    X[i] = series[i : i + window], Y[i] = series[i + 1 : i + window + 1]."""
    pairs = _windows(series, window)
    return pairs[:, :-1], pairs[:, 1:]


def _windows(series, window):
    series = np.asarray(series)
    if series.ndim != 1:
        raise ValueError(f"series must be 1-D, got shape {series.shape}")
    if window < 1 or len(series) < window + 1:
        raise ValueError(f"a series of {len(series)} values has no window of {window} + 1")
    # A read-only view, not a copy: no (N, window) array is materialised here.
    return np.lib.stride_tricks.sliding_window_view(series, window + 1)
