"""Reading a CSV of daily prices (rnnlab/data/prices.py): date formats, order, columns, the empty
cells at either end, the empty cells inside the series by stock_data.missing (error, drop,
ffill; also through the stage), and a one-line LabError naming the cause of each kind of bad
file."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from rnnlab.core.errors import LabError
from rnnlab.data.prices import read_prices
from tests.conftest import run, stage_command

ROOT = Path(__file__).parent.parent


def write(tmp_path, text, name="prices.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def read_counted(tmp_path, text, columns=("Close",), date="Date", missing="error"):
    """Dates, values and the number of rows dropped or filled."""
    return read_prices(write(tmp_path, text), date, list(columns), missing)


def read(tmp_path, text, columns=("Close",), date="Date", missing="error"):
    dates, values, _ = read_counted(tmp_path, text, columns, date, missing)
    return dates, values


# ---- dates ----

@pytest.mark.parametrize("cells,expected", [
    (["2017-11-10", "2017-11-13"], ["2017-11-10", "2017-11-13"]),          # ISO
    (["2017-11-10 00:00:00", "2017-11-13 00:00:00"], ["2017-11-10", "2017-11-13"]),
    (["19-Sep-03", "22-Sep-03"], ["2003-09-19", "2003-09-22"]),            # %d-%b-%y
    (["19-Sep-2003", "22-Sep-2003"], ["2003-09-19", "2003-09-22"]),
    (["11/10/2017", "11/13/2017"], ["2017-11-10", "2017-11-13"]),          # month first (US)
    (["10/11/2017", "13/11/2017"], ["2017-11-10", "2017-11-13"]),          # day first: 13 > 12
    (['"Sep 19, 2003"', '"Sep 22, 2003"'], ["2003-09-19", "2003-09-22"]),  # quoted: a comma
    (["20030919", "20030922"], ["2003-09-19", "2003-09-22"]),
])
def test_each_known_date_format_reads_as_iso(tmp_path, cells, expected):
    dates, values = read(tmp_path, "Date,Close\n" + "".join(f"{c},{i + 1}\n" for i, c in enumerate(cells)))
    assert dates.tolist() == expected
    np.testing.assert_array_equal(values, [[1.0], [2.0]])


def test_an_ambiguous_slash_date_is_read_month_first(tmp_path):
    # Every first field <= 12: the US reading (%m/%d/%Y) is tried first and fits all.
    dates, _ = read(tmp_path, "Date,Close\n10/11/2017,1\n12/11/2017,2\n")
    assert dates.tolist() == ["2017-10-11", "2017-12-11"]


@pytest.mark.parametrize("order", [[4, 3, 2, 1, 0], [2, 0, 4, 1, 3]])
def test_rows_come_out_sorted_by_date_with_their_values(tmp_path, order):
    days = ["2017-11-06", "2017-11-07", "2017-11-08", "2017-11-09", "2017-11-10"]
    rows = "".join(f"{days[i]},{10 + i},{100 + i}\n" for i in order)
    dates, values = read(tmp_path, "Date,Close,Volume\n" + rows, columns=["Close", "Volume"])
    assert dates.tolist() == days
    np.testing.assert_array_equal(values, [[10 + i, 100 + i] for i in range(5)])
    assert values.dtype == np.float64 and dates.dtype.kind == "U"


def test_shuffled_day_first_dates_sort_by_date_not_by_text(tmp_path):
    dates, values = read(tmp_path, "Date,Close\n02/12/2017,3\n13/11/2017,2\n30/10/2017,1\n")
    assert dates.tolist() == ["2017-10-30", "2017-11-13", "2017-12-02"]
    np.testing.assert_array_equal(values[:, 0], [1, 2, 3])


# ---- columns ----

YAHOO = ("Date,Open,High,Low,Close,Adj Close,Volume\n"
         "2017-11-08,84.14,84.61,83.83,84.56,82.10,18034200\n"
         "2017-11-09,84.11,84.27,82.90,84.09,81.64,21175384\n"
         "2017-11-10,83.79,84.10,83.23,83.87,81.43,19396301\n")


def test_yahoo_file_gives_the_target_then_the_inputs_in_that_order(tmp_path):
    dates, values = read(tmp_path, YAHOO, columns=["Adj Close", "Open", "Volume"])
    assert dates.tolist() == ["2017-11-08", "2017-11-09", "2017-11-10"]
    np.testing.assert_array_equal(values, [[82.10, 84.14, 18034200],
                                           [81.64, 84.11, 21175384],
                                           [81.43, 83.79, 19396301]])
    _, reordered = read(tmp_path, YAHOO, columns=["Volume", "Adj Close"])
    np.testing.assert_array_equal(reordered, values[:, [2, 0]])


def test_spaces_after_commas_in_header_and_cells_are_ignored(tmp_path):
    dates, values = read(tmp_path, "Date, Close\n2017-11-10, 1.5\n2017-11-13, 2.5\n")
    assert dates.tolist() == ["2017-11-10", "2017-11-13"]
    np.testing.assert_array_equal(values[:, 0], [1.5, 2.5])


def test_a_quoted_thousands_separator_is_read_as_a_number(tmp_path):
    _, values = read(tmp_path, 'Date,Close,Volume\n2017-11-10,"1,234.5","19,396,301"\n'
                               '2017-11-13,1000,1\n', columns=["Close", "Volume"])
    np.testing.assert_array_equal(values, [[1234.5, 19396301], [1000, 1]])


# ---- empty cells at either end ----

def test_empty_cells_before_the_first_and_after_the_last_complete_row_are_dropped(tmp_path):
    text = ("Date,MSFT,AAPL\n"
            "2017-11-06,10,\n"        # AAPL listed later: empty string
            "2017-11-07,11,null\n"    # Yahoo's null
            "2017-11-08,12,20\n"
            "2017-11-09,13,21\n"
            "2017-11-10,NaN,22\n")    # MSFT delisted: NaN
    dates, values = read(tmp_path, text, columns=["MSFT", "AAPL"])
    assert dates.tolist() == ["2017-11-08", "2017-11-09"]
    np.testing.assert_array_equal(values, [[12, 20], [13, 21]])
    # Only the chosen columns count: MSFT alone keeps its first rows, drops only the NaN.
    dates, values = read(tmp_path, text, columns=["MSFT"])
    assert dates.tolist() == ["2017-11-06", "2017-11-07", "2017-11-08", "2017-11-09"]
    np.testing.assert_array_equal(values[:, 0], [10, 11, 12, 13])


def test_leading_empty_cells_are_found_after_sorting(tmp_path):
    # The file runs newest first: the later-listed ticker's empty cells are at the bottom.
    text = "Date,A,B\n2017-11-10,3,30\n2017-11-09,2,20\n2017-11-08,1,\n2017-11-07,0,null\n"
    dates, values = read(tmp_path, text, columns=["A", "B"])
    assert dates.tolist() == ["2017-11-09", "2017-11-10"]
    np.testing.assert_array_equal(values, [[2, 20], [3, 30]])


def test_an_empty_cell_of_a_column_not_chosen_does_not_matter(tmp_path):
    text = "Date,Close,Volume\n2017-11-08,1,\n2017-11-09,2,abc\n2017-11-10,3,null\n"
    dates, values = read(tmp_path, text, columns=["Close"])
    assert dates.tolist() == ["2017-11-08", "2017-11-09", "2017-11-10"]
    np.testing.assert_array_equal(values[:, 0], [1, 2, 3])


# ---- errors, each naming its cause ----

def test_missing_file_names_the_path(tmp_path):
    path = str(tmp_path / "nowhere.csv")
    with pytest.raises(LabError, match=re.escape(path)):
        read_prices(path, "Date", ["Close"])


@pytest.mark.parametrize("date,columns,key", [("Date", ["Close*"], "stock_data.target"),
                                              ("Date", ["Close", "Vol"], "stock_data.inputs"),
                                              ("Day", ["Close"], "stock_data.date")])
def test_missing_column_lists_the_columns_the_file_has(tmp_path, date, columns, key):
    with pytest.raises(LabError) as err:
        read(tmp_path, YAHOO, columns=columns, date=date)
    message = str(err.value)
    assert "has no column" in message and key in message
    assert "'Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'" in message
    assert "\n" not in message


@pytest.mark.parametrize("cell", ["", "null", "NaN"])
def test_a_gap_inside_the_series_names_the_column_and_the_date(tmp_path, cell):
    text = f"Date,Close,Volume\n2017-11-08,1,10\n2017-11-09,2,{cell}\n2017-11-10,3,30\n"
    with pytest.raises(LabError, match=r"column 'Volume' has no value on 2017-11-09, inside"):
        read(tmp_path, text, columns=["Close", "Volume"])


def test_a_duplicate_date_is_named(tmp_path):
    text = "Date,Close\n2017-11-08,1\n2017-11-09,2\n2017-11-10,3\n2017-11-09,4\n"
    with pytest.raises(LabError, match=r"the date 2017-11-09 occurs more than once"):
        read(tmp_path, text)


@pytest.mark.parametrize("cell", ["abc", "1.2.3", "inf"])
def test_a_non_numeric_cell_names_column_date_and_cell(tmp_path, cell):
    text = f"Date,Close,Volume\n2017-11-08,1,10\n2017-11-09,2,{cell}\n2017-11-10,3,30\n"
    with pytest.raises(LabError, match=rf"column 'Volume' on 2017-11-09 is '{re.escape(cell)}', not a number"):
        read(tmp_path, text, columns=["Close", "Volume"])


@pytest.mark.parametrize("cell", ["yesterday", "2017-13-45", "31/02/2017"])
def test_an_unreadable_date_is_named(tmp_path, cell):
    text = f"Date,Close\n2017-11-08,1\n{cell},2\n2017-11-10,3\n"
    with pytest.raises(LabError, match=rf"column 'Date': cannot read the date '{re.escape(cell)}'"):
        read(tmp_path, text)


def test_a_column_mixing_date_formats_names_both(tmp_path):
    text = "Date,Close\n2017-11-08,1\n11/09/2017,2\n2017-11-10,3\n"
    with pytest.raises(LabError, match="mixes date formats: '2017-11-08' and '11/09/2017'"):
        read(tmp_path, text)


def test_a_row_with_values_but_no_date_is_refused(tmp_path):
    with pytest.raises(LabError, match="row 3 has values but no date"):
        read(tmp_path, "Date,Close\n2017-11-08,1\n,2\n2017-11-10,3\n")


def test_a_decimal_comma_is_not_taken_for_a_thousands_separator(tmp_path):
    with pytest.raises(LabError, match="'12,5', not a number"):
        read(tmp_path, 'Date,Close\n2017-11-08,1\n2017-11-09,"12,5"\n2017-11-10,3\n')


@pytest.mark.parametrize("date,columns", [("Date", ["Close", "Close"]),
                                          ("Date", ["Close", "Open", "Close"]),
                                          ("Date", ["Date"]),
                                          ("Date", ["Close", "Date"])])
def test_target_and_inputs_must_be_distinct_and_not_the_date(tmp_path, date, columns):
    with pytest.raises(LabError, match=r"stock_data: the target and input columns must be distinct"):
        read(tmp_path, YAHOO, columns=columns, date=date)


@pytest.mark.parametrize("text,fragment", [("", "is not a readable CSV file"),
                                           ("Date,Close\n", "has no rows"),
                                           ("Date,Close\n2017-11-10,null\n2017-11-13,\n",
                                            "has no row with a value in every one of")])
def test_a_file_without_data_is_refused(tmp_path, text, fragment):
    with pytest.raises(LabError, match=fragment):
        read(tmp_path, text)


# ---- the default file ----

def test_the_default_msft_file():
    dates, values, gaps = read_prices(str(ROOT / "data" / "msft.csv"), "Date", ["Close"])
    assert len(dates) == len(values) == 7983 and gaps == 0
    assert dates[0] == "1986-03-13" and dates[-1] == "2017-11-10"
    assert (dates[1:] > dates[:-1]).all()  # ISO strings sort as dates: sorted, no duplicates
    assert values.shape == (7983, 1) and np.isfinite(values).all() and (values > 0).all()


def test_dates_with_a_time_and_changing_utc_offsets_are_the_days_as_written(tmp_path):
    """Daily bars some libraries write: midnight in the exchange's zone, whose offset changes."""
    text = ("Date,Close\n2020-03-06 00:00:00-05:00,10\n2020-03-09 00:00:00-04:00,11\n"
            "2020-03-10 00:00:00-04:00,12\n")
    dates, values = read(tmp_path, text)
    assert dates.tolist() == ["2020-03-06", "2020-03-09", "2020-03-10"]
    assert values[:, 0].tolist() == [10, 11, 12]


@pytest.mark.parametrize("cell", ["nan", "NaT"])
def test_a_date_that_is_not_a_date_is_refused(tmp_path, cell):
    with pytest.raises(LabError, match=f"cannot read the date '{cell}'"):
        read(tmp_path, f"Date,Close\n2020-03-06,1\n{cell},2\n2020-03-09,3\n")


def test_two_rows_of_one_day_are_a_duplicate(tmp_path):
    with pytest.raises(LabError, match="the date 2020-03-06 occurs more than once"):
        read(tmp_path, "Date,Close\n2020-03-06 10:00,1\n2020-03-06 11:00,2\n2020-03-09 10:00,3\n")


# ---- empty cells inside the series: stock_data.missing ----

GAP = ("Date,Close,Volume\n"
       "2017-11-06,10,100\n"
       "2017-11-07,11,110\n"
       "2017-11-08,,\n"          # a date of no trade: empty in every column
       "2017-11-09,13,130\n"
       "2017-11-10,14,140\n")


def test_missing_error_refuses_an_empty_row_inside_the_series_in_one_line(tmp_path):
    with pytest.raises(LabError) as err:
        read(tmp_path, GAP, columns=["Close", "Volume"], missing="error")
    assert str(err.value) == (f"{tmp_path / 'prices.csv'}: column 'Close' has no value on "
                              "2017-11-08, inside the series (fill or remove that row)")
    with pytest.raises(LabError, match="has no value on 2017-11-08"):  # error is the default
        read_prices(str(tmp_path / "prices.csv"), "Date", ["Close", "Volume"])


def test_missing_drop_leaves_the_row_out_and_counts_it(tmp_path):
    dates, values, rows = read_counted(tmp_path, GAP, columns=["Close", "Volume"], missing="drop")
    assert dates.tolist() == ["2017-11-06", "2017-11-07", "2017-11-09", "2017-11-10"]
    np.testing.assert_array_equal(values, [[10, 100], [11, 110], [13, 130], [14, 140]])
    assert rows == 1 and values.dtype == np.float64


def test_missing_ffill_carries_the_previous_days_values_and_counts_the_row(tmp_path):
    dates, values, rows = read_counted(tmp_path, GAP, columns=["Close", "Volume"], missing="ffill")
    assert dates.tolist() == ["2017-11-06", "2017-11-07", "2017-11-08", "2017-11-09", "2017-11-10"]
    np.testing.assert_array_equal(values[2], values[1])  # 2017-11-08 is 2017-11-07's
    np.testing.assert_array_equal(values, [[10, 100], [11, 110], [11, 110], [13, 130], [14, 140]])
    assert rows == 1


def test_ffill_fills_each_column_on_its_own_over_several_rows_in_date_order(tmp_path):
    # Newest first; B has a run of two empty cells, A one empty cell on another day.
    text = ("Date,A,B\n2017-11-10,5,50\n2017-11-09,4,\n2017-11-08,,null\n"
            "2017-11-07,2,20\n2017-11-06,1,10\n")
    dates, values, rows = read_counted(tmp_path, text, columns=["A", "B"], missing="ffill")
    assert dates.tolist() == ["2017-11-06", "2017-11-07", "2017-11-08", "2017-11-09", "2017-11-10"]
    np.testing.assert_array_equal(values, [[1, 10], [2, 20], [2, 20], [4, 20], [5, 50]])
    assert rows == 2
    dates, values, rows = read_counted(tmp_path, text, columns=["A", "B"], missing="drop")
    assert dates.tolist() == ["2017-11-06", "2017-11-07", "2017-11-10"] and rows == 2
    np.testing.assert_array_equal(values, [[1, 10], [2, 20], [5, 50]])


# A monthly file with one column per ticker: BBB is listed from February, and 1990-04-01 is a
# date of no trade for every ticker; 1990-06-01 is after AAA is delisted.
TICKERS = ("Date,AAA,BBB,CCC\n"
           "1990-01-01,1.0,,3.0\n"
           "1990-02-01,1.1,2.1,3.1\n"
           "1990-03-01,1.2,2.2,3.2\n"
           "1990-04-01,,,\n"
           "1990-05-01,1.4,2.4,3.4\n"
           "1990-06-01,,2.5,3.5\n")


@pytest.mark.parametrize("missing,dates,values", [
    ("drop", ["1990-02-01", "1990-03-01", "1990-05-01"],
     [[1.1, 2.1, 3.1], [1.2, 2.2, 3.2], [1.4, 2.4, 3.4]]),
    ("ffill", ["1990-02-01", "1990-03-01", "1990-04-01", "1990-05-01"],
     [[1.1, 2.1, 3.1], [1.2, 2.2, 3.2], [1.2, 2.2, 3.2], [1.4, 2.4, 3.4]]),
])
def test_a_multi_ticker_file_with_a_late_ticker_and_a_date_of_no_trade(tmp_path, missing, dates, values):
    got_dates, got_values, rows = read_counted(tmp_path, TICKERS, columns=["AAA", "BBB", "CCC"],
                                               missing=missing)
    # The leading empty cell (BBB in January) and the trailing one (AAA in June) are cut as
    # always and not counted; the date of no trade inside is dropped or filled.
    assert got_dates.tolist() == dates and rows == 1
    np.testing.assert_array_equal(got_values, values)
    with pytest.raises(LabError, match="column 'AAA' has no value on 1990-04-01, inside the series"):
        read(tmp_path, TICKERS, columns=["AAA", "BBB", "CCC"], missing="error")


@pytest.mark.parametrize("missing", ["drop", "ffill"])
def test_a_file_without_gaps_reads_the_same_in_every_mode_with_a_count_of_0(tmp_path, missing):
    text = "Date,Close,Volume\n2017-11-06,,5\n2017-11-07,1,10\n2017-11-08,2,20\n2017-11-09,3,\n"
    expected = read(tmp_path, text, columns=["Close", "Volume"])
    dates, values, rows = read_counted(tmp_path, text, columns=["Close", "Volume"], missing=missing)
    assert dates.tolist() == expected[0].tolist() == ["2017-11-07", "2017-11-08"] and rows == 0
    np.testing.assert_array_equal(values, expected[1])


@pytest.mark.parametrize("missing", ["error", "drop", "ffill"])
def test_a_cell_that_is_not_a_number_is_refused_in_every_mode(tmp_path, missing):
    # Even in a row that drop would leave out: only empty cells are missing.
    text = "Date,Close,Volume\n2017-11-08,1,10\n2017-11-09,abc,\n2017-11-10,3,30\n"
    expected = ("has no value on 2017-11-09" if missing == "error"
                else "column 'Close' on 2017-11-09 is 'abc', not a number")
    with pytest.raises(LabError, match=expected):
        read(tmp_path, text, columns=["Close", "Volume"], missing=missing)


def test_an_unknown_missing_rule_is_refused(tmp_path):
    with pytest.raises(LabError, match="stock_data.missing must be one of 'error', 'drop', 'ffill'"):
        read(tmp_path, GAP, missing="interpolate")


# ---- through the stage: printed line and data/stock/meta.json ----

def monthly_tickers(rows=40):
    """A multi-ticker file of ``rows`` dates: BBB listed from the third, rows 10 and 25 (and
    only those) empty in every column."""
    lines = ["Date,AAA,BBB"]
    for i in range(rows):
        day = f"{1990 + i // 12}-{i % 12 + 1:02d}-01"
        a, b = (f"{10 + i}", f"{50 + 2 * i}" if i >= 2 else "")
        lines.append(f"{day},{a},{b}" if i not in (10, 25) else f"{day},,")
    return "\n".join(lines) + "\n"


def stock_stage(project, missing):
    path = project / "params.yaml"
    p = yaml.safe_load(path.read_text())
    p["stock_data"].update(target="AAA", inputs=["BBB"], window=3, missing=missing)
    path.write_text(yaml.safe_dump(p, sort_keys=False))
    return run(stage_command(project, "stock_data", prices="data/tickers.csv"), cwd=project,
               check=False)


@pytest.mark.parametrize("missing,rows,said", [("drop", 36, "2 rows with empty cells dropped"),
                                               ("ffill", 38, "2 rows with empty cells filled")])
def test_the_stage_reports_and_records_the_rows_dropped_or_filled(project, missing, rows, said):
    (project / "data/tickers.csv").write_text(monthly_tickers())
    proc = stock_stage(project, missing)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert said in proc.stdout and f": {rows} days 1990-03-01 .. 1993-04-01" in proc.stdout
    meta = json.loads((project / "data/stock/meta.json").read_text())
    assert meta["missing"] == {"rule": missing, "rows": 2} and meta["columns"] == ["AAA", "BBB"]
    dates = np.concatenate([np.load(project / f"data/stock/{part}.npz")["time"]
                            for part in ("train", "val", "test")])
    assert len(dates) == rows and ("1990-11-01" in dates) == (missing == "ffill")


def test_the_stage_refuses_a_gap_by_default_in_one_line_and_writes_nothing(project):
    (project / "data/tickers.csv").write_text(monthly_tickers())
    proc = stock_stage(project, "error")
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("error: data/tickers.csv: column 'AAA' has no value on "
                                   "1990-11-01, inside the series (fill or remove that row)")
    assert not (project / "data/stock/meta.json").exists()
