"""The list of students `make accounts` reads (classroom/students.py), as spreadsheets save it:
real files in each encoding and with each separator, read or refused in one line; no server
needed (tests/test_classroom.py makes the accounts on a real one); and the address `make server`
prints for them (classroom/mlflow_server.py)."""
import codecs
import subprocess
import sys
import zipfile

import pytest

from classroom.students import read_names
from rnnlab.core.errors import LabError
from tests.conftest import ROOT

TABLE = [["Name", "Email"], ["Alice", "alice@example.edu"], ["Bob Smith", "bob@example.edu"]]


def table(separator, newline="\n"):
    return newline.join(separator.join(row) for row in TABLE) + newline


@pytest.mark.parametrize("encoding,bom", [
    ("utf-8", b""),                         # LibreOffice, Google Sheets
    ("utf-8", codecs.BOM_UTF8),             # Excel's "CSV UTF-8"
    ("utf-16-le", codecs.BOM_UTF16_LE),     # Excel's "Unicode text" (Windows, macOS)
    ("utf-16-be", codecs.BOM_UTF16_BE),
])
@pytest.mark.parametrize("separator", [",", "\t", ";"])
def test_what_spreadsheets_save_is_read(tmp_path, encoding, bom, separator):
    path = tmp_path / "students.txt"
    path.write_bytes(bom + table(separator, "\r\n").encode(encoding))
    assert read_names(path) == ["alice", "bob-smith"]


def test_excel_unicode_text_with_quoted_cells(tmp_path):
    path = tmp_path / "students.txt"
    text = 'id\tname\tnote\r\n1\tAlice\t"likes\ttabs"\r\n2\tBob\t"says ""hi"""\r\n'
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert read_names(path) == ["alice", "bob"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_one_name_a_line(tmp_path, encoding):
    path = tmp_path / "students.txt"
    path.write_text("alice\n\nbob_2\n", encoding=encoding)  # Python's utf-16 writes the mark
    assert read_names(path) == ["alice", "bob_2"]


def workbook(path):
    with zipfile.ZipFile(path, "w") as z:  # what an .xlsx is: a zip of XML parts
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")


def refusal(path):
    with pytest.raises(LabError) as err:
        read_names(path)
    line = str(err.value)
    assert "\n" not in line and line.startswith(f"{path}: ")
    return line


@pytest.mark.parametrize("write,fragments", [
    (lambda p: p.write_bytes(table(",").encode("utf-16-le")),  # no byte-order mark
     ["NUL characters", "UTF-16 without its byte-order mark"]),
    (lambda p: p.write_bytes(table(",").encode("utf-32")),
     ["NUL characters", "UTF-32"]),
    (lambda p: p.write_bytes("name,city\nalice,Zürich\n".encode("cp1252")),
     ["not UTF-8 (byte 0xfc on line 2)", "Windows-1252"]),
    (lambda p: p.write_bytes("name,이름\nalice,김민지\n".encode("cp949")),
     ["not UTF-8 (byte 0xc0 on line 1)", "CP949"]),
    (workbook, ["a spreadsheet workbook (.xlsx or .xls), not text"]),
    (lambda p: p.write_bytes(codecs.BOM_UTF16_LE + b"n\x00a"),  # cut in the middle of a unit
     ["starts with UTF-16's byte-order mark but is not UTF-16"]),
])
def test_other_encodings_are_named_with_the_wanted_ones(tmp_path, write, fragments):
    path = tmp_path / "students.csv"
    write(path)
    line = refusal(path)
    for fragment in fragments + ["save it as UTF-8 (Excel: 'CSV UTF-8') or as UTF-16 with its "
                                 "byte-order mark (Excel: 'Unicode text')"]:
        assert fragment in line


@pytest.mark.parametrize("text,fragment", [
    ("name\temail\nalice@x\ta@x\n", "'alice@x' cannot be a username"),
    ("name;email\nAlice;a@x\nalice;b@x\n", "'alice' is listed twice"),
    ("이름,email\n김민준,a@x\n", "a table without a 'name' column (its first line: 이름, email)"),
    ("name\n김민준\n", "'김민준' cannot be a username (ASCII letters"),
    ("name,email\n,a@x\n", "no names"),
    ("", "no names"),
])
def test_bad_names(tmp_path, text, fragment):
    path = tmp_path / "students.csv"
    path.write_text(text, encoding="utf-8")
    assert fragment in refusal(path)


def test_the_command_says_it_in_one_line_before_looking_for_a_server(tmp_path):
    """`make accounts` with Excel's "Unicode text" saved without its mark: one line, exit 1,
    and the list is judged before the (missing) class server."""
    path = tmp_path / "students.txt"
    path.write_bytes(table("\t").encode("utf-16-le"))
    proc = subprocess.run([sys.executable, "-m", "classroom.server", "accounts", str(path),
                           "--dir", str(tmp_path / "no-server")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [f"error: {refusal(path)}"]
    assert proc.stdout == ""


# ---- where the server listens and the address students type ----

def test_a_name_listens_everywhere_and_is_the_address_students_type():
    import socket

    from classroom.mlflow_server import address_as, students_address

    state = {"port": 8080}
    address_as(state)  # no name: this machine only
    assert state["host"] == "127.0.0.1" and "allowed_hosts" not in state
    assert students_address(state) == "http://127.0.0.1:8080"
    address_as(state, host="0.0.0.0")  # every network, no name: this machine's name, not 0.0.0.0
    assert students_address(state) == f"http://{socket.getfqdn()}:8080"
    state = {"port": 8080}
    address_as(state, name="lab.example.edu")
    assert state["host"] == "0.0.0.0"
    assert students_address(state) == "http://lab.example.edu:8080"
    assert "lab.example.edu:8080" in state["allowed_hosts"].split(",")
    address_as(state)  # a later start without options keeps what the first said
    assert (state["host"], state["name"]) == ("0.0.0.0", "lab.example.edu")
    address_as(state, allowed="*.example.edu")
    assert state["allowed_hosts"] == "*.example.edu"
    state = {"port": 8080}
    address_as(state)  # docs/team.md: a try-out on this machine first, then the class's start
    address_as(state, name="lab.example.edu")
    assert state["host"] == "0.0.0.0" and students_address(state) == "http://lab.example.edu:8080"
    address_as(state, name="lab.example.edu", host="10.0.0.5")  # --host still says where
    assert state["host"] == "10.0.0.5"
    address_as(state, allowed="*.example.edu")
    assert state["allowed_hosts"] == "*.example.edu"
