"""The pipeline's stages, one module per stage of dvc.yaml, each run as
``python -m stages.<name>``. What they share lives in the ``rnnlab`` package.

DVC runs a stage's command through the shell, so ``python`` is whichever comes first on PATH:
the venv's under `make repro` (the Makefile puts .venv/bin first) or in an activated venv, but
the system's under `.venv/bin/dvc repro` typed without activating it. Python imports this
package before the stage's module, so the check below runs before anything the stage imports:
an interpreter that lacks the lab's packages ends with one line naming it, not with a
ModuleNotFoundError from deep inside the lab. It imports nothing but the standard library, and
``find_spec`` only looks the packages up on sys.path without importing them.
"""
import importlib.util
import sys
from pathlib import Path

PACKAGES = ("numpy", "pandas", "scipy", "keras", "tensorflow", "mlflow", "matplotlib", "pydantic",
            "ruamel.yaml", "psutil")
"""What the stages import from requirements.in (by their import names; tensorflow-cpu installs
``tensorflow``): an interpreter without any of them is not the one the lab was installed into."""


def missing(packages=PACKAGES):
    """The names of ``packages`` this interpreter cannot import."""
    absent = []
    for name in packages:
        try:
            found = importlib.util.find_spec(name)
        except ImportError:  # a dotted name whose parent is missing
            found = None
        if found is None:
            absent.append(name)
    return absent


def check_interpreter():
    """Exit with one line if this Python lacks any of the lab's packages: which Python, which
    packages, and what to run instead."""
    absent = missing()
    if not absent:
        return
    listed = ", ".join(absent[:4]) + (f" and {len(absent) - 4} more" if len(absent) > 4 else "")
    venv = Path(__file__).resolve().parents[1] / ".venv"
    if Path(sys.prefix).resolve() == venv.resolve():  # the project's own venv, incomplete
        advice = "install them: .venv/bin/pip install -r requirements.lock"
    else:
        advice = ("run the stages with the project's venv: make repro, or source "
                  ".venv/bin/activate first")
    sys.exit(f"error: {sys.executable} lacks the lab's packages ({listed}): {advice}")


check_interpreter()
