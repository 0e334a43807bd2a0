"""Walk-forward evaluation (rolling origin): one test split is one sample; several origins
in a row tell whether a score holds or was luck (numpy and scikit-learn; no TensorFlow).

Every window of the series is one sample, in time order, identified by its target's row.
scikit-learn's ``TimeSeriesSplit`` cuts the last ``folds * size`` windows (``size``: the test
part's windows // folds, so the folds tile the test part's end) into ``folds`` blocks, and
gives each block every window before it as its training data: an expanding window. A
training window's target lies before the fold's origin (its first target), so no target of a
fold is ever trained on; a fold's inputs may reach back before the origin, as any forecast's
do (those values were observed by then).

At each origin the stage continues training the model on everything before it and scores it
one step ahead on the fold, beside the baselines refitted on the same data (drift: the mean
step; AR: least squares on the windows). Per fold: Theil's U, rmse, bias and the
Diebold-Mariano p-value against persistence; pooled over every fold's errors: the same.

A fold needs MIN_FOLD windows: the stage uses as many of the folds asked as the test part
holds (``fold_count``), down to one, and says when that is fewer. A fold where the price never
moves (persistence makes no error there) has no Theil's U and cannot be compared with the
random walk, as forecast.verdict says; its other scores are kept.
"""
import numpy as np

from rnnlab.core.errors import LabError
from rnnlab.scores import forecast

MIN_FOLD = 20
"""Windows a fold needs at least: fewer make a Theil's U of a few days' noise."""


def fold_count(n_test, folds, keys=("series_walkforward.stock.folds", "stock_data.test")):
    """(folds used, why fewer or None): as many of the ``folds`` asked as the test part's
    ``n_test`` windows hold with at least MIN_FOLD windows each, down to one. LabError naming
    ``keys`` (the folds key, the test fraction's key) if not even one fold fits."""
    folds_key, test_key = keys
    fit = n_test // MIN_FOLD
    if fit < 1:
        raise LabError(f"params.yaml: the test part has {n_test} windows, fewer than the "
                       f"{MIN_FOLD} one walk-forward fold needs ('{folds_key}' goes down to one "
                       f"fold, no further): raise '{test_key}' or use a CSV with more rows")
    if folds <= fit:
        return folds, None
    return fit, (f"'{folds_key}' asks for {folds} folds, but the test part's {n_test} windows "
                 f"hold {fit} of at least {MIN_FOLD}: using {fit}")


def splits(n_windows, n_test, folds):
    """[(train indices, fold indices)] of ``folds`` expanding-window folds over the last
    ``n_test`` of ``n_windows`` windows (TimeSeriesSplit), each of n_test // folds windows.
    ``folds`` is what ``fold_count`` gives: ValueError if a fold would have fewer than
    MIN_FOLD windows."""
    from sklearn.model_selection import TimeSeriesSplit

    size = n_test // folds
    if size < MIN_FOLD:
        raise ValueError(f"{folds} folds of {n_test} windows have {size} each, fewer than "
                         f"{MIN_FOLD}: take the count from fold_count")
    if folds == 1:  # one origin: the plain split (TimeSeriesSplit wants two folds or more)
        return [(np.arange(n_windows - size), np.arange(n_windows - size, n_windows))]
    return list(TimeSeriesSplit(n_splits=folds, test_size=size).split(np.arange(n_windows)))


def baselines(values, raw, y, train_idx):
    """The baselines of one fold, fitted on its training windows only: {name: predictor}."""
    origin = train_idx[-1] + 1  # the fold's first window; its target is row window + origin
    seen = values[:raw.shape[1] + origin]  # every row observed before that target
    return {"persistence": forecast.persistence,
            "drift": forecast.drift(seen),
            "ar": forecast.ar(raw[train_idx], y[train_idx])}


FOLD_METRICS = ("theil_u", "rmse", "bias", "dm_pvalue")
"""What the metrics keep of each fold's one-step scores (forecast.one_step)."""


def scores(y, predictions, last):
    """The kept one-step scores of ``predictions`` ({name: (n,)}) on targets ``y`` (no
    ``theil_u`` where persistence makes no error)."""
    got = forecast.one_step(y, predictions, last)
    return {key: got[key] for key in FOLD_METRICS if key in got} | {"windows": len(y)}
