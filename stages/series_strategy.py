"""Stage series_strategy@<model>: could one trade on a series model? (numpy, scipy; no
TensorFlow) The models traded on are the sections of params.yaml's `series_strategy` (the
lab's stock model by default).

Not financial advice: a classroom backtest (rnnlab/scores/trading.py says what it leaves out).

From the model's one-step predictions on the test part (--test-predictions, written by
series_evaluate@<model>): its directional accuracy, with binomial tests against a coin and
against the best constant guess; a long/flat rule (long the next day when the model predicts
a rise) after a cost of `series_strategy.<model>.cost_bps` basis points per trade, and before costs,
against buy-and-hold: cumulative return, annualised volatility, Sharpe ratio, maximum drawdown,
trades; and a verdict sentence. Costs are taken from the equity, which never goes below 0: at
10 000 bp (100%) the first trade wipes it out (rnnlab/scores/trading.py says what every figure is then).

Outputs, at the paths dvc.yaml's cmd names: the metrics (--metrics), the three equity curves
(--equity: a row per day, the value after it, from 1) and the figure (--figure). Logged into
the model's run (--run, series_train's) as `trade_<...>`.
"""
from rnnlab import params
from rnnlab.charts import series_figures
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import LabError, run
from rnnlab.core.outputs import all_or_nothing, reading, write_csv, write_json
from rnnlab.scores import trading
from rnnlab.tracking import runs

MODULE = "series_strategy"


def arguments():
    parser = Arguments(MODULE)
    parser.choice("name", params.series_models(), "the model: a section of params.yaml's series")
    parser.path("test-predictions", "series_evaluate's predictions on the test part (CSV)")
    parser.path("run", "series_train's MLflow run (JSON)")
    parser.path("metrics", "the metrics written (JSON)")
    parser.path("equity", "the equity curves written (CSV)")
    parser.path("figure", "the figure written (PNG)")
    return parser.parse_args()


def main():
    args = arguments()
    model = args.name
    stage, section = f"{MODULE}@{model}", f"{MODULE}.{model}"
    cost = params.load(stage, section)[section]["cost_bps"]
    import pandas as pd

    path = args.test_predictions
    with reading(path):
        test = pd.read_csv(path)
        last, actual, predicted = (test[c].to_numpy(float) for c in ("persistence", "target", "model"))
    if len(test) < 2:
        raise LabError(f"{path}: {len(test)} test days; the strategy needs at least 2")
    try:
        report, curves = trading.backtest(last, actual, predicted, cost)
    except ValueError as err:  # a NaN prediction, a price <= 0: the file, not the code
        raise LabError(f"{path}: {err} (columns persistence = last, target = actual, "
                       "model = predicted)") from None
    verdict = report.pop("verdict")
    with all_or_nothing(args.metrics, args.equity, args.figure), runs.same_run(args.run, stage):
        write_json(args.metrics, report)
        # The equity after each day (it starts at 1), dated at the close it is valued at.
        equity = {name: trading.equity(r)[1:] for name, r in curves.items()}
        write_csv(args.equity, {"step": range(len(test)), "time": test["time"], **equity})
        series_figures.equity_figure(args.figure, test["time"].to_numpy(), equity,
                                     report, verdict)
        runs.log_metrics(dict(runs.flatten(report, "trade")))
        runs.log_text(f"{verdict}\n\nNot financial advice: a classroom backtest.\n",
                      "strategy.txt")
        runs.log_as(args.figure, "figures/strategy.png")
    print(f"{stage}: the long/flat rule on {model} {verdict} (not financial advice)")


if __name__ == "__main__":
    run(main)
