"""The series baselines and scores (rnnlab/scores/forecast.py): persistence, drift and AR, fed-back
forecasts, the error metrics, the Diebold-Mariano test against the random walk and its verdict."""
import math

import numpy as np
import pytest
from scipy import stats

from rnnlab.core.errors import LabError
from rnnlab.data.windows import rows_before as windows
from rnnlab.scores import forecast


def column(x):
    return np.asarray(x, dtype=np.float64)[:, None]


# ---- predictors ----

def test_persistence_is_the_last_target_value_of_each_window():
    raw = np.array([[[1, 10], [2, 20], [3, 30]],
                  [[4, 40], [5, 50], [6, 60]]], dtype=float)
    np.testing.assert_array_equal(forecast.persistence(raw), [3, 6])


def test_drift_adds_the_mean_training_step_of_the_target():
    train = np.array([[1, 100], [2, 50], [4, 0], [7, 900]], dtype=float)  # steps 1, 2, 3
    predict = forecast.drift(train)
    raw = np.array([[[0, 0], [10, 5]], [[0, 0], [-3, 5]]], dtype=float)
    np.testing.assert_allclose(predict(raw), [12, -1])


def test_ar_is_exact_on_a_clean_sine_and_can_be_fed_back():
    s = column(np.sin(0.3 * np.arange(200)))
    raw, y = windows(s, 3, 100, 3)
    predict = forecast.ar(raw, y)
    raw_later, y_later = windows(s, 100, 200, 3)
    np.testing.assert_allclose(predict(raw_later), y_later, atol=1e-9)
    future = forecast.autoregress(predict, s[97:100], 50)
    np.testing.assert_allclose(future, s[100:150, 0], atol=1e-8)


def test_autoregress_with_persistence_repeats_the_last_value():
    context = column([3.0, 1.0, 4.0, 1.5])
    np.testing.assert_array_equal(forecast.autoregress(forecast.persistence, context, 6), [1.5] * 6)


def test_autoregress_carries_the_other_columns_forward():
    seen = []

    def predict(raw):  # reads column 1: the target's last value plus the input's
        seen.append(raw[0].copy())
        return raw[:, -1, 0] + raw[:, -1, 1]

    context = np.array([[1.0, 7.0], [2.0, 10.0]])
    out = forecast.autoregress(predict, context, 3)
    np.testing.assert_array_equal(out, [12, 22, 32])
    np.testing.assert_array_equal(seen[0], [[1, 7], [2, 10]])
    np.testing.assert_array_equal(seen[1], [[2, 10], [12, 10]])
    np.testing.assert_array_equal(seen[2], [[12, 10], [22, 10]])


# ---- scores ----

def test_one_step_scores_of_a_hand_worked_example():
    y, last = np.array([2.0, 3.0, 1.0]), np.array([1.0, 2.0, 2.0])
    model = np.array([1.5, 3.5, 1.0])
    s = forecast.one_step(y, {"model": model, "persistence": last}, last)
    # errors: model [0.5, -0.5, 0], persistence [1, 1, -1]
    assert s["mse"] == pytest.approx({"model": 0.5 / 3, "persistence": 1.0})
    assert s["rmse"] == pytest.approx({"model": math.sqrt(0.5 / 3), "persistence": 1.0})
    assert s["mae"] == pytest.approx({"model": 1 / 3, "persistence": 1.0})
    # bias, prediction - actual: model (-0.5 + 0.5 + 0) / 3, persistence (-1 - 1 + 1) / 3
    assert s["bias"] == pytest.approx({"model": 0.0, "persistence": -1 / 3})
    assert s["mape"] == pytest.approx({"model": 100 * (0.5 / 2 + 0.5 / 3 + 0) / 3,
                                       "persistence": 100 * (1 / 2 + 1 / 3 + 1 / 1) / 3})
    assert s["theil_u"] == pytest.approx({"model": math.sqrt(0.5 / 3), "persistence": 1.0})
    # moves [+, +, -]; the model's predicted moves [+0.5, +1.5, -1]: all right; persistence
    # predicts no move at all, never the right sign.
    assert s["direction"] == {"model": 1.0, "persistence": 0.0}
    assert s["up_share"] == pytest.approx(2 / 3)
    # Diebold-Mariano by hand: d = e_model^2 - e_persistence^2
    d = np.array([0.25 - 1, 0.25 - 1, 0 - 1])
    n = len(d)
    statistic = d.mean() / math.sqrt(np.mean((d - d.mean()) ** 2) / n) * math.sqrt((n - 1) / n)
    assert set(s["dm_pvalue"]) == {"model"}
    assert s["dm_pvalue"]["model"] == pytest.approx(2 * stats.t.sf(abs(statistic), n - 1))
    assert s["flat_share"] == 0.0
    assert set(s) == {"mse", "rmse", "mae", "bias", "mape", "theil_u", "direction", "up_share",
                      "flat_share", "dm_pvalue"}


def test_direction_is_scored_on_the_steps_that_moved():
    """A flat step (or one that moved by float noise) is no up and no down: persistence, which
    never calls a move, scores 0 on the rest, and an exact predictor scores 1."""
    last = np.array([1.0, 2.0, 2.0, 0.9510565162951536])
    y = np.array([2.0, 2.0, 1.0, 0.9510565162951539])  # the last 'moves' by 3e-16
    s = forecast.one_step(y, {"model": y.copy(), "persistence": last}, last)
    assert s["direction"] == {"model": 1.0, "persistence": 0.0}
    assert s["flat_share"] == 0.5 and s["up_share"] == 0.5


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_mape_is_left_out_unless_every_target_is_positive(bad):
    e = forecast.scores([2.0, bad, 1.0], {"model": np.ones(3), "persistence": np.zeros(3)})
    assert "mape" not in e and {"mse", "rmse", "mae", "theil_u"} <= set(e)


def test_theil_u_is_left_out_where_persistence_is_exact():
    y = np.array([1.0, 2.0, 3.0])
    e = forecast.scores(y, {"model": y + 1, "persistence": y})
    assert "theil_u" not in e
    assert forecast.verdict(forecast.one_step(y, {"model": y + 1, "persistence": y}, y)) \
        .startswith("cannot be compared with the random walk")


def test_one_step_on_a_single_forecast_has_no_dm_test():
    s = forecast.one_step([2.0], {"model": [2.5], "persistence": [1.0]}, [1.0])
    assert "dm_pvalue" not in s and s["theil_u"]["model"] == pytest.approx(0.5)
    # Not "persistence makes no error": it does; one step is too few to test.
    assert forecast.verdict(s) == ("cannot be tested against the random walk (too few steps): "
                                   "RMSE 50.0% lower, no Diebold-Mariano test")


# ---- Diebold-Mariano ----

def test_dm_of_identical_errors_is_zero_with_p_one():
    e = np.random.default_rng(0).normal(size=50)
    assert forecast.diebold_mariano(e, e) == (0.0, 1.0)
    assert forecast.diebold_mariano(e, -e) == (0.0, 1.0)  # same squared errors


def test_dm_finds_a_clearly_better_forecast_and_is_antisymmetric():
    rng = np.random.default_rng(1)
    better, worse = 0.5 * rng.normal(size=500), rng.normal(size=500)
    statistic, p = forecast.diebold_mariano(better, worse)
    assert statistic < 0 and p < 0.01
    flipped, p_flipped = forecast.diebold_mariano(worse, better)
    assert flipped == pytest.approx(-statistic) and p_flipped == pytest.approx(p)


def test_dm_of_a_constant_loss_difference_is_infinitely_significant():
    statistic, p = forecast.diebold_mariano([1.0, 1.0, 1.0], [2.0, 2.0, 2.0])
    assert statistic == -math.inf and p == 0.0


def test_dm_needs_two_forecasts():
    with pytest.raises(ValueError, match="at least two"):
        forecast.diebold_mariano([1.0], [2.0])


# ---- the random walk cannot be beaten; an AR(1) series can ----

def random_walk_scores(rng, n=300, window=3, noise=0.1):
    """one_step scores on the last third of a random walk: persistence, AR(window) fitted on
    the first two thirds, and a 'model' that is persistence plus independent noise."""
    x = column(np.cumsum(rng.normal(size=n)))
    cut = 2 * n // 3
    raw_train, y_train = windows(x, window, cut, window)
    raw, y = windows(x, cut, n, window)
    last = forecast.persistence(raw)
    predictions = {"persistence": last, "ar": forecast.ar(raw_train, y_train)(raw),
                   "model": last + noise * rng.normal(size=len(last))}
    return forecast.one_step(y, predictions, last)


def test_nothing_beats_the_random_walk_more_often_than_the_test_level_allows():
    rng = np.random.default_rng(20240601)
    scores = [random_walk_scores(rng) for _ in range(200)]
    beats = {name: np.mean([forecast.verdict(s, name).startswith("beats") for s in scores])
             for name in ("model", "ar")}
    # Persistence plus noise is worse in expectation: its mean U is above 1, and it is
    # rarely (by chance) significantly better.
    u = np.array([s["theil_u"]["model"] for s in scores])
    assert u.mean() > 1 and np.mean(u > 1) > 0.5
    assert beats["model"] <= 0.05
    # The AR baseline "beats" the random walk at the 5% level only by chance.
    assert beats["ar"] <= 0.12


@pytest.mark.parametrize("window", [1, 3])
def test_ar_beats_the_random_walk_on_an_ar1_series(window):
    rng = np.random.default_rng(7)
    x = np.zeros(2000)
    noise = rng.normal(size=2000)
    for t in range(1, 2000):
        x[t] = 0.8 * x[t - 1] + noise[t]
    x = column(x)
    raw_train, y_train = windows(x, window, 1400, window)
    raw, y = windows(x, 1400, 2000, window)
    last = forecast.persistence(raw)
    s = forecast.one_step(y, {"persistence": last, "ar": forecast.ar(raw_train, y_train)(raw)}, last)
    assert s["theil_u"]["ar"] < 1 and s["dm_pvalue"]["ar"] < 0.05
    assert forecast.verdict(s, name="ar").startswith("beats the random walk")
    assert "mape" not in s  # the series goes below zero


# ---- verdict ----

@pytest.mark.parametrize("u,p,expected", [
    (0.9, 0.01, "beats the random walk: RMSE 10.0% lower (Diebold-Mariano p = 0.010)"),
    (0.8, 0.0001, "beats the random walk: RMSE 20.0% lower (Diebold-Mariano p < 0.001)"),
    (0.99, 0.4, "does not beat the random walk: RMSE 1.0% lower, but not significantly "
                "(Diebold-Mariano p = 0.400)"),
    (1.25, 0.002, "does not beat the random walk, it is worse: RMSE 25.0% higher "
                  "(Diebold-Mariano p = 0.002)"),
    (1.02, 0.3, "does not beat the random walk: RMSE 2.0% higher, not significantly "
                "(Diebold-Mariano p = 0.300)"),
])
def test_verdict_phrases(u, p, expected):
    scores = {"theil_u": {"model": u, "persistence": 1.0}, "dm_pvalue": {"model": p}}
    assert forecast.verdict(scores) == expected


def test_verdict_names_the_predictor_and_takes_alpha():
    scores = {"theil_u": {"model": 1.1, "ar": 0.9}, "dm_pvalue": {"model": 0.5, "ar": 0.03}}
    assert forecast.verdict(scores, name="ar").startswith("beats")
    assert forecast.verdict(scores, name="ar", alpha=0.01).startswith("does not beat")
    assert forecast.verdict(scores, name="drift").startswith("cannot be compared")
    assert forecast.verdict({}).startswith("cannot be compared")


# ---- check_scores_finite ----

@pytest.mark.parametrize("bad,shown", [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf")])
def test_check_scores_finite_names_the_key_path(bad, shown):
    metrics = {"test": {"rmse": {"persistence": 1.0, "model": bad}}, "epochs": 3}
    with pytest.raises(LabError, match=rf"^metrics\.test\.rmse\.model is {shown}: .* "
                                       r"lower series\.stock\.learning_rate\)$"):
        forecast.check_scores_finite(metrics, "series.stock")


def test_check_scores_finite_passes_finite_trees():
    metrics = {"val": {"mse": {"model": 0.5, "ar": 0.25}, "up_share": 0.5},
               "test": {"theil_u": {"model": np.float64(0.9)}}, "epochs": 12}
    assert forecast.check_scores_finite(metrics, "series.stock") is None
    assert forecast.check_scores_finite({}, "series.stock") is None
