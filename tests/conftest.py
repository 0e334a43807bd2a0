import contextlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import rnnlab  # noqa: F401  (quiet, deterministic TensorFlow defaults before anything imports it)

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ["stages", "rnnlab", "data/sixpence.txt", "data/msft.csv", "params.yaml", "dvc.yaml", ".dvc/config",
                 ".dvc/.gitignore", ".dvcignore", ".gitignore", "lecture/slide.json",
                 "lecture/results.json"]


def copy_project(dest):
    """The project's source files (no outputs, caches or stores) in ``dest``."""
    for name in PROJECT_FILES:
        src, dst = ROOT / name, Path(dest) / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst)
    return Path(dest)


def add_makefile(path):
    """The Makefile in the copy ``path``, with the tests' venv up to date for it (its
    requirements.lock and plugin/ older than the venv's stamps): run it as
    `make <target> VENV=...`."""
    for name in ("Makefile", "requirements.lock", "plugin/pyproject.toml", "plugin/rnnlab_checkout.py"):
        (Path(path) / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, Path(path) / name)
        if name != "Makefile":
            os.utime(Path(path) / name, (0, 0))
    return Path(sys.executable).parent.parent


def git_commit(path, message="test"):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    if not (Path(path) / ".git").exists():
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    if subprocess.run(["git", "diff", "--cached", "--quiet"], cwd=path).returncode:
        subprocess.run(["git", "commit", "-qm", message], cwd=path, check=True, env=env)


def stage_command(project, name, **values):
    """What `dvc repro` runs for stage ``name`` of ``project``'s dvc.yaml, run by this venv's
    python (a stage run by hand): its ``cmd`` with the ``${...}`` filled in, dvc.yaml's vars
    (or ``values`` given for them) and, for an item of a ``foreach`` or a ``matrix``, named as
    DVC names it, the item: ``text_train@many_to_one`` (``${key}``, ``${item.<field>}``),
    ``adding_data@100`` (``${item}``), ``adding_train@lstm-100`` (``${item.cell}``,
    ``${item.length}``: the matrix's values in its order, joined by '-'). The items come from
    the lists and sections of params.yaml that dvc.yaml names: an item it has not is refused
    (KeyError), as DVC has no such stage."""
    import shlex

    import yaml

    pipeline = yaml.safe_load((Path(project) / "dvc.yaml").read_text())
    variables = {k: v for entry in pipeline.get("vars", []) for k, v in entry.items()}
    assert set(values) <= set(variables), values
    variables.update(values)
    base, at, key = name.partition("@")
    stage = pipeline["stages"][base]
    if "foreach" in stage or "matrix" in stage:
        assert at, f"{base} is a foreach or matrix: name an item ({base}@...)"
        item = _items(stage, project)[key]
        variables["key"] = key
        if isinstance(item, dict):
            variables.update({f"item.{k}": v for k, v in item.items()})
        else:
            variables["item"] = item
        stage = stage.get("do", stage)
    else:
        assert not at, name
    cmd = stage["cmd"]
    for var, value in variables.items():
        cmd = cmd.replace("${" + var + "}", str(value))
    python, *rest = shlex.split(cmd)
    assert python == "python" and "${" not in cmd, cmd
    return [sys.executable, *rest]


def _items(stage, project):
    """{DVC's name of an item: the item} of a ``foreach`` or ``matrix`` stage of dvc.yaml."""
    import itertools

    import yaml

    p = yaml.safe_load((Path(project) / "params.yaml").read_text())

    def resolved(value):
        """``value``, or the value of params.yaml it names ("${section.key}")."""
        if not (isinstance(value, str) and value.startswith("${")):
            return value
        found = p
        for part in value[2:-1].split("."):
            found = found[part]
        return found

    if "foreach" in stage:
        items = resolved(stage["foreach"])
        return dict(items) if isinstance(items, dict) else {str(v): v for v in items}
    keys = list(stage["matrix"])
    values = [resolved(stage["matrix"][k]) for k in keys]
    return {"-".join(map(str, combo)): dict(zip(keys, combo))
            for combo in itertools.product(*values)}


def set_vars(project, **values):
    """dvc.yaml's vars of ``project`` (the files the lab learns from) set to ``values``."""
    import re

    path = Path(project) / "dvc.yaml"
    text = path.read_text()
    for key, value in values.items():
        text, n = re.subn(rf"^(  - {key}: )\S+", rf"\g<1>{value}", text, count=1, flags=re.M)
        assert n == 1, key
    path.write_text(text)


def tool(name):
    """A console script of the venv that runs the tests (dvc, mlflow)."""
    return str(Path(sys.executable).parent / name)


def run(cmd, cwd, check=True, timeout=900, env=None):
    """Run ``cmd`` with this venv first on PATH (dvc runs stages as ``python -m ...``) and the
    default MLflow store, with no account (a test that wants a server passes
    MLFLOW_TRACKING_URI, and perhaps MLFLOW_TRACKING_USERNAME and _PASSWORD, in ``env``)."""
    base = {k: v for k, v in os.environ.items()
            if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")}
    base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"
    env = {**base, "MLFLOW_DISABLE_TELEMETRY": "true", **(env or {})}
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def ran(output):
    """The stages a `dvc repro` output says it ran."""
    return {line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")}


def edit_params(project, change):
    """params.yaml of ``project`` changed by ``change`` (a function of its dict)."""
    import yaml

    path = project / "params.yaml"
    p = yaml.safe_load(path.read_text())
    change(p)
    path.write_text(yaml.safe_dump(p, sort_keys=False))


@pytest.fixture
def project(tmp_path):
    """A fresh copy of the project in a new git repo, with no outputs yet."""
    path = copy_project(tmp_path / "lab")
    git_commit(path, "copy of the project")
    return path


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout, proc=None):
    """Poll ``url`` until it answers 200, for at most ``timeout`` seconds."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"server exited ({proc.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def invoke(port, body):
    """(status, JSON answer) of POST /invocations to a model served on 127.0.0.1:``port``;
    ``body`` a dict, or bytes as sent (JSON's NaN, which json.dumps would not write)."""
    import json
    import urllib.error
    import urllib.request

    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=data,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@contextlib.contextmanager
def server(cmd, url, cwd, env=None, timeout=120):
    """A server on loopback for the length of a block; always stopped afterwards."""
    full_env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "MLFLOW_DISABLE_TELEMETRY": "true", **(env or {})}
    log = open(Path(cwd) / f"server-{Path(cmd[0]).name}.log", "w")
    proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_http(url, timeout, proc)
        yield proc
    finally:
        import signal

        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # workers that outlived their parent
        proc.wait()
        log.close()


TINY_LENGTHS = [4]
TINY_CELLS = ["simple_rnn", "lstm"]
"""Example 5's cells in the shared pipeline: the lecture's argument (the simple RNN against the
LSTM); the GRU is the same stage with another layer (tests/test_team.py trains it)."""


def tiny_adding(p, cells=None):
    """Example 5 of params.yaml (dict ``p``) on a budget of seconds: one short length, few
    sequences, two epochs of a 4-unit network (each cell a stage: ``cells`` to train fewer)."""
    p["adding_data"].update(lengths=TINY_LENGTHS, train_size=128, test_size=64)
    p["adding_train"].update(units=4, epochs=2, batch_size=32, gradient_sequences=16)
    if cells:
        p["adding_train"]["cells"] = cells


PIPELINE_EPOCHS = 2
SERVED_EPOCHS = 20
"""The shared pipeline's epochs: 2 for every model, 20 for many_to_one (enough to learn the
rhyme's first line, at learning rate 0.01, for the serving tests)."""


def tiny_pipeline(p, epochs=PIPELINE_EPOCHS, cells=TINY_CELLS, served=True):
    """params.yaml (dict ``p``) on a budget of seconds a stage: ``epochs`` for every model,
    example 5's ``cells``; ``served``: many_to_one trained to serve (SERVED_EPOCHS). The
    defaults are the shared pipeline's."""
    for model in p["series"].values():
        model["epochs"] = epochs
    for model in p["series_walkforward"].values():
        model.update(folds=2, epochs=1)
    for variant in p["text_train"].values():
        variant["epochs"] = epochs
    if served:
        p["text_train"]["many_to_one"].update(epochs=SERVED_EPOCHS, learning_rate=0.01)
    tiny_adding(p, cells=cells)


STOCK_STAGES = {"stock_data", *(f"series_{s}@{m}" for s in ("train", "evaluate", "track")
                                for m in ("stock", "stock_tutorial")),
                "series_walkforward@stock", "series_strategy@stock"}
"""The stages of example 4 (what a change of stock_data reruns, the report aside)."""


@dataclass(frozen=True)
class Pipeline:
    project: Path   # the trained copy: never changed by a test (take a ``trained_copy``)
    output: str     # what its `dvc repro` printed
    opened: Path    # the files each stage opened (tests/file_audit), one log per stage


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory):
    """The whole pipeline, run once for the session by the real `dvc repro` at tiny epochs in
    a copy of the project (every stage, every model, a store with every run), the files each
    stage opened logged. Tests that need trained models work in a ``trained_copy`` of it.
    Under `make test`'s workers (pytest-xdist) the first worker that needs it builds it in
    their shared folder, and the other, if it needs it before then, waits for it (the order of
    the files makes that rare: ``pytest_collection_modifyitems``)."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the workers' shared folder
    folder, output = root / "pipeline", root / "pipeline" / "output.txt"
    with FileLock(str(root / "pipeline.lock")):
        if not output.exists():
            shutil.rmtree(folder, ignore_errors=True)  # (a build that failed)
            project = copy_project(folder / "lab")
            edit_params(project, tiny_pipeline)
            git_commit(project, "tiny epochs")
            (folder / "opened").mkdir()
            out = run([tool("dvc"), "repro"], cwd=project,
                      env={"PYTHONPATH": str(ROOT / "tests" / "file_audit"),
                           "LAB_OPENED_LOG": str(folder / "opened")})
            output.write_text(out.stdout)
    return Pipeline(folder / "lab", output.read_text(), folder / "opened")


def pytest_collection_modifyitems(items):
    """The order `make test`'s workers take the test files in (pytest-xdist, --dist
    loadfile: a file's tests on one worker, so a module's server or trained copy is set up
    once; --no-loadscope-reorder: in this order, not the most tests first):
    tests/test_pipeline.py first, the longest, which builds the session's pipeline; then the
    files that do not use it; the other files that use it last, when it is built, on whichever
    worker is free. (Grouping by xdist_group marks, --dist loadgroup, is lost on pytest 9:
    xdist 3.8 renames ``item._nodeid``, which pytest 9 no longer reads.)"""
    users = {item.path for item in items if "pipeline" in item.fixturenames}

    def turn(item):
        if item.path.name == "test_pipeline.py":
            return 0
        return 2 if item.path in users else 1

    items.sort(key=turn)  # stable: the order within a file is kept


def trained_copy(pipeline, dest):
    """A copy of the shared pipeline's project (git, DVC cache, outputs, MLflow store) at
    ``dest``: its store's artifact locations are relative to it (rnnlab/tracking/store.py:
    artifact_location), so the copy's runs keep their files in the copy."""
    shutil.copytree(pipeline.project, dest, symlinks=True)
    return Path(dest)


@contextlib.contextmanager
def read_only(path):
    """``path`` (a file or a folder) unwritable for this process for a block: without write
    permission for a user; for root, whom permissions do not stop, the immutable attribute."""
    as_root = os.geteuid() == 0
    mode = path.stat().st_mode
    if as_root:
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("running as root on a file system without chattr +i")
    else:
        path.chmod(mode & ~0o222)
    try:
        yield
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(mode)


def assert_one_line_error(proc, *fragments):
    """``proc`` exited 1 with one line on stderr, 'error: ...', holding every fragment; the line."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
