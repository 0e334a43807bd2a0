"""Next-value predictors for a series, fed-back forecasts and their scores (numpy only).

A predictor maps raw windows ``raw`` (n, window, columns: the rows as the data stage wrote
them) to the target's next value (n,); the target is column 0. Beside the trained network:
  persistence  tomorrow is today: the last value (a random walk's best guess);
  drift        the last value plus the training part's mean change per step;
  ar           a linear autoregression on the window's target values, x[t] = a . x[t-w:t] + c,
               fitted by least squares on the training windows (exact for a clean sine:
               sin(w t) = 2 cos(w) sin(w (t-1)) - sin(w (t-2))).
Scores: mse, rmse, mae, bias (mean error), mape (percent, where every target is positive),
Theil's U (rmse over persistence's: below 1 beats the random walk), directional accuracy (the
sign of the predicted change is the sign of the real one) beside the share of up steps, a
Diebold-Mariano test of each predictor against persistence, and the "lagged copy" check
(correlation with the series at lags -3..+3 days, and of predicted with actual changes). The test is written out here:
no package in the lock has it (statsmodels does not either); scipy gives the t distribution.
"""
import math

import numpy as np

from rnnlab.core.errors import LabError

NAMES = ("model", "untrained", "persistence", "drift", "ar")
"""The predictors, in the order tables and figures list them."""


LAYER_LABELS = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
"""How the tables and figures name each recurrent layer of ``<series>_train.layer``."""


def labels(layer, units, window):
    """How the report and the figures name each predictor: 'LSTM(32)', ..., 'AR(20)'."""
    return {"model": f"{LAYER_LABELS[layer]}({units})", "untrained": "untrained",
            "persistence": "persistence", "drift": "drift", "ar": f"AR({window})"}


def persistence(raw):
    return np.asarray(raw)[:, -1, 0]


def drift(train_values):
    """Persistence plus the mean step of the training part's target."""
    step = float(np.mean(np.diff(np.asarray(train_values, dtype=np.float64)[:, 0])))
    return lambda raw: persistence(raw) + step


def ar(raw, y):
    """The least-squares autoregression of ``y`` on the target values of the windows ``raw``."""
    design = np.column_stack([np.asarray(raw, dtype=np.float64)[:, :, 0], np.ones(len(raw))])
    coef, *_ = np.linalg.lstsq(design, np.asarray(y, dtype=np.float64), rcond=None)
    return lambda windows: np.asarray(windows, dtype=np.float64)[:, :, 0] @ coef[:-1] + coef[-1]


def autoregress(predict, context, steps):
    """``steps`` values after ``context`` (window, columns), each predicted from the window
    before it, the prediction fed back in place of the observation. Other columns than the
    target cannot be predicted: their last observed values are carried forward."""
    rows = [np.asarray(row, dtype=np.float64) for row in context]
    window, out = len(rows), []
    for _ in range(steps):
        value = float(predict(np.array([rows[-window:]]))[0])
        out.append(value)
        rows.append(np.concatenate([[value], rows[-1][1:]]))
    return np.array(out)


def repeats(raw, y, seen_raw, seen_y, decimals=9):
    """The fraction of windows (inputs and target) that also occur among ``seen``, to
    ``decimals`` places: held-out windows a model may simply have memorised."""
    def keys(raw, y):
        rows = np.column_stack([np.asarray(raw, dtype=np.float64).reshape(len(raw), -1), y])
        return [r.tobytes() for r in np.round(rows, decimals) + 0.0]  # + 0.0: -0.0 is 0.0

    known = set(keys(seen_raw, seen_y))
    return float(np.mean([k in known for k in keys(raw, y)]))


def scores(y, predictions):
    """{metric: {predictor: value}}: mse, rmse, mae, bias (the mean error, prediction - actual:
    below 0, the predictions sit below the series), mape (where every target is positive) and
    theil_u (against predictions['persistence'], where that has any error)."""
    y = np.asarray(y, dtype=np.float64)
    err = {name: y - np.asarray(p, dtype=np.float64) for name, p in predictions.items()}
    out = {"mse": {n: float(np.mean(e ** 2)) for n, e in err.items()}}
    out["rmse"] = {n: math.sqrt(v) for n, v in out["mse"].items()}
    out["mae"] = {n: float(np.mean(np.abs(e))) for n, e in err.items()}
    out["bias"] = {n: float(-np.mean(e)) for n, e in err.items()}  # mean(prediction - actual)
    if np.all(y > 0):
        out["mape"] = {n: float(100 * np.mean(np.abs(e) / y)) for n, e in err.items()}
    base = out["rmse"].get("persistence", 0.0)
    if base > 0:
        out["theil_u"] = {n: v / base for n, v in out["rmse"].items()}
    return out


def one_step(y, predictions, last):
    """``scores`` plus what needs the last observed value ``last`` of each window: the
    direction of the change, scored on the steps that moved (``flat_share`` did not: equal to
    9 significant digits), beside the share of those that went up, and a Diebold-Mariano
    p-value of each predictor against persistence."""
    y, last = np.asarray(y, dtype=np.float64), np.asarray(last, dtype=np.float64)
    out = scores(y, predictions)
    moved = ~np.isclose(y, last, rtol=1e-9, atol=0.0)
    if moved.any():
        sign = np.sign(y[moved] - last[moved])
        out["direction"] = {n: float(np.mean(np.sign(np.asarray(p)[moved] - last[moved]) == sign))
                            for n, p in predictions.items()}
        out["up_share"] = float(np.mean(sign > 0))
    out["flat_share"] = float(np.mean(~moved))
    if len(y) > 1:
        out["dm_pvalue"] = {n: diebold_mariano(y - np.asarray(p), y - last)[1]
                            for n, p in predictions.items() if n != "persistence"}
    return out


LAGS = range(-3, 4)
"""The lags, in steps, at which ``lag_correlations`` compares a prediction with the series."""


def lag_correlations(y, predicted, lags=LAGS):
    """{lag: r}: the correlation of the predictions with the actual series ``lag`` steps
    earlier, corr(predicted[t], y[t - lag]), for each lag. A forecaster that learnt "tomorrow
    is about today" peaks at lag +1 (it is yesterday's value, a day late); a perfect one at 0.
    On a trending price every r is near 1: where the peak is says more than its height.
    Lags where either side does not vary are left out."""
    y, predicted = np.asarray(y, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    out = {}
    for lag in lags:
        if abs(lag) >= len(y) - 1:
            continue
        a = predicted[max(lag, 0):len(y) + min(lag, 0)]
        b = y[max(-lag, 0):len(y) - max(lag, 0)]
        if np.std(a) > 0 and np.std(b) > 0:
            out[lag] = float(np.corrcoef(a, b)[0, 1])
    return out


def lag_scores(y, predictions, last):
    """The "lagged copy" check of each predictor: ``lag_corr`` {predictor: {lag: r}} (see
    ``lag_correlations``), ``peak_lag`` {predictor: the lag of the highest r}, and
    ``change_corr`` {predictor: r}, the correlation of the predicted change (prediction - last
    value) with the actual one: a lagged copy tracks the price on a chart and predicts no
    change at all. Predictors whose predicted change never varies (persistence, drift) have no
    ``change_corr``."""
    y, last = np.asarray(y, dtype=np.float64), np.asarray(last, dtype=np.float64)
    out = {"lag_corr": {}, "peak_lag": {}, "change_corr": {}}
    for name, p in predictions.items():
        by_lag = lag_correlations(y, p)
        if by_lag:
            out["lag_corr"][name] = {str(lag): r for lag, r in by_lag.items()}
            out["peak_lag"][name] = max(by_lag, key=lambda lag: (by_lag[lag], -abs(lag)))
        change = np.asarray(p, dtype=np.float64) - last
        if len(y) > 2 and np.std(change) > 1e-12 * max(1.0, np.abs(last).max()) and np.std(y - last) > 0:
            out["change_corr"][name] = float(np.corrcoef(change, y - last)[0, 1])
    return out


def diebold_mariano(e1, e2, horizon=1):
    """(statistic, two-sided p-value) of the Diebold-Mariano test that forecasts with errors
    ``e1`` and ``e2`` have the same mean squared error, with the Harvey-Leybourne-Newbold
    small-sample correction and a t distribution with n - 1 degrees of freedom. A negative
    statistic: the first has the smaller errors. Equal losses everywhere: (0, 1)."""
    from scipy.special import (
        stdtr,  # Student's t CDF (scipy.stats imports far more for it)
    )

    d = np.asarray(e1, dtype=np.float64) ** 2 - np.asarray(e2, dtype=np.float64) ** 2
    n = len(d)
    if n < 2:
        raise ValueError("the Diebold-Mariano test needs at least two forecasts")
    mean = d.mean()
    centred = d - mean
    # Long-run variance: autocovariances up to lag horizon - 1 (none for one-step forecasts).
    variance = np.dot(centred, centred) / n
    for lag in range(1, horizon):
        variance += 2 * np.dot(centred[lag:], centred[:-lag]) / n
    if variance <= 0 or not np.isfinite(variance):
        return (0.0, 1.0) if mean == 0 else (math.copysign(math.inf, mean), 0.0)
    statistic = mean / math.sqrt(variance / n)
    statistic *= math.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    return float(statistic), float(2 * stdtr(n - 1, -abs(statistic)))


def check_scores_finite(metrics, where):
    """LabError if any score of ``metrics`` ({part: {metric: ...}}) is NaN or infinite: a model
    that diverged writes no metrics (``where``: its train section, named in the line)."""
    def walk(tree, path):
        for key, value in tree.items():
            if isinstance(value, dict):
                walk(value, f"{path}.{key}")
            elif not math.isfinite(value):
                raise LabError(f"{path}.{key} is {value}: the model's predictions are not finite "
                               f"(training diverged? lower {where}.learning_rate)")
    walk(metrics, "metrics")


def verdict(scores, name="model", alpha=0.05):
    """One phrase from a part's one-step scores: does predictor ``name`` beat the random walk
    (Theil's U below 1 and a Diebold-Mariano p-value below ``alpha``), and by how much."""
    u, p = scores.get("theil_u", {}).get(name), scores.get("dm_pvalue", {}).get(name)
    if u is None:
        return "cannot be compared with the random walk (persistence makes no error here)"
    by = f"{abs(1 - u):.1%}"
    if p is None:  # no test of so few steps (one): the ratio alone, and what it lacks
        return (f"cannot be tested against the random walk (too few steps): RMSE {by} "
                f"{'lower' if u < 1 else 'higher'}, no Diebold-Mariano test")
    test = f"Diebold-Mariano p {'< 0.001' if p < 0.001 else f'= {p:.3f}'}"
    if u < 1 and p < alpha:
        return f"beats the random walk: RMSE {by} lower ({test})"
    if u < 1:
        return f"does not beat the random walk: RMSE {by} lower, but not significantly ({test})"
    if p < alpha:
        return f"does not beat the random walk, it is worse: RMSE {by} higher ({test})"
    return f"does not beat the random walk: RMSE {by} higher, not significantly ({test})"


def summary(metrics):
    """The evaluation of a series model in a line, from its metrics ({part: {metric:
    {predictor: value}}}, as series_evaluate writes them): the stage prints it, and
    series_track puts it in the run's description."""
    rmse, used = metrics["test"]["rmse"], metrics["forecast"]["horizon"]["used"]
    return (f"test rmse {rmse['model']:.4g} (persistence {rmse['persistence']:.4g}, "
            f"drift {rmse['drift']:.4g}, AR {rmse['ar']:.3g}); the network "
            f"{verdict(metrics['test'])}; forecast of {used}: rmse "
            f"{metrics['forecast']['rmse']['model']:.4g}")
