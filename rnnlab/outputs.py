"""Writing stage outputs: all of them or none of them."""
import contextlib
import csv
import json
import os
import shutil


@contextlib.contextmanager
def all_or_nothing(*paths):
    """Create the parent folders of ``paths``; if the block fails, remove every one of
    them, so a failed stage never leaves a half-written output for DVC to pick up."""
    for path in paths:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    try:
        yield
    except BaseException:
        for path in paths:
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                os.remove(path)
        raise


def write_json(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_csv(path, columns):
    """``columns`` maps a header to a sequence; all sequences have the same length."""
    names = list(columns)
    rows = zip(*(columns[n] for n in names))
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        for row in rows:
            writer.writerow([_fmt(v) for v in row])


def _fmt(value):
    numeric = isinstance(value, float) or getattr(getattr(value, "dtype", None), "kind", "") in "fiu"
    return f"{float(value):.6g}" if numeric and not isinstance(value, str) else str(value)
