"""Writing stage outputs (all of them or none of them), and reading a stage's inputs (a
missing or corrupt one is one line naming the file)."""
import contextlib
import csv
import json
import os
import shutil
import zipfile

from rnnlab.core.errors import LabError, first_line, on_hard_stop


@contextlib.contextmanager
def all_or_nothing(*paths):
    """Create the parent folders of ``paths``; if the block fails, remove every one of
    them, so a failed stage never leaves a half-written output for DVC to pick up (also when
    a signal stops the process before the block can unwind: rnnlab/core/errors.py)."""
    for path in paths:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)

    def remove(interrupt=None):
        for path in paths:
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                with contextlib.suppress(FileNotFoundError):  # the other thread's doing
                    os.remove(path)

    try:
        with on_hard_stop(remove):
            yield
    except BaseException:
        remove()
        raise


def write_json(path, data):
    """``data`` as JSON; LabError if a number in it is NaN or infinite (JSON has none: a
    metrics file never says NaN)."""
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise LabError(f"{path}: a figure to write is NaN or infinite (a model or a series "
                       "that diverged?); nothing written") from None
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")


@contextlib.contextmanager
def reading(path):
    """Read the input file ``path`` inside this block: if it is missing, unreadable, or not what
    a stage writes (bad JSON, a truncated archive, a missing field), raise one LabError that
    names it and says how to make it again. Keep the block to the reading itself: an error in
    it is blamed on the file."""
    try:
        yield
    except FileNotFoundError:
        raise LabError(f"{path} is missing: `dvc repro` makes it (`dvc checkout {path}` "
                       "restores it from the cache)") from None
    except (OSError, ValueError, EOFError, KeyError, TypeError, AttributeError,
            zipfile.BadZipFile) as err:
        why = getattr(err, "strerror", None) or first_line(err, default="")
        raise LabError(f"{path} is unreadable or corrupt ({type(err).__name__}: {why}): make it "
                       f"again with `dvc repro --force`, or `dvc checkout {path}`") from None


def numbers(values):
    """``values`` ({name: value}) as they are if each is a number (not a bool); else TypeError
    naming the first that is not: inside ``reading``, one line blaming the file."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} is {value!r}, not a number")
    return values


def readable(path):
    """LabError, as ``reading`` says it, unless the file ``path`` opens."""
    with reading(path), open(path, "rb"):
        pass


def read_json(path):
    with reading(path), open(path, encoding="utf-8") as f:
        text = f.read()
        if "\n<<<<<<< " in f"\n{text}":
            raise LabError(f"{path} has merge-conflict markers: keep one side "
                           f"(git checkout --ours/--theirs {path}) or make it again (dvc repro)")
        return json.loads(text)


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
