"""Walk-forward evaluation (rnnlab/scores/walkforward.py): folds in time that never train on their own
targets, baselines refitted on the past only, as many folds as the test part holds (down to
one, said in the output, the metrics and the report), a fold where the price never moves, and
the stage's one-line error for a test part too short for even one fold. The lagged-copy check
(rnnlab/scores/forecast.py) on predictors whose answer is known."""
import json

import numpy as np
import pytest

from rnnlab.core.errors import LabError
from rnnlab.data import windows
from rnnlab.scores import forecast, walkforward
from rnnlab.scores.walkforward import MIN_FOLD
from tests.conftest import edit_params, run, stage_command


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


@pytest.mark.parametrize("n_test,folds", [(1197, 4), (45, 4), (60, 5), (20, 4), (39, 2),
                                          (40, 2), (1197, 1000), (25, 1)])
def test_as_many_folds_as_the_test_part_holds_down_to_one(n_test, folds):
    used, fewer = walkforward.fold_count(n_test, folds)
    assert 1 <= used <= folds
    assert n_test // used >= MIN_FOLD  # every fold used is long enough ...
    if used < folds:  # ... and one more would not be
        assert n_test // (used + 1) < MIN_FOLD
        assert fewer == (f"'series_walkforward.stock.folds' asks for {folds} folds, but the test part's "
                         f"{n_test} windows hold {used} of at least {MIN_FOLD}: using {used}")
    else:
        assert fewer is None
    splits = walkforward.splits(n_test + 100, n_test, used)
    assert len(splits) == used and all(len(fold) >= MIN_FOLD for _, fold in splits)


def test_the_defaults_keep_their_four_folds():
    """The default test part (1,197 days of MSFT) holds the default 4 folds: nothing changes."""
    assert walkforward.fold_count(1197, 4) == (4, None)


def test_a_test_part_too_short_for_one_fold_is_one_line_naming_the_keys():
    with pytest.raises(LabError) as err:
        walkforward.fold_count(MIN_FOLD - 1, 1, ("series_walkforward.stock.folds", "stock_data.test"))
    message = str(err.value)
    assert message.startswith(f"params.yaml: the test part has {MIN_FOLD - 1} windows, fewer than "
                              f"the {MIN_FOLD} one walk-forward fold needs")
    assert "'series_walkforward.stock.folds'" in message and "raise 'stock_data.test'" in message
    assert "\n" not in message


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


def test_walkforward_stage_refuses_a_test_part_too_short_for_one_fold(project):
    """Before any training (no TensorFlow import, no outputs): the one line names the keys."""
    edit_params(project, lambda p: p["stock_data"].update(test=0.002))  # 16 of 7,983 days
    assert run(stage_command(project, "stock_data"), cwd=project).returncode == 0
    n_test = len(np.load(project / "data/stock/test.npz")["values"])
    assert n_test < MIN_FOLD
    proc = run(stage_command(project, "series_walkforward@stock"), cwd=project, check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"error: params.yaml: the test part has {n_test} windows, fewer than the {MIN_FOLD}")
    assert "'series_walkforward.stock.folds'" in lines[0] and "'stock_data.test'" in lines[0]
    assert not list((project / "metrics").glob("stock_walkforward*"))


def monthly(rows=300, flat=range(0)):
    """A CSV of ``rows`` monthly closes, a seeded random walk; the Close of the rows in ``flat``
    left empty (with stock_data.missing ffill: the price does not move there)."""
    rng = np.random.default_rng(0)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.05, rows)))
    lines = ["Date,Close"] + [f"{1990 + i // 12}-{i % 12 + 1:02d}-01,"
                              + ("" if i in flat else f"{close[i]:.2f}") for i in range(rows)]
    return "\n".join(lines) + "\n"


def test_a_short_test_part_uses_the_folds_it_holds_and_a_flat_fold_has_no_theil_u(project,
                                                                                 monkeypatch):
    """A monthly file: 300 rows, 45 in the test part (rows 255..299), so the 44 windows the
    folds tile hold two folds of 22, not the 4 asked. The price never moves over the first
    fold's targets (rows 256..277, filled from row 250): that fold has no Theil's U, the stage
    says so instead of failing, and the report shows it."""
    (project / "data/monthly.csv").write_text(monthly(flat=range(251, 280)))

    def tiny(p):
        p["stock_data"].update(missing="ffill")
        p["series"]["stock"].update(epochs=1)
        p["series_walkforward"]["stock"].update(folds=4, epochs=1)
    edit_params(project, tiny)
    for cmd in (stage_command(project, "stock_data", prices="data/monthly.csv"),
                stage_command(project, "series_train@stock")):
        run(cmd, cwd=project)
    proc = run(stage_command(project, "series_walkforward@stock"), cwd=project)
    out = proc.stdout
    used = 45 // MIN_FOLD
    assert (f"'series_walkforward.stock.folds' asks for 4 folds, but the test part's 45 windows hold "
            f"{used} of at least {MIN_FOLD}: using {used}") in out
    assert f"fold 1/{used} 2011-05-01 .. " in out and "no Theil's U (persistence makes no error" in out
    assert f"pooled over {used} folds: Theil's U model" in out

    metrics = json.loads((project / "metrics/stock_walkforward.json").read_text())
    assert metrics["folds"] == {"asked": 4, "used": used, "test_windows": 45,
                                "min_fold_windows": MIN_FOLD}
    assert sorted(k for k in metrics if k.startswith("fold_")) == [f"fold_{k + 1}" for k in range(used)]
    assert "theil_u" not in metrics["fold_1"] and metrics["fold_1"]["rmse"]["persistence"] == 0.0
    assert metrics["fold_2"]["theil_u"]["persistence"] == 1.0
    assert metrics["pooled"]["windows"] == used * (45 // used)
    plot = (project / "plots/stock_walkforward.csv").read_text().splitlines()
    assert plot[1].endswith(",,,,") and not plot[2].endswith(",")  # fold 1: empty U cells
    assert (project / "reports/figures/stock_walkforward.png").stat().st_size > 0

    from rnnlab import params
    from rnnlab.core.outputs import read_json
    from rnnlab.report import stock
    from stages import report

    monkeypatch.chdir(project)
    p = params.load("report", "series_walkforward")
    text = "".join(stock.walkforward_section(read_json("metrics/stock_walkforward.json"),
                                             report.rows_of("plots/stock_walkforward.csv"),
                                             p["series_walkforward"]["stock"]["epochs"],
                                             forecast.labels("lstm", 32, 20)))
    assert (f"The test part's end in {used} folds (`series_walkforward.stock.folds` asks for 4, but the "
            f"test part's 45 windows hold only {used} of at least {MIN_FOLD})") in text
    assert "In fold 1 the price never moves" in text
    fold_1 = next(line for line in text.splitlines() if line.startswith("| 1: 2011-05-01"))
    assert fold_1.split(" | ")[2:5] == ["–", "–", "–"]  # no Theil's U of the model, drift, AR
