"""Walk-forward evaluation (rnnlab/walkforward.py): folds in time that never train on their own
targets, baselines refitted on the past only, and the stage's one-line error for a test part
too short for its folds. The lagged-copy check (rnnlab/forecast.py) on predictors whose answer
is known."""
import sys

import numpy as np
import pytest
import yaml

from rnnlab import forecast, walkforward, windows
from rnnlab.errors import LabError
from tests.conftest import run


@pytest.mark.parametrize("n_windows,n_test,folds", [(500, 100, 4), (1000, 299, 3), (60, 40, 2),
                                                    (7963, 1197, 4), (200, 20, 1)])
def test_no_fold_trains_on_its_own_targets(n_windows, n_test, folds):
    window = 20
    values = np.arange(n_windows + window, dtype=float)[:, None]  # row r holds the value r
    _, y = windows.rows_before(values, window, len(values), window)
    splits = walkforward.splits(n_windows, n_test, folds)
    assert len(splits) == folds
    size = n_test // folds
    previous_end = n_windows - folds * size
    for seen, fold in splits:
        assert len(fold) == size
        assert fold[0] == previous_end and np.array_equal(fold, np.arange(fold[0], fold[0] + size))
        previous_end = fold[-1] + 1
        assert np.array_equal(seen, np.arange(fold[0]))  # everything before the origin, only
        # By value, not by index: no training target is a target of the fold or after it.
        assert y[seen].max() < y[fold].min()
    assert previous_end == n_windows  # the folds end where the series ends


def test_too_many_folds_for_the_test_part_is_one_line():
    with pytest.raises(LabError, match=r"^params.yaml: 'stock_walkforward.folds' \(5\) cuts the "
                                       r"test part's 60 windows into folds of 12; each needs at least 20"):
        walkforward.splits(1000, 60, 5)


def test_fold_baselines_see_only_the_past():
    window = 3
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.normal(size=(300, 1)), axis=0) + 100
    raw, y = windows.rows_before(values, window, len(values), window)
    seen, fold = walkforward.splits(len(y), 100, 2)[1]
    fitted = walkforward.baselines(values, raw, y, seen)
    # A future that changes wildly changes nothing fitted on the past.
    changed = values.copy()
    changed[window + fold[0]:] *= 3
    raw2, y2 = windows.rows_before(changed, window, len(changed), window)
    refitted = walkforward.baselines(changed, raw2, y2, seen)
    probe = raw[fold]
    for name in fitted:
        assert np.array_equal(fitted[name](probe), refitted[name](probe)), name
    step = np.mean(np.diff(values[:window + fold[0], 0]))
    assert np.allclose(fitted["drift"](probe), probe[:, -1, 0] + step)


def test_lag_correlation_finds_yesterdays_copy_and_not_a_perfect_forecast():
    rng = np.random.default_rng(1)
    price = 50 + np.cumsum(rng.normal(size=400))
    y, last = price[1:], price[:-1]
    copy = forecast.lag_scores(y, {"copy": last, "perfect": y.copy()}, last)
    assert copy["peak_lag"] == {"copy": 1, "perfect": 0}
    assert copy["lag_corr"]["copy"]["1"] == pytest.approx(1.0)
    assert copy["lag_corr"]["perfect"]["0"] == pytest.approx(1.0)
    assert copy["lag_corr"]["perfect"]["1"] < 1.0
    assert set(copy["lag_corr"]["copy"]) == {str(k) for k in range(-3, 4)}
    assert "copy" not in copy["change_corr"]  # it predicts no change at all
    assert copy["change_corr"]["perfect"] == pytest.approx(1.0)


def test_lag_correlation_of_a_two_day_late_copy_peaks_at_two():
    rng = np.random.default_rng(2)
    price = 10 + np.cumsum(rng.normal(size=300))
    y = price[2:]
    late = price[:-2]  # the day before yesterday
    assert forecast.lag_scores(y, {"late": late}, price[1:-1])["peak_lag"]["late"] == 2


def test_walkforward_stage_refuses_a_test_part_too_short_for_its_folds(project):
    """Before any training (no TensorFlow import, no outputs): the one line names the key."""
    path = project / "params.yaml"
    p = yaml.safe_load(path.read_text())
    p["stock_walkforward"]["folds"] = 100  # 1,197 test days: folds of 11
    path.write_text(yaml.safe_dump(p, sort_keys=False))
    assert run([sys.executable, "-m", "stages.stock_data"], cwd=project).returncode == 0
    proc = run([sys.executable, "-m", "stages.series_walkforward", "stock"], cwd=project, check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: params.yaml: 'stock_walkforward.folds' (100)")
    assert not list((project / "metrics").glob("stock_walkforward*"))
