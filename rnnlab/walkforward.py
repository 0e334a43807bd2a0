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
"""
import numpy as np

from rnnlab import forecast
from rnnlab.errors import LabError

MIN_FOLD = 20
"""Windows a fold needs at least: fewer make a Theil's U of a few days' noise."""


def splits(n_windows, n_test, folds, where="stock_walkforward.folds"):
    """[(train indices, fold indices)] of ``folds`` expanding-window folds over the last
    ``n_test`` of ``n_windows`` windows (TimeSeriesSplit). LabError if a fold would have
    fewer than MIN_FOLD windows."""
    from sklearn.model_selection import TimeSeriesSplit

    size = n_test // folds
    if size < MIN_FOLD:
        raise LabError(f"params.yaml: '{where}' ({folds}) cuts the test part's {n_test} windows "
                       f"into folds of {size}; each needs at least {MIN_FOLD}: use fewer folds, "
                       "a larger 'stock_data.test' fraction or a longer CSV")
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
    """The kept one-step scores of ``predictions`` ({name: (n,)}) on targets ``y``."""
    got = forecast.one_step(y, predictions, last)
    return {key: got[key] for key in FOLD_METRICS if key in got} | {"windows": len(y)}
