"""Stage stock_data: a CSV of daily prices as a date-sorted series cut in time into train,
val and test parts (pandas; no TensorFlow).

By default Microsoft's daily prices, 1986-03-13 to 2017-11-10 (data/msft.csv, CC0); any CSV
works: the file is dvc.yaml's ``prices`` (the command's first argument), its date column, the
target column and extra input columns (rnnlab/data/prices.py reads it and says in one line
what is wrong with it). Rows with an empty cell inside the series (a multi-ticker file's
dates of no trade) are refused, dropped or filled with each column's last value, by
`missing` (error | drop | ffill); how many were dropped or filled is printed and recorded in
the meta record. The parts follow each other in time and are never shuffled across: the last
`test` fraction of the rows is the test part, the `val` fraction before it the validation
part, the rest trains. Every stage that scores the models does so against persistence
(tomorrow = today, the random walk) on the test part: a target that never changes there,
from the day before it to its end, leaves nothing to compare with (persistence makes no
error), and is refused before anything trains.

Outputs, at the paths dvc.yaml's cmd names: the three parts (--train, --val, --test: dates,
values, columns; the target first) and the meta record (--meta), the files every series stage
of the stock models reads (rnnlab/data/series.py), which also records `missing`: {"rule":
error | drop | ffill, "rows": rows dropped or filled}.
"""
import numpy as np

from rnnlab import params
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import LabError, run
from rnnlab.core.outputs import all_or_nothing
from rnnlab.data import limits, prices, series
from rnnlab.tracking import names

STAGE = "stock_data"


def sizes(rows, val, test, window):
    """Rows of (train, val, test): the last round(test * rows) test, the round(val * rows)
    before them val. LabError where a part is too short for what is done with it."""
    n_test, n_val = round(test * rows), round(val * rows)
    n_train = rows - n_val - n_test
    if n_train < window + 2 or n_test < 2 or (val > 0 and n_val < 2):
        raise LabError(f"stock_data: {rows} rows make {n_train} train, {n_val} val and {n_test} test "
                       f"rows; a window of {window} needs at least {window + 2} to train on, and "
                       "val (if any) and test need 2 each: use more rows, a smaller window or "
                       "other fractions")
    return n_train, n_val, n_test


def check_moves(path, column, dates, target, test_start):
    """LabError naming the file and the column if ``target`` never changes from the day before
    the test part (row ``test_start - 1``) to the end: persistence makes no error on any
    window the stages score on the test part, so no Theil's U, no verdict, no walk-forward."""
    scored = target[test_start - 1:]
    if np.all(scored == scored[0]):
        raise LabError(f"{path}: column {column!r} is {scored[0]:g} on every day from "
                       f"{dates[test_start - 1]} to {dates[-1]}, the test part and the day "
                       "before it: persistence (tomorrow = today, the random walk every stage "
                       "scores against) makes no error there, so no score can be compared with "
                       "it; use another column (stock_data.target), a larger 'stock_data.test' "
                       "or another file")


def arguments():
    parser = Arguments(STAGE)
    parser.add_argument("csv", help="the CSV of daily prices (dvc.yaml's prices)")
    for name in series.PARTS:
        parser.path(name, f"the {name} part written (.npz)")
    parser.path("meta", "the series' meta record written (JSON)")
    return parser.parse_args()


def main():
    args = arguments()
    csv = args.csv
    p = params.load(STAGE, STAGE)[STAGE]
    columns = [p["target"], *p["inputs"]]
    dates, values, gaps = prices.read_prices(csv, p["date"], columns, p["missing"])
    limits.check_float32(values, f"the prices in {csv}")
    parts = sizes(len(dates), p["val"], p["test"], p["window"])
    limits.check_size(len(dates), p["window"], len(columns),
                      f"{csv} ({len(dates):,} rows), 'stock_data.window' and '.inputs'")
    check_moves(csv, p["target"], dates, values[:, 0], parts[0] + parts[1])
    files = series.part_files(args)
    with all_or_nothing(*files.values(), args.meta):
        series.save_parts(files, args.meta, dates, values, columns, parts, source=csv, time="date",
                          experiment=names.experiment(csv, "stock"),
                          missing={"rule": p["missing"], "rows": gaps})
    starts = [dates[0], dates[parts[0]], dates[parts[0] + parts[1]]]
    done = {"drop": "dropped", "ffill": "filled"}.get(p["missing"])
    print(f"stock_data: {csv}: {len(dates)} days {dates[0]} .. {dates[-1]}, {columns}; "
          + ", ".join(f"{name} {n} from {start}" for name, n, start in zip(series.PARTS, parts, starts)
                      if n)
          + (f"; {gaps} row{'s' * (gaps != 1)} with empty cells {done}" if done else ""))


if __name__ == "__main__":
    run(main)
