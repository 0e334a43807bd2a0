"""Trading on one-step forecasts (rnnlab/trading.py): directional accuracy and its binomial
tests, the long/flat rule against buy-and-hold with costs, their performance and the verdict."""
import json
import math

import numpy as np
import pytest
from scipy import stats

from rnnlab import trading

# A hand-worked week. Moves: up, down, up, up, down. The predictions call up, no move (equal to
# last: flat, and a wrong call), up, up, down: positions 1, 0, 1, 1, 0.
LAST = [100.0, 102.0, 101.0, 103.0, 104.0]
ACTUAL = [102.0, 101.0, 103.0, 104.0, 102.0]
PREDICTED = [101.0, 102.0, 102.0, 105.0, 103.0]
C = 10 / 10_000  # 10 basis points


def walk(n, drift, seed, flat_every=0):
    """A random price path: (last, actual) of n consecutive steps, every ``flat_every``-th flat."""
    rng = np.random.default_rng(seed)
    moves = drift + 0.01 * rng.standard_normal(n)
    if flat_every:
        moves[::flat_every] = 0.0
    prices = 100 * np.exp(np.concatenate([[0.0], np.cumsum(moves)]))
    return prices[:-1], prices[1:]


def leaves(tree):
    for value in tree.values():
        if isinstance(value, dict):
            yield from leaves(value)
        else:
            yield value


# ---- the hand-worked week ----

def test_long_flat_returns_and_positions_by_hand():
    returns, positions = trading.long_flat(LAST, ACTUAL, PREDICTED, 0)
    np.testing.assert_array_equal(positions, [1, 0, 1, 1, 0])
    np.testing.assert_allclose(returns, [(102 / 100 - 1), 0.0, (103 / 101 - 1), (104 / 103 - 1), 0.0],
                               rtol=0, atol=1e-15)
    # 10 bps on each change: in (step 0), out (1), in (2), held (3), out (4).
    returns, _ = trading.long_flat(LAST, ACTUAL, PREDICTED, 10)
    np.testing.assert_allclose(returns, [(102 / 100 - 1) - C, -C, (103 / 101 - 1) - C,
                                         (104 / 103 - 1), -C], rtol=0, atol=1e-15)


def test_long_flat_performance_by_hand():
    p = trading.performance(*trading.long_flat(LAST, ACTUAL, PREDICTED, 0))
    assert p["cumulative_return"] == pytest.approx((102 / 100) * (103 / 101) * (104 / 103) - 1, abs=1e-14)
    assert p["max_drawdown"] == 0.0  # flat on both down days: the curve never falls
    assert p["trades"] == 4 and p["exposure"] == 3 / 5

    r = [(102 / 100 - 1) - C, -C, (103 / 101 - 1) - C, (104 / 103 - 1), -C]
    p = trading.performance(*trading.long_flat(LAST, ACTUAL, PREDICTED, 10))
    assert p["cumulative_return"] == pytest.approx(
        (1 + r[0]) * (1 + r[1]) * (1 + r[2]) * (1 + r[3]) * (1 + r[4]) - 1, abs=1e-14)
    # Each exit costs 0.1% of a peak: 1 - (1 - C), twice.
    assert p["max_drawdown"] == pytest.approx(C, abs=1e-14)
    assert p["trades"] == 4
    mean = sum(r) / 5
    std = math.sqrt(sum((x - mean) ** 2 for x in r) / 4)
    assert p["annual_volatility"] == pytest.approx(std * math.sqrt(252), rel=1e-12)
    assert p["sharpe"] == pytest.approx(mean / std * math.sqrt(252), rel=1e-12)


def test_buy_and_hold_by_hand():
    returns, positions = trading.buy_and_hold(LAST, ACTUAL, 10)
    np.testing.assert_array_equal(positions, [1, 1, 1, 1, 1])
    np.testing.assert_allclose(returns, [(102 / 100 - 1) - C, (101 / 102 - 1), (103 / 101 - 1),
                                         (104 / 103 - 1), (102 / 104 - 1)], rtol=0, atol=1e-15)
    p = trading.performance(returns, positions)
    # (1.02 - C) * 101/102 * 103/101 * 104/103 * 102/104: every price cancels, 1.02 - C remains.
    assert p["cumulative_return"] == pytest.approx((102 / 100 - C) - 1, abs=1e-14)
    # Peak after step 3, then 104 -> 102 (deeper than the 102 -> 101 of step 1).
    assert p["max_drawdown"] == pytest.approx(1 - 102 / 104, abs=1e-14)
    assert p["trades"] == 1 and p["exposure"] == 1.0


def test_equity_starts_at_one_and_has_one_value_more_than_the_returns():
    np.testing.assert_allclose(trading.equity([0.1, -0.5, 1.0]), [1.0, 1.1, 1.1 * 0.5, 1.1 * 0.5 * 2.0])


def test_direction_by_hand_a_flat_prediction_is_a_wrong_call():
    d = trading.direction(LAST, ACTUAL, PREDICTED)
    assert (d["n"], d["hits"]) == (5, 4)
    assert d["accuracy"] == 4 / 5 and d["up_share"] == 3 / 5 and d["best_constant"] == 3 / 5


def test_steps_without_a_move_are_not_scored():
    last, actual = [100.0, 100.0, 101.0, 101.0], [100.0, 101.0, 101.0, 100.0]
    d = trading.direction(last, actual, [99.0, 102.0, 90.0, 102.0])  # moved: steps 1 (hit), 3 (miss)
    assert (d["n"], d["hits"], d["accuracy"], d["up_share"]) == (2, 1, 0.5, 0.5)
    # A prediction equal to last calls no move: wrong whichever way the price went.
    d = trading.direction([100.0, 100.0], [101.0, 99.0], [100.0, 100.0])
    assert (d["n"], d["hits"], d["accuracy"]) == (2, 0, 0.0)
    d = trading.direction([100.0, 100.0], [100.0, 100.0], [101.0, 99.0])
    assert d["n"] == 0 and all(math.isfinite(v) for v in d.values())


# ---- direction: reference values ----

@pytest.mark.parametrize("drift", [0.003, -0.003], ids=["mostly-up", "mostly-down"])
def test_binomial_p_values_match_scipys_binomial_tail(drift):
    last, actual = walk(300, drift, seed=1)
    rng = np.random.default_rng(2)
    predicted = actual + 0.01 * last * rng.standard_normal(len(last))  # right more often than not
    hits = int(np.sum(np.sign(predicted - last) == np.sign(actual - last)))
    n = len(last)
    up = float(np.mean(actual > last))
    best = max(up, 1 - up)
    assert (up > 0.5) == (drift > 0)  # the down case really tests the best constant 'down'
    d = trading.direction(last, actual, predicted)
    assert (d["n"], d["hits"], d["up_share"], d["best_constant"]) == (n, hits, up, best)
    assert d["p_vs_half"] == pytest.approx(stats.binom.sf(hits - 1, n, 0.5), rel=1e-9)
    assert d["p_vs_up_share"] == pytest.approx(stats.binom.sf(hits - 1, n, best), rel=1e-9)
    assert d["p_vs_up_share"] > d["p_vs_half"]


def test_a_perfect_predictor_is_always_right_and_always_up_scores_the_up_share():
    last, actual = walk(200, 0.001, seed=3, flat_every=7)
    assert trading.direction(last, actual, actual)["accuracy"] == 1.0
    d = trading.direction(last, actual, last * 1.01)
    moved = actual != last
    assert d["n"] == moved.sum() < len(last)
    assert d["accuracy"] == d["up_share"] == np.mean(actual[moved] > last[moved])
    assert 0.0 < d["accuracy"] < 1.0


# ---- performance: edge cases ----

def test_all_flat_has_a_sharpe_of_zero_not_nan():
    last, actual = walk(50, 0.0, seed=4)
    p = trading.performance(*trading.long_flat(last, actual, last * 0.99, 10))
    assert p == {"cumulative_return": 0.0, "annual_volatility": 0.0, "sharpe": 0.0,
                 "max_drawdown": 0.0, "trades": 0, "exposure": 0.0}


def test_no_drawdown_when_the_equity_only_rises():
    last = np.array([100.0, 101.0, 103.0, 103.5, 110.0])
    returns, positions = trading.buy_and_hold(last, np.append(last[1:], 111.0), 0)
    assert np.all(returns > 0)
    p = trading.performance(returns, positions)
    assert p["max_drawdown"] == 0.0 and p["sharpe"] > 0


# ---- validation ----

@pytest.mark.parametrize("args, message", [
    ((LAST, ACTUAL, PREDICTED, -1), "cost_bps"),
    ((LAST, ACTUAL, PREDICTED, math.nan), "cost_bps"),
    (([100.0, 0.0, 101.0, 103.0, 104.0], ACTUAL, PREDICTED, 0), "positive"),
    ((LAST, [102.0, -101.0, 103.0, 104.0, 102.0], PREDICTED, 0), "positive"),
    ((LAST, ACTUAL[:4], PREDICTED, 0), "lengths"),
    ((LAST, ACTUAL, PREDICTED[:4], 0), "lengths"),
    (([100.0], [101.0], [102.0], 0), "at least two"),
    ((LAST, ACTUAL, [101.0, math.nan, 102.0, 105.0, 103.0], 0), "finite"),
])
def test_bad_input_is_a_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        trading.long_flat(*args)
    with pytest.raises(ValueError, match=message):
        trading.strategy_report(*args)


def test_buy_and_hold_and_direction_validate_too():
    with pytest.raises(ValueError, match="cost_bps"):
        trading.buy_and_hold(LAST, ACTUAL, -0.5)
    with pytest.raises(ValueError, match="positive"):
        trading.direction([100.0, -1.0], [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="lengths"):
        trading.performance([0.1, 0.2, 0.3], [1.0, 1.0])


# ---- the report and its verdict ----

def test_report_beats_buy_and_hold_when_the_calls_are_right():
    report = trading.strategy_report(LAST, ACTUAL, PREDICTED, 10)
    assert report["strategy"]["cumulative_return"] > report["buy_and_hold"]["cumulative_return"]
    assert report["verdict"].startswith("beats buy-and-hold after costs: +4.6% against +1.9%")
    assert "does not" not in report["verdict"]
    assert report["strategy_before_costs"] == trading.performance(
        *trading.long_flat(LAST, ACTUAL, PREDICTED, 0))


def test_report_does_not_beat_buy_and_hold_when_the_calls_are_wrong():
    wrong = [99.0, 103.0, 100.0, 102.0, 105.0]  # long on exactly the two down days
    report = trading.strategy_report(LAST, ACTUAL, wrong, 10)
    assert report["direction"]["accuracy"] == 0.0
    assert report["verdict"].startswith("does not beat buy-and-hold after costs: ")
    assert "directional accuracy 0.0%" in report["verdict"]


def test_costs_can_turn_a_win_into_a_loss():
    last, actual = walk(500, 0.0005, seed=5)
    rng = np.random.default_rng(6)
    # Right 60% of the time, trading often.
    right = rng.random(len(last)) < 0.6
    predicted = np.where(right, actual, 2 * last - actual)
    cheap, dear = (trading.strategy_report(last, actual, predicted, c) for c in (0, 100))
    assert cheap["verdict"].startswith("beats")
    assert dear["verdict"].startswith("does not beat")
    assert dear["strategy_before_costs"] == cheap["strategy"]


@pytest.mark.parametrize("strategy, expected", [
    ((0.10, 1.0), "beats buy-and-hold after costs: +10.0% against +5.0%, Sharpe 1.00 against 0.50"),
    ((0.10, 0.2), "beats buy-and-hold after costs, but with a lower Sharpe ratio: "),
    ((0.01, 1.0), "does not beat buy-and-hold after costs, though its Sharpe ratio is higher: "),
    ((0.01, 0.2), "does not beat buy-and-hold after costs: +1.0% against +5.0%, Sharpe 0.20 against 0.50"),
])
def test_verdict_wording(strategy, expected):
    direction = {"n": 100, "accuracy": 0.55, "p_vs_half": 0.18, "p_vs_up_share": 0.0004,
                 "best_constant": 0.52}
    report = {"strategy": {"cumulative_return": strategy[0], "sharpe": strategy[1]},
              "buy_and_hold": {"cumulative_return": 0.05, "sharpe": 0.5}, "direction": direction}
    sentence = trading.verdict(report)
    assert sentence.startswith(expected)
    assert sentence.endswith("(directional accuracy 55.0%, binomial p = 0.180 against 50% and "
                             "< 0.001 against the best constant guess (52.0%))")


def test_report_is_plain_json_with_finite_numbers():
    last, actual = walk(300, 0.001, seed=7)
    report = trading.strategy_report(last, actual, last * (1 + 0.001 * np.sign(actual - last)), 5)
    json.dumps(report, allow_nan=False)
    values = list(leaves(report))
    assert all(type(v) in (int, float, str) for v in values)
    assert all(math.isfinite(v) for v in values if not isinstance(v, str))
    assert set(report) == {"direction", "strategy", "strategy_before_costs", "buy_and_hold",
                           "cost_bps", "verdict"}


def test_the_drawdown_counts_from_the_starting_equity_of_one():
    # A loss on the first step is a drawdown from 1, not from the first step's value.
    p = trading.performance([-0.1, 0.05, 0.05], [1.0, 1.0, 1.0])
    assert p["max_drawdown"] == pytest.approx(0.1, abs=1e-15)
