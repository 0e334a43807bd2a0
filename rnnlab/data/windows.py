"""Supervised windows over a 1-D series (numpy only: the data stages import this).

A window of ``window + 1`` consecutive values holds an input and its target; the split
functions work on numpy arrays and on TensorFlow batches alike (they only slice the last axis).
"""
import numpy as np

EVAL_BATCH = 1024  # windows per batch when only predicting (held-out scores): no gradients


def split_next_step(pairs):
    """(..., window + 1) -> inputs (..., window) and the value after them (...,): the lecture's."""
    return pairs[..., :-1], pairs[..., -1]


def split_shifted(pairs):
    """(..., window + 1) -> inputs (..., window) and the same window shifted by one (many-to-many)."""
    return pairs[..., :-1], pairs[..., 1:]


def next_step(series, window):
    """Inputs of ``window`` values and the value that follows each (the lecture's windows).

    For a series of length N: X has shape (N - window, window), y has shape (N - window,).
    X[i] = series[i : i + window] and y[i] = series[i + window].
    """
    return split_next_step(pairs(series, window))


def shifted(series, window):
    """Inputs of ``window`` values and the same window shifted by one (many-to-many):
    X[i] = series[i : i + window], Y[i] = series[i + 1 : i + window + 1]."""
    return split_shifted(pairs(series, window))


def pairs(series, window):
    """Every run of ``window + 1`` consecutive values: (N - window, window + 1)."""
    series = np.asarray(series)
    if series.ndim != 1:
        raise ValueError(f"series must be 1-D, got shape {series.shape}")
    if window < 1 or len(series) < window + 1:
        raise ValueError(f"a series of {len(series)} values has no window of {window} + 1")
    # A read-only view, not a copy: no (N, window) array is materialised here.
    return np.lib.stride_tricks.sliding_window_view(series, window + 1)


def rows_before(values, start, stop, window):
    """Windows of a table of rows (N, columns): for each target row start .. stop-1, the
    ``window`` rows before it (n, window, columns) and its first column (n,); start >= window.
    A view, like ``pairs``."""
    if start < window:
        raise ValueError(f"a target at row {start} has fewer than {window} rows before it")
    runs = np.lib.stride_tricks.sliding_window_view(values, window + 1, axis=0)  # (N-w, cols, w+1)
    runs = runs[start - window:stop - window].transpose(0, 2, 1)
    return runs[:, :-1], runs[:, -1, 0]


def split_at(series, held_out, gap):
    """The series cut in two contiguous parts, in order: the first ``len - held_out - gap``
    values, then ``gap`` values left out, then the last ``held_out`` values. Windows built
    from one part never contain a value of the other: nothing leaks across the cut."""
    series = np.asarray(series)
    if held_out < 0 or gap < 0 or held_out + gap > len(series):
        raise ValueError(f"cannot hold out {held_out} + a gap of {gap} of {len(series)} values")
    cut = len(series) - held_out
    return series[:cut - gap], series[cut:]
