"""Reading a CSV of daily prices into a clean, date-sorted series (pandas; no TensorFlow).

Any CSV a finance site gives works by naming its columns: the date column, the target (e.g.
``Close`` or ``Adj Close``) and optional extra input columns (e.g. Open, High, Low, Volume).
What is refused, each with one line naming the file, the column and the row: a file larger
than ``MAX_BYTES`` (1 GiB; less where reading it would take over half of the machine's memory),
said with its size before it is read; a missing column, dates in no known format, duplicate
dates, cells that are not numbers (whatever ``missing`` says), and, with ``missing="error"``
(the default), empty cells inside the series.
Empty cells before the first or after the last complete row are dropped in every mode (a
ticker listed later than the others in a multi-ticker file). Rows with an empty cell between
complete rows (a multi-ticker file's dates of no trade) are, by ``missing``: refused
(``error``), left out (``drop``) or filled with each column's last value (``ffill``).
"""
import os

import numpy as np

from rnnlab.core.errors import LabError, first_line
from rnnlab.data import limits

DATE_FORMATS = ("ISO8601",    # 2017-11-10 (and 2017-11-10 00:00:00)
                "%m/%d/%Y",   # 11/10/2017, as US sites write it
                "%d/%m/%Y",   # 10/11/2017 where the first field goes past 12
                "%d-%b-%y",   # 19-Sep-03
                "%d-%b-%Y",   # 19-Sep-2003
                "%b %d, %Y",  # Sep 19, 2003
                "%Y%m%d")     # 20030919
"""Tried in order; the first that reads every date of the column is used."""

MAX_BYTES = 2**30
"""The largest price file read: 1 GiB, about 15 million rows of daily prices (decades of one
ticker are a few MB: a larger file is another kind of data, or the wrong file)."""

READ_COPIES = 8
"""Bytes of memory per byte of CSV that reading it peaks at (pandas reads the file whole, each
cell a string first: ~6.5x measured on data/msft.csv repeated to 28 MB, plus a margin); a file
that would need more than half of this machine's memory is refused before it is read."""

MISSING = ("error", "drop", "ffill")
"""What to do with the rows that have an empty cell inside the series (stock_data.missing)."""


def parse_dates(cells, where):
    """Dates (pandas Timestamps) of ``cells``, all in one of DATE_FORMATS; LabError if none fits."""
    import pandas as pd

    text = cells.astype(str).str.strip()
    # A time and a UTC offset after an ISO date (2020-03-02 00:00:00-05:00, as some libraries
    # write daily bars): the trading day is the date as written.
    stamped = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?")
    if stamped.all():
        text = text.str.slice(0, 10)
    for fmt in DATE_FORMATS:
        try:
            dates = pd.to_datetime(text, format=fmt)
        except (ValueError, TypeError):
            continue
        if dates.isna().any():  # 'nan', 'NaT': not a date
            raise LabError(f"{where}: cannot read the date {text[dates.isna()].iloc[0]!r}")
        return dates
    first = _format_of(text.iloc[0])
    bad = text.iloc[0]
    if first is not None:  # the first date reads: name the first one that is not in its format
        bad = next((cell for cell in text if _format_of(cell, (first,)) is None), bad)
        if _format_of(bad) is not None:
            raise LabError(f"{where} mixes date formats: {text.iloc[0]!r} and {bad!r}")
    raise LabError(f"{where}: cannot read the date {bad!r} (known formats: 2017-11-10, "
                   "11/10/2017, 19-Sep-03, Sep 19, 2003, 20030919)")


def _format_of(cell, formats=DATE_FORMATS):
    import pandas as pd

    for fmt in formats:
        try:
            pd.to_datetime(cell, format=fmt)
            return fmt
        except (ValueError, TypeError):
            continue
    return None


def read_limit():
    """(bytes, why): the largest price file read on this machine, ``MAX_BYTES`` or less where
    reading it (``READ_COPIES`` times its size) would take over half of the memory."""
    have = limits.physical_memory()
    if have is not None and have // 2 // READ_COPIES < MAX_BYTES:
        return (have // 2 // READ_COPIES,
                f"on this machine: reading a CSV takes ~{READ_COPIES}x its size in memory, and "
                f"it has {_size(have)}")
    return MAX_BYTES, "(daily prices of decades are a few MB)"


def check_file_size(path):
    """LabError naming ``path`` and its size, before it is read, if it is larger than
    ``read_limit`` (a sparse or a 10 GB file would otherwise end after minutes in "out of
    memory", blamed on the network's params)."""
    size = os.path.getsize(path)
    limit, why = read_limit()
    if size > limit:
        raise LabError(f"price file {path} is {_size(size)} ({size:,} bytes), larger than the "
                       f"{_size(limit)} the lab reads {why}: keep the rows and columns you need "
                       "(dvc.yaml's prices)")


def _size(n):
    return f"{n / 2**30:,.1f} GiB" if n >= 2**30 else f"{n / 2**20:,.1f} MiB"


def read_prices(path, date, columns, missing="error"):
    """Dates ('YYYY-MM-DD' strings), values (rows, len(columns)) of ``columns`` in ``path``,
    sorted by date, and the number of rows with an empty cell inside the series that were
    dropped or filled (``missing``: one of MISSING; 0 with "error", which refuses them).
    ``columns[0]`` is the target; the rest are extra inputs."""
    import pandas as pd

    if missing not in MISSING:
        raise LabError(f"stock_data.missing must be one of {', '.join(map(repr, MISSING))}, "
                       f"got {missing!r}")
    where = f"{path}"
    if os.path.isdir(path):
        raise LabError(f"price file {path} is a folder, not a CSV file (dvc.yaml's prices)")
    if not os.path.isfile(path):
        raise LabError(f"price file {path} not found (dvc.yaml's prices)")
    check_file_size(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as err:
        first = first_line(err)
        raise LabError(f"{where} is not a readable CSV file ({first})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for name, key in [(date, "date"), *((c, "target" if i == 0 else "inputs")
                                         for i, c in enumerate(columns))]:
        if name not in frame.columns:
            raise LabError(f"{where} has no column {name!r} (stock_data.{key}); its columns are "
                           f"{', '.join(map(repr, frame.columns))}")
    if len(set(columns)) != len(columns) or date in columns:
        raise LabError(f"stock_data: the target and input columns must be distinct and not the "
                       f"date column, got {[date, *columns]}")
    frame = frame[[date, *columns]]
    blank = frame[columns].apply(lambda col: col.str.strip().isin(["", "null", "NaN", "nan", "NA",
                                                                   "N/A", "-"]))
    undated = frame[date].str.strip() == ""
    if (undated & ~blank.all(axis=1)).any():
        row = int(undated.to_numpy().argmax())
        raise LabError(f"{where}: row {row + 2} has values but no date (column {date!r})")
    frame, blank = frame[~undated], blank[~undated]
    if frame.empty:
        raise LabError(f"{where} has no rows")
    dates = parse_dates(frame[date], f"{where}, column {date!r}")
    order = np.argsort(dates.to_numpy(), kind="stable")
    frame, blank, dates = frame.iloc[order], blank.iloc[order], dates.iloc[order]
    dates = dates.dt.normalize()  # daily prices: two rows of one day are a duplicate
    duplicated = dates.duplicated()
    if duplicated.any():
        raise LabError(f"{where}: the date {dates[duplicated].iloc[0]:%Y-%m-%d} occurs more than once")

    # Drop rows with empty cells before the first and after the last complete row; a row with
    # an empty cell between complete rows is a gap in the series.
    complete = ~blank.any(axis=1).to_numpy()
    if not complete.any():
        raise LabError(f"{where} has no row with a value in every one of {columns}")
    first, last = np.argmax(complete), len(complete) - 1 - np.argmax(complete[::-1])
    frame, blank, dates = frame.iloc[first:last + 1], blank.iloc[first:last + 1], dates.iloc[first:last + 1]
    gaps = blank.to_numpy().any(axis=1)  # rows with an empty cell inside the series
    if missing == "error" and gaps.any():
        row, col = np.argwhere(blank.to_numpy())[0]
        raise LabError(f"{where}: column {columns[col]!r} has no value on {dates.iloc[row]:%Y-%m-%d}, "
                       "inside the series (fill or remove that row)")
    numbers = {}
    for name in columns:
        cells = frame[name].str.strip()
        grouped = cells.str.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")  # 1,234.5: thousands
        column = pd.to_numeric(cells.where(~grouped, cells.str.replace(",", "", regex=False)),
                               errors="coerce").astype(np.float64)
        # Present but not a number: refused in every mode (only empty cells are missing).
        bad = ~blank[name] & ~np.isfinite(column)
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            raise LabError(f"{where}: column {name!r} on {dates.iloc[i]:%Y-%m-%d} is "
                           f"{frame[name].iloc[i]!r}, not a number")
        numbers[name] = column.where(~blank[name]).to_numpy()  # an empty cell: NaN
    numbers = pd.DataFrame(numbers)  # indexed by position, as dates.iloc
    if missing == "drop":
        numbers = numbers.dropna()
        dates = dates.iloc[numbers.index]
    elif missing == "ffill":
        numbers = numbers.ffill()  # the first row is complete: every gap has a value before it
    values = numbers[list(columns)].to_numpy(dtype=np.float64)
    return dates.dt.strftime("%Y-%m-%d").to_numpy().astype(str), values, int(gaps.sum())
