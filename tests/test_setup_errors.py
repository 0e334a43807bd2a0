"""A lab set up or started the wrong way, for real: a stage started by a Python without the
lab's packages (a bare venv, as the system's python is under `.venv/bin/dvc repro` typed
without activating the venv), and `make lecture` with an output it cannot write. Each ends in
one line naming the cause, a non-zero exit, before anything runs or is written."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, read_only, stage_command, tool

MISSING = "lacks the lab's packages (numpy, pandas, scipy, keras and 6 more)"


def bare_python(folder):
    """The python of a new venv without any package: what the stages would meet in a system
    Python (whether the machine's has numpy or not)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    return Path(folder) / "bin" / "python"


@pytest.mark.parametrize("where,advice", [
    ("elsewhere", "run the stages with the project's venv: make repro, or source "
                  ".venv/bin/activate first"),
    (".venv", "install them: .venv/bin/pip install -r requirements.lock"),  # the project's own
])
def test_a_stage_started_by_a_python_without_the_lab(project, tmp_path, where, advice):
    python = bare_python(project / ".venv" if where == ".venv" else tmp_path / "system")
    proc = subprocess.run([str(python), *stage_command(project, "sine_data")[1:]], cwd=project,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [f"error: {python} {MISSING}: {advice}"], proc.stderr
    assert not (project / "data" / "sine").exists()


def test_venv_dvc_repro_with_the_system_python_first_on_path(project, tmp_path):
    """`.venv/bin/dvc repro` from a shell where the venv is not active: DVC runs the stage's
    `python -m stages.sine_data` with the first python on PATH."""
    python = bare_python(tmp_path / "system")
    env = {**os.environ, "PATH": os.pathsep.join([str(python.parent), "/usr/local/bin",
                                                  "/usr/bin", "/bin"]),
           "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.run([tool("dvc"), "repro", "sine_data"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"error: {python} {MISSING}: run the stages with the project's venv" in out, out
    assert "Traceback" not in out and "ModuleNotFoundError" not in out, out
    assert not (project / "data" / "sine").exists()


@pytest.fixture
def lecture(tmp_path):
    """lecture/run.py and the committed results.json in a folder of their own (run.py writes
    beside itself)."""
    folder = tmp_path / "lab" / "lecture"
    folder.mkdir(parents=True)
    for name in ("run.py", "results.json"):
        shutil.copy(ROOT / "lecture" / name, folder / name)
    return folder


@pytest.mark.parametrize("unwritable,line", [
    ("results.json", "lecture/results.json: cannot write it"),
    ("out", "lecture/out: cannot write sine.png in it"),
    ("", "lecture: cannot write it"),  # results.json is written beside it, then renamed
])
def test_lecture_checks_it_can_write_before_running_a_script(lecture, unwritable, line):
    (lecture / "out").mkdir()
    before = (lecture / "results.json").read_bytes()
    with read_only(lecture / unwritable):
        proc = subprocess.run([sys.executable, str(lecture / "run.py")], capture_output=True,
                              text=True, timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {line} ("), proc.stderr
    assert lines[0].endswith("nothing was run; make it writable for this user and run make "
                             "lecture again")
    assert "$ python" not in proc.stdout  # no script started
    assert (lecture / "results.json").read_bytes() == before
    assert not any((lecture / "out").iterdir())
