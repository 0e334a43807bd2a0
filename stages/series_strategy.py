"""Stage series_strategy@<model>: could one trade on a series model? (numpy, scipy; no
TensorFlow) The models traded on are the sections of params.yaml's `series_strategy` (the
lab's stock model by default).

Not financial advice: a classroom backtest (rnnlab/scores/trading.py says what it leaves out).

From the model's one-step predictions on the test part (plots/<model>_test.csv, written by
series_evaluate@<model>): its directional accuracy, with binomial tests against a coin and
against the best constant guess; a long/flat rule (long the next day when the model predicts
a rise) after a cost of `series_strategy.<model>.cost_bps` basis points per trade, and before costs,
against buy-and-hold: cumulative return, annualised volatility, Sharpe ratio, maximum drawdown,
trades; and a verdict sentence. Costs are taken from the equity, which never goes below 0: at
10 000 bp (100%) the first trade wipes it out (rnnlab/scores/trading.py says what every figure is then).

Outputs: metrics/<model>_strategy.json, plots/<model>_equity.csv (the three equity curves: a
row per day, the value after it, from 1), reports/figures/<model>_strategy.png. Logged into the
model's run (runs/<model>.json) as `trade_<...>`.
"""
from rnnlab import params
from rnnlab.charts import series_figures
from rnnlab.core.errors import LabError, run
from rnnlab.core.outputs import all_or_nothing, reading, write_csv, write_json
from rnnlab.data import series
from rnnlab.scores import trading
from rnnlab.tracking import runs

MODULE = "series_strategy"


def main():
    s = series.from_argv(MODULE, params.series_models())
    stage, section = f"{MODULE}@{s.name}", f"{MODULE}.{s.name}"
    cost = params.load(stage, section)[section]["cost_bps"]
    import pandas as pd

    with reading(s.test_plot):
        test = pd.read_csv(s.test_plot)
        last, actual, predicted = (test[c].to_numpy(float) for c in ("persistence", "target", "model"))
    if len(test) < 2:
        raise LabError(f"{s.test_plot}: {len(test)} test days; the strategy needs at least 2")
    try:
        report, curves = trading.backtest(last, actual, predicted, cost)
    except ValueError as err:  # a NaN prediction, a price <= 0: the file, not the code
        raise LabError(f"{s.test_plot}: {err} (columns persistence = last, target = actual, "
                       "model = predicted)") from None
    verdict = report.pop("verdict")
    with all_or_nothing(s.strategy_metrics, s.equity_plot, s.strategy_figure), \
            runs.same_run(s.run, stage):
        write_json(s.strategy_metrics, report)
        # The equity after each day (it starts at 1), dated at the close it is valued at.
        equity = {name: trading.equity(r)[1:] for name, r in curves.items()}
        write_csv(s.equity_plot, {"step": range(len(test)), "time": test["time"], **equity})
        series_figures.equity_figure(s.strategy_figure, test["time"].to_numpy(), equity,
                                     report, verdict)
        runs.log_metrics(dict(runs.flatten(report, "trade")))
        runs.log_text(f"{verdict}\n\nNot financial advice: a classroom backtest.\n",
                      "strategy.txt")
        runs.log_as(s.strategy_figure, "figures/strategy.png")
    print(f"{stage}: the long/flat rule on {s.name} {verdict} (not financial advice)")


if __name__ == "__main__":
    run(main)
