"""Trading on one-step forecasts (rnnlab/scores/trading.py): directional accuracy and its binomial
tests, the long/flat rule against buy-and-hold with costs, their performance and the verdict."""
import json
import math

import numpy as np
import pytest
from scipy import stats

from rnnlab.scores import trading

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
    # 10 bps of the equity on each change: in (step 0), out (1), in (2), held (3), out (4). An
    # entry keeps 1 - C of the equity, which then earns the day's move.
    returns, _ = trading.long_flat(LAST, ACTUAL, PREDICTED, 10)
    np.testing.assert_allclose(returns, [(1 - C) * 1.02 - 1, -C, (1 - C) * (103 / 101) - 1,
                                         (104 / 103 - 1), -C], rtol=0, atol=1e-15)


def test_long_flat_performance_by_hand():
    p = trading.performance(*trading.long_flat(LAST, ACTUAL, PREDICTED, 0))
    assert p["cumulative_return"] == pytest.approx((102 / 100) * (103 / 101) * (104 / 103) - 1, abs=1e-14)
    assert p["max_drawdown"] == 0.0  # flat on both down days: the curve never falls
    assert p["trades"] == 4 and p["exposure"] == 3 / 5

    r = [(1 - C) * 1.02 - 1, -C, (1 - C) * (103 / 101) - 1, (104 / 103 - 1), -C]
    p = trading.performance(*trading.long_flat(LAST, ACTUAL, PREDICTED, 10))
    # Four trades, each keeping 1 - C; the prices held: 102/100, then 103/101 * 104/103.
    assert p["cumulative_return"] == pytest.approx((1 - C) ** 4 * 1.02 * (104 / 101) - 1, abs=1e-14)
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
    np.testing.assert_allclose(returns, [(1 - C) * 1.02 - 1, (101 / 102 - 1), (103 / 101 - 1),
                                         (104 / 103 - 1), (102 / 104 - 1)], rtol=0, atol=1e-15)
    p = trading.performance(returns, positions)
    # (1 - C) 1.02 * 101/102 * 103/101 * 104/103 * 102/104: the prices cancel to 102/100.
    assert p["cumulative_return"] == pytest.approx(0.999 * 1.02 - 1, abs=1e-14)
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


# ---- costs come out of the equity, which never goes below 0 ----

# Four days, down 20% on the day of entry, then +10%, +12.5% and -1/11: the price goes
# 100, 80, 88, 99, 90, so buy-and-hold's equity before costs is 0.8, 0.88, 0.99, 0.9.
DOWN_LAST = [100.0, 80.0, 88.0, 99.0]
DOWN_ACTUAL = [80.0, 88.0, 99.0, 90.0]


@pytest.mark.parametrize("bps, first, total, drawdown", [
    # The entry keeps 1 - c of the equity: returns[0] = (1 - c) 0.8 - 1, the total (1 - c) 0.9 - 1,
    # and the lowest point after the entry, (1 - c) 0.8, is the drawdown from the start's 1.
    (0, -0.2, -0.1, 0.2),
    (1, -0.20008, -0.10009, 0.20008),       # c = 0.0001: 0.9999 * 0.8 = 0.79992
    (9990, -0.9992, -0.9991, 0.9992),       # c = 0.999: 0.001 * 0.8 = 0.0008
    (10000, -1.0, -1.0, 1.0),               # c = 1: the entry takes it all
], ids=["0bp", "1bp", "9990bp", "10000bp"])
def test_buy_and_hold_costs_multiply_the_equity_on_a_down_day_of_entry(bps, first, total, drawdown):
    returns, positions = trading.buy_and_hold(DOWN_LAST, DOWN_ACTUAL, bps)
    later = [0.0, 0.0, 0.0] if bps == 10_000 else [0.1, 0.125, -1 / 11]  # wiped out: earns nothing
    np.testing.assert_allclose(returns, [first, *later], rtol=0, atol=1e-14)
    kept = (1 + first) / 0.8  # 1 - c
    np.testing.assert_allclose(trading.equity(returns), [1.0, *(kept * np.array([0.8, 0.88, 0.99, 0.9]))],
                               rtol=0, atol=1e-14)
    assert np.all(trading.equity(returns) >= 0.0)
    p = trading.performance(returns, positions)
    assert p["cumulative_return"] == pytest.approx(total, abs=1e-14)
    assert p["max_drawdown"] == pytest.approx(drawdown, abs=1e-14)
    assert p["trades"] == 1
    json.dumps(p, allow_nan=False)


def test_a_wiped_out_buy_and_hold_stays_at_zero_and_holds_nothing():
    returns, positions = trading.buy_and_hold(DOWN_LAST, DOWN_ACTUAL, 10_000)
    np.testing.assert_array_equal(returns, [-1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(positions, [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(trading.equity(returns), [1.0, 0.0, 0.0, 0.0, 0.0])
    p = trading.performance(returns, positions)
    # Returns -1, 0, 0, 0: mean -1/4, sample variance ((3/4)^2 + 3 (1/4)^2) / 3 = 1/4, std 1/2.
    assert p["sharpe"] == pytest.approx(-0.25 / 0.5 * math.sqrt(252), rel=1e-12)  # -sqrt(63)
    assert p["annual_volatility"] == pytest.approx(0.5 * math.sqrt(252), rel=1e-12)
    assert (p["cumulative_return"], p["max_drawdown"]) == (-1.0, 1.0)
    assert p["trades"] == 1 and p["exposure"] == 1 / 4  # the close-out after it is no trade


def test_long_flat_at_10000_bp_is_wiped_out_by_its_first_entry_and_trades_no_more():
    # Calls: down, no move (flat), up, up, down: positions 0, 0, 1, 1, 0; the entry on step 2
    # takes the whole equity, so the exit on step 4 never happens.
    returns, positions = trading.long_flat(LAST, ACTUAL, [99.0, 102.0, 102.0, 105.0, 103.0], 10_000)
    np.testing.assert_array_equal(returns, [0.0, 0.0, -1.0, 0.0, 0.0])
    np.testing.assert_array_equal(positions, [0.0, 0.0, 1.0, 0.0, 0.0])
    p = trading.performance(returns, positions)
    # One -1 in five: mean -0.2, sample variance (0.8^2 + 4 * 0.2^2) / 4 = 0.2.
    assert p["sharpe"] == pytest.approx(-0.2 / math.sqrt(0.2) * math.sqrt(252), rel=1e-12)
    assert (p["cumulative_return"], p["max_drawdown"], p["trades"], p["exposure"]) == (-1.0, 1.0, 1, 0.2)


def test_performance_of_returns_wiped_out_after_a_gain_ignores_what_follows():
    # Up 50%, then a loss of everything: what the returns say afterwards cannot move an equity
    # of 0, so they count as 0.5, -1, 0, 0 with positions 1, 1, 0, 0.
    p = trading.performance([0.5, -1.0, 0.3, -0.2], [1.0, 1.0, 1.0, 0.0])
    r = [0.5, -1.0, 0.0, 0.0]
    mean = sum(r) / 4
    std = math.sqrt(sum((x - mean) ** 2 for x in r) / 3)
    assert p["sharpe"] == pytest.approx(mean / std * math.sqrt(252), rel=1e-12)
    assert p["annual_volatility"] == pytest.approx(std * math.sqrt(252), rel=1e-12)
    assert (p["cumulative_return"], p["max_drawdown"], p["trades"], p["exposure"]) == (-1.0, 1.0, 1, 0.5)


def test_the_report_at_10000_bp_ties_at_minus_100_percent_and_is_finite():
    report = trading.strategy_report(LAST, ACTUAL, PREDICTED, 10_000)
    # Both enter on step 0 and lose everything: returns -1, 0, 0, 0, 0, a Sharpe ratio of
    # -0.2 / sqrt(0.2) sqrt(252) = -sqrt(252 / 5) = -7.10 each.
    assert report["verdict"].startswith("does not beat buy-and-hold after costs: -100.0% against "
                                        "-100.0%, Sharpe -7.10 against -7.10")
    assert report["strategy_before_costs"] == trading.performance(
        *trading.long_flat(LAST, ACTUAL, PREDICTED, 0))
    json.dumps(report, allow_nan=False)


@pytest.mark.parametrize("bps", [0, 1e-300, 0.5, 5, 100, 5000, 9990, 9999, 9999.999999, 10_000])
def test_every_cost_the_params_allow_gives_finite_results_and_an_equity_at_or_above_zero(bps):
    # 400 steps, calls right 60% of the time: about 200 trades, enough near 10 000 bp for the
    # equity to fall below the smallest float (it is then 0, and so is -100%).
    last, actual = walk(400, 0.0005, seed=8)
    rng = np.random.default_rng(9)
    predicted = np.where(rng.random(len(last)) < 0.6, actual, 2 * last - actual)
    report, curves = trading.backtest(last, actual, predicted, bps)
    json.dumps(report, allow_nan=False)
    assert all(math.isfinite(v) for v in leaves(report) if not isinstance(v, str))
    for name, returns in curves.items():
        assert np.all(returns >= -1.0) and np.all(trading.equity(returns) >= 0.0), name
        assert -1.0 <= report[name]["cumulative_return"] and 0.0 <= report[name]["max_drawdown"] <= 1.0


def test_a_higher_cost_never_leaves_more():
    last, actual = walk(300, 0.001, seed=10)
    predicted = last * (1 + 0.001 * np.sign(np.random.default_rng(11).standard_normal(len(last))))
    for leg in ("strategy", "buy_and_hold"):
        totals = [trading.strategy_report(last, actual, predicted, bps)[leg]["cumulative_return"]
                  for bps in (0, 1, 10, 100, 1000, 9990, 10_000)]
        assert all(a > b for a, b in zip(totals[:5], totals[1:5])), leg
        # At 9 990 bp the rule's trades (about half the steps) leave 0.001 ** 150 or less of the
        # equity, below the smallest float: -100% as at 10 000 bp.
        assert totals[4] > totals[5] >= totals[6] == -1.0, leg


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
    ((LAST, ACTUAL, PREDICTED, 10_000.5), "cost_bps"),  # more than the whole equity
    ((LAST, ACTUAL, PREDICTED, True), "cost_bps"),
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
    with pytest.raises(ValueError, match="below -1"):  # a loss of more than the whole equity
        trading.performance([0.1, -1.01], [1.0, 1.0])
    with pytest.raises(ValueError, match="below -1"):
        trading.equity([-1.5])


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


# ---- the stage ----

@pytest.mark.parametrize("column, value, fragment", [
    ("model", "nan", "predicted has values that are not finite"),
    ("persistence", "-1.0", "last has prices that are not positive"),
])
def test_the_stage_stops_in_one_line_on_a_bad_test_file(project, column, value, fragment):
    from tests.conftest import run, stage_command

    rows = {"time": ["2020-01-01", "2020-01-02", "2020-01-03"], "target": ["11.0", "12.0", "11.5"],
            "model": ["10.5", "12.5", "11.0"], "persistence": ["10.0", "11.0", "12.0"]}
    rows[column][1] = value
    (project / "predictions").mkdir(exist_ok=True)
    (project / "predictions/stock_test.csv").write_text(
        "time,target,model,persistence\n"
        + "".join(",".join(rows[c][i] for c in rows) + "\n" for i in range(3)))
    proc = run(stage_command(project, "series_strategy@stock"), cwd=project, check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: predictions/stock_test.csv: ") and fragment in lines[0]
    for path in ("metrics/stock_strategy.json", "plots/stock_equity.csv",
                 "reports/figures/stock_strategy.png"):
        assert not (project / path).exists(), path
