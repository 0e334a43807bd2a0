"""Could one trade on a price forecast? A long/flat rule scored against buy-and-hold (numpy only).

Not financial advice: a classroom backtest, with no slippage, taxes, dividends or interest.

Every function takes a test part's one-step forecasts as three arrays (n,): ``last`` the last
close a window ends on, ``actual`` the close after it (the target) and ``predicted`` the
model's prediction of ``actual``. Step i earns the daily return r[i] = actual[i]/last[i] - 1
(consecutive trading days: actual[i] is last[i + 1], but nothing here relies on it).
  direction     the predicted move's sign against the real one, on the steps that moved;
                a binomial test of the hits against a coin (50%) and against the best
                constant guess (always 'up' or always 'down', whichever was right more often).
  long_flat     long (position 1) when the model predicts a rise, else flat (0). A change of
                position is a trade at the close of last[i] that costs cost = cost_bps / 10 000
                of the equity; what is left then earns the step's move:
                1 + return[i] = (1 - cost |position[i] - position[i-1]|) (1 + position[i] r[i]),
                position[-1] = 0 (the first entry is a trade). A position still open after the
                last step is not charged for closing: buy-and-hold is not either.
  buy_and_hold  always long: the same formula with every position 1, one trade.
  performance   cumulative return prod(1 + return) - 1, annual volatility std(return) sqrt(252),
                Sharpe ratio mean(return) / std(return) sqrt(252) (risk-free rate 0; 0 when the
                returns are constant), the largest fall of the equity curve from a peak, trades
                and exposure.
The equity never goes below 0: cost_bps is at most 10 000 (100%) and prices are positive, so
both factors of 1 + return are >= 0. At 10 000 bp a trade takes all of it: a return of -100%,
which wipes the equity out. A wiped-out equity stays at 0: from the next step it holds nothing
and earns nothing (positions 0, returns 0 and no more trades), so its cumulative return is
-100% and its max drawdown 100% (in float64 so is a trade leaving less than about 1e-16 of the
equity, whose return rounds to -1; many trades near 100% can also leave an equity below the
smallest float, 0: -100% and 100%, though the returns go on). Its Sharpe ratio is the same formula over all n steps, finite:
a rule wiped out on its first trade (the only way at 10 000 bp; it was flat before) has one
return of -1 and n - 1 of 0, a mean of -1/n and a std of 1/sqrt(n), so a Sharpe ratio of
-sqrt(252 / n) (-sqrt(63) = -7.94 over 4 steps) and a volatility of sqrt(252 / n). The Sharpe
ratio averages daily returns, so near 100% it says little: at 9 990 bp buy-and-hold's one loss
of 99.9% weighs as one day in n, and a rising stock after it can leave a Sharpe ratio above 0
with a cumulative return near -100%; a long/flat rule that keeps trading there loses about
99.9% at every trade, a lower Sharpe ratio than when the first trade wipes it out and it stops.
Read the cumulative return there.
The position is decided at the close of last[i] and traded at that very close: the forecast
needs that close, so real trading would fill a little later, at another price. The binomial
test takes the steps as independent coin flips, which daily moves are only roughly.
"""
import math

import numpy as np

PERIODS_PER_YEAR = 252
"""Trading days in a year: daily figures are annualised with it."""


def _series(name, values, n=None):
    """``values`` as a finite float64 vector of at least two values (``n`` of them if given)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"{name} must be a vector of at least two values, got shape {values.shape}")
    if n is not None and len(values) != n:
        raise ValueError(f"{name} has {len(values)} values, the others {n}: the lengths must match")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} has values that are not finite (NaN or infinite)")
    return values


def _prices(last, actual, predicted=None):
    """Checked float64 copies: equal lengths >= 2, finite, observed prices positive (a
    prediction need only be finite: a negative one is still a call that the price falls)."""
    last = _series("last", last)
    actual = _series("actual", actual, len(last))
    for name, values in (("last", last), ("actual", actual)):
        if np.any(values <= 0):
            raise ValueError(f"{name} has prices that are not positive: a return needs prices > 0")
    if predicted is None:
        return last, actual
    return last, actual, _series("predicted", predicted, len(last))


def _cost(cost_bps):
    """The cost of a trade as a share of the equity: 0 to 1 (10 000 bp, all of it)."""
    if not (isinstance(cost_bps, (int, float, np.integer, np.floating))
            and not isinstance(cost_bps, (bool, np.bool_)) and math.isfinite(cost_bps)
            and 0 <= cost_bps <= 10_000):
        raise ValueError("cost_bps must be a number from 0 to 10000 (basis points of the equity "
                         f"per trade; 10000 takes all of it), got {cost_bps!r}")
    return float(cost_bps) / 10_000


def direction(last, actual, predicted):
    """{accuracy, n, hits, up_share, best_constant, p_vs_half, p_vs_up_share}: the share of the
    n steps that moved (actual not equal to last to 9 significant digits, as forecast.one_step
    scores it) whose predicted move had the real move's sign. A prediction equal to ``last``
    calls no move: it counts as wrong. ``best_constant`` = max(up_share, 1 - up_share), the
    accuracy of always saying 'up' (or 'down' if the price fell more often); the p-values are
    one-sided binomial tests that the accuracy is above 0.5 and above ``best_constant``. No step
    moved: accuracy 0, up_share 0.5 and p-values 1 (nothing to test)."""
    last, actual, predicted = _prices(last, actual, predicted)
    moved = ~np.isclose(actual, last, rtol=1e-9, atol=0.0)
    n = int(moved.sum())
    if n == 0:
        return {"accuracy": 0.0, "n": 0, "hits": 0, "up_share": 0.5, "best_constant": 0.5,
                "p_vs_half": 1.0, "p_vs_up_share": 1.0}
    from scipy.stats import binomtest  # imported here: scipy.stats is slow to import

    sign = np.sign(actual[moved] - last[moved])
    hits = int(np.sum(np.sign(predicted[moved] - last[moved]) == sign))
    up_share = float(np.mean(sign > 0))
    best = max(up_share, 1.0 - up_share)
    return {"accuracy": hits / n, "n": n, "hits": hits, "up_share": up_share, "best_constant": best,
            "p_vs_half": float(binomtest(hits, n, 0.5, alternative="greater").pvalue),
            "p_vs_up_share": float(binomtest(hits, n, best, alternative="greater").pvalue)}


def _returns(last, actual, positions, cost):
    """(returns, positions): (1 - cost |change of position|) (1 + position r) - 1, starting flat;
    after a wipe-out (a return of -1) flat, with returns 0 (``_close_out``)."""
    changes = np.abs(np.diff(positions, prepend=0.0))
    # Each factor is >= 0 (cost <= 1, r >= -1, positions 0 or 1): so is 1 + return.
    growth = (1.0 - cost * changes) * (1.0 + positions * (actual / last - 1.0))
    returns, positions, _ = _close_out(growth - 1.0, positions)
    return returns, positions


def _close_out(returns, positions):
    """(returns, positions, live): copies in which the steps after the first return of -1 (the
    equity wiped out: it stays at 0) are flat and earn 0, and ``live`` the number of steps up
    to and including it (n if the equity never reached 0)."""
    returns, positions = returns.copy(), positions.copy()
    gone = np.flatnonzero(returns <= -1.0)
    live = int(gone[0]) + 1 if gone.size else len(returns)
    returns[live:] = 0.0
    positions[live:] = 0.0
    return returns, positions, live


def long_flat(last, actual, predicted, cost_bps=0.0):
    """(returns, positions), each (n,) float64: long (1) on the steps whose prediction is above
    ``last``, flat (0) otherwise, ``cost_bps`` basis points of the equity taken per position
    change; flat with returns 0 after a wipe-out (at 10 000 bp, the first entry)."""
    last, actual, predicted = _prices(last, actual, predicted)
    positions = (predicted > last).astype(np.float64)
    return _returns(last, actual, positions, _cost(cost_bps))


def buy_and_hold(last, actual, cost_bps=0.0):
    """(returns, positions) of always being long: the first entry is the only trade charged
    (at 10 000 bp it wipes the equity out: returns -1, 0, 0, ..., positions 1, 0, 0, ...)."""
    last, actual = _prices(last, actual)
    return _returns(last, actual, np.ones(len(last)), _cost(cost_bps))


def equity(returns):
    """The equity curve, n + 1 values (n,) returns: 1 before the first step, then prod(1 + r)
    after each, never below 0 (a return below -1, a loss of more than the whole equity, is a
    ValueError). Plot it against the date of last[0] followed by the n steps' dates."""
    returns = np.asarray(returns, dtype=np.float64)
    if np.any(returns < -1.0):
        raise ValueError("returns has values below -1: no step can lose more than the whole equity")
    return np.concatenate([[1.0], np.cumprod(1.0 + returns)])


def performance(returns, positions, periods_per_year=PERIODS_PER_YEAR):
    """{cumulative_return, annual_volatility, sharpe, max_drawdown, trades, exposure} of daily
    ``returns`` (each >= -1) with ``positions`` (both (n,)). Sharpe: risk-free rate 0, sample
    std (ddof 1); constant returns (all flat, say) have no volatility and a Sharpe of 0, never
    NaN. max_drawdown: the largest fall from a peak of ``equity`` (which starts at 1), a
    positive fraction (0.25: a quarter lost; 1: wiped out). trades: position changes, the first
    entry included; exposure: the share of the n steps in the market. After a return of -1 the
    equity is 0 for good: the steps after it count as flat, with returns 0 (module docstring)."""
    returns = _series("returns", returns)
    positions = _series("positions", positions, len(returns))
    if not periods_per_year > 0:
        raise ValueError(f"periods_per_year must be > 0, got {periods_per_year!r}")
    curve = equity(returns)
    returns, positions, live = _close_out(returns, positions)
    drawdown = 1.0 - curve / np.maximum.accumulate(curve)  # the peak is >= 1: no division by 0
    std = float(np.std(returns, ddof=1))
    if np.all(returns == returns[0]) or std == 0.0:
        volatility = sharpe = 0.0
    else:
        volatility = std * math.sqrt(periods_per_year)
        sharpe = float(np.mean(returns)) / std * math.sqrt(periods_per_year)
    return {"cumulative_return": float(curve[-1] - 1.0),
            "annual_volatility": volatility,
            "sharpe": sharpe,
            "max_drawdown": float(drawdown.max()),
            # A wiped-out equity's close-out (the step after it) is no trade: nothing is sold.
            "trades": int(np.count_nonzero(np.diff(positions[:live], prepend=0.0))),
            "exposure": float(np.mean(positions > 0))}


def strategy_report(last, actual, predicted, cost_bps):
    """{direction, strategy, strategy_before_costs, buy_and_hold, cost_bps, verdict}: ``direction``
    and the ``performance`` of long/flat after and before costs and of buy-and-hold after costs;
    plain floats and ints (JSON as is). ``verdict``: one sentence, 'beats buy-and-hold' if
    long/flat ends with the larger cumulative return after costs, else 'does not beat', and
    whether the Sharpe ratios agree."""
    return backtest(last, actual, predicted, cost_bps)[0]


def backtest(last, actual, predicted, cost_bps):
    """(``strategy_report``, {'strategy', 'strategy_before_costs', 'buy_and_hold': the daily
    returns it was computed from}): the returns for the equity curves, computed once."""
    last, actual, predicted = _prices(last, actual, predicted)
    cost_bps = _cost(cost_bps) * 10_000
    legs = {"strategy": long_flat(last, actual, predicted, cost_bps),
            "strategy_before_costs": long_flat(last, actual, predicted, 0.0),
            "buy_and_hold": buy_and_hold(last, actual, cost_bps)}
    report = {"direction": direction(last, actual, predicted),
              **{name: performance(*leg) for name, leg in legs.items()}, "cost_bps": cost_bps}
    report["verdict"] = verdict(report)
    return report, {name: returns for name, (returns, _) in legs.items()}


def _p(p):
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def verdict(report, calls=True):
    """The sentence of a ``strategy_report``: long/flat against buy-and-hold after costs, with
    its directional accuracy in brackets unless ``calls`` is False (the results page gives it
    before)."""
    s, b, d = report["strategy"], report["buy_and_hold"], report["direction"]
    more, sharper = s["cumulative_return"] > b["cumulative_return"], s["sharpe"] > b["sharpe"]
    if more:
        head = "beats buy-and-hold after costs" + ("" if sharper else ", but with a lower Sharpe ratio")
    else:
        head = "does not beat buy-and-hold after costs" + (", though its Sharpe ratio is higher"
                                                           if sharper else "")
    numbers = (f"{s['cumulative_return']:+.1%} against {b['cumulative_return']:+.1%}, "
               f"Sharpe {s['sharpe']:.2f} against {b['sharpe']:.2f}")
    if d["n"] == 0:
        return f"{head}: {numbers} (the price never moved: no direction to score)"
    if not calls:
        return f"{head}: {numbers}"
    calls = (f"directional accuracy {d['accuracy']:.1%}, binomial p {_p(d['p_vs_half'])} "
             f"against 50% and {_p(d['p_vs_up_share'])} against the best constant guess "
             f"({d['best_constant']:.1%})")
    return f"{head}: {numbers} ({calls})"
