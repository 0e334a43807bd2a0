"""What the class server's programs printed, in one line: the last line of a command's output
or of a log, for the one-line errors of classroom/postgres.py, classroom/mlflow_server.py and
classroom/server.py."""
from pathlib import Path


def last_line(text):
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def log_tail(path):
    try:
        return last_line(Path(path).read_text(errors="replace"))
    except OSError:
        return f"(no {Path(path).name})"
