"""The list of students that `make accounts` reads (classroom/server.py: ``accounts``), as
spreadsheets save it.

Encodings: UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8", LibreOffice's and
Google Sheets' CSV), and UTF-16 with a byte-order mark, either byte order (Excel's "Unicode
text"). The mark decides: UTF-16's, else UTF-8 (Python's ``utf-8-sig`` drops UTF-8's mark).
Anything else is refused in one line saying what was found: a workbook (.xlsx, .xls) rather
than text, NUL characters (UTF-16 without its mark, or UTF-32), bytes that are not UTF-8 (a
Windows code page such as Windows-1252 or CP949, what Excel's plain "CSV" writes there).

Separators: commas (CSV), tabs (what "Unicode text" and a copy from a spreadsheet give) or
semicolons (CSV where the comma is the decimal point): the one the first line holds most of. A
username cannot hold any of them, so one name a line with no separator is a list too.
"""
import codecs
import csv
import re
from pathlib import Path

from rnnlab.core.errors import LabError

USERNAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
SEPARATORS = ("\t", ",", ";")
WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # a zip (.xlsx), OLE2 (.xls)
WANTED = ("save it as UTF-8 (Excel: 'CSV UTF-8') or as UTF-16 with its byte-order mark "
          "(Excel: 'Unicode text')")


def decode(path, data):
    """The text of the bytes ``data`` read from ``path``; LabError for an encoding not read."""
    if data.startswith(WORKBOOKS):
        raise LabError(f"{path}: a spreadsheet workbook (.xlsx or .xls), not text: {WANTED}")
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        text = data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as err:
        if utf16:
            raise LabError(f"{path}: starts with UTF-16's byte-order mark but is not UTF-16 "
                           f"(from byte {err.start}): {WANTED}") from None
        line = data.count(b"\n", 0, err.start) + 1
        raise LabError(f"{path}: not UTF-8 (byte 0x{data[err.start]:02x} on line {line}) and no "
                       "UTF-16 byte-order mark: a Windows code page such as Windows-1252 or "
                       f"CP949, as Excel's plain 'CSV' writes? {WANTED}") from None
    if "\x00" in text:
        raise LabError(f"{path}: NUL characters in it, as UTF-16 without its byte-order mark "
                       f"or UTF-32 has: {WANTED}")
    return text


def rows(text):
    """The cells of ``text``'s lines, split at the separator its first line holds most of."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    separator = max(SEPARATORS, key=first.count)
    return list(csv.reader(lines, delimiter=separator if first.count(separator) else ","))


def read_names(path):
    """Usernames from a table with a ``name`` column, or one name a line."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise LabError(f"{path}: cannot read the list of students ({err.strerror})") from None
    table = rows(decode(path, data))
    header = [cell.strip().lower() for cell in table[0]] if table else []
    column = header.index("name") if "name" in header else None
    if column is None and len(header) > 1:  # a table, and none of its columns is the names'
        raise LabError(f"{path}: a table without a 'name' column (its first line: "
                       f"{', '.join(c.strip() for c in table[0])}): head the column of "
                       "usernames 'name'")
    cells = [r[column] for r in table[1:] if len(r) > column] if column is not None else \
            [r[0] for r in table if r]
    names = []
    for cell in cells:
        name = cell.strip().lower().replace(" ", "-")
        if not name:
            continue
        if not USERNAME.fullmatch(name) or name == "admin":
            raise LabError(f"{path}: {cell.strip()!r} cannot be a username (ASCII letters, "
                           "digits, '-' and '_', at most 64, not 'admin': a romanised name or a "
                           "student number)")
        if name in names:
            raise LabError(f"{path}: {name!r} is listed twice")
        names.append(name)
    if not names:
        raise LabError(f"{path}: no names (a table with a 'name' column, or one name a line)")
    return names
