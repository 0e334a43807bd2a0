"""Next-sample predictors for a series and multi-step forecasts (numpy only).

A predictor maps windows (n, window) to the value after each (n,). Beside the trained RNN:
persistence (the last value) and AR(2), a least-squares fit of x[t] = a1 x[t-1] + a2 x[t-2] + c,
which is exact for a clean sine: sin(w(t)) = 2 cos(w) sin(w(t-1)) - sin(w(t-2)).
"""
import numpy as np

LABELS = {"model": "SimpleRNN", "untrained": "untrained", "persistence": "persistence",
          "ar2": "AR(2)"}
"""How the report and the figure name each predictor of metrics/sine.json."""


def persistence(X):
    """Tomorrow is today: the last value of each window."""
    return np.asarray(X)[:, -1]


def fit_ar2(X, y):
    """Least-squares (a1, a2, c) from the last two values of each window; needs window >= 2."""
    X = np.asarray(X, dtype=np.float64)
    design = np.column_stack([X[:, -1], X[:, -2], np.ones(len(X))])
    coef, *_ = np.linalg.lstsq(design, np.asarray(y, dtype=np.float64), rcond=None)
    return coef


def ar2(coef):
    """The AR(2) predictor with coefficients ``coef`` from fit_ar2."""
    a1, a2, c = coef
    return lambda X: a1 * np.asarray(X)[:, -1] + a2 * np.asarray(X)[:, -2] + c


def autoregress(predict, context, steps):
    """``steps`` values after ``context`` (1-D, at least one window long), each predicted from
    the window before it, with the predictions fed back in place of observations."""
    values = list(np.asarray(context, dtype=np.float64))
    window = len(values)
    for _ in range(steps):
        values.append(float(predict(np.array([values[-window:]]))[0]))
    return np.array(values[window:])


def repeats(windows, seen, decimals=9):
    """The fraction of ``windows`` (rows: inputs and target) that also occur among the rows of
    ``seen`` (to ``decimals`` places): held-out windows a model may simply have memorised."""
    def keys(rows):
        return [row.tobytes() for row in np.round(np.asarray(rows, dtype=np.float64), decimals) + 0.0]

    known = set(keys(seen))  # (+ 0.0 turns -0.0 into 0.0, so both give the same key)
    return float(np.mean([key in known for key in keys(windows)]))


def errors(y, predictions):
    """{'mse': {name: ...}, 'mae': {name: ...}} of each prediction array against ``y``: one
    metric's methods side by side (``dvc metrics show`` keeps their keys together)."""
    y = np.asarray(y, dtype=np.float64)
    return {"mse": {name: float(np.mean((y - p) ** 2)) for name, p in predictions.items()},
            "mae": {name: float(np.mean(np.abs(y - p))) for name, p in predictions.items()}}
