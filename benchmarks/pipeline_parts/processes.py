"""Running and measuring processes, the temporary copy of the project they run in, and how a
ratio is written (fmt_ratio)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the venv's bin: dvc, and the python dvc runs stages with
MB = 2**20
OUTPUTS = ["dvc.lock", "metrics", "plots", "predictions", "runs", "reports"]  # outputs git tracks: left out


def clean_env():
    """The venv first on PATH (dvc runs stages as `python -m ...`), MLflow's default store."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    return env


def measure(cmd, cwd, log, timeout, env=None):
    """Run ``cmd`` in its own process group, output to ``log``; its wall time, CPU time (user
    + system seconds of the process and its waited-for descendants), peak RSS (MB, the largest
    of them), exit code and output."""
    with open(log, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env or clean_env(), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # only the group this benchmark started
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = Path(log).read_text(errors="replace")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss * 1024 / MB, "rc": proc.returncode,
            "timed_out": timed_out.is_set(), "out": text, "log": str(log)}


def check(result, what):
    if result["rc"] or result["timed_out"]:
        why = "timed out" if result["timed_out"] else f"exit {result['rc']}"
        tail = "\n".join(result["out"].splitlines()[-30:])
        raise RuntimeError(f"{what} failed ({why}); the end of {result['log']}:\n{tail}")
    return result


def stages_run(output):
    return re.findall(r"Running stage '([^']+)'", output)


def stage_order(dot, targets):
    """The stages ``targets`` need, each after its dependencies (a depth-first post-order over
    `dvc dag --dot`'s edges, the targets in the order given): the order `dvc repro` runs them."""
    deps = {}
    for a, b in re.findall(r'"([^"]+)" -> "([^"]+)"', dot):
        deps.setdefault(b, []).append(a)
    order = []

    def visit(stage):
        if stage not in order:
            for dep in deps.get(stage, []):
                visit(dep)
            order.append(stage)

    for target in targets:
        visit(target)
    return order


def dvc(*args):
    return [str(BIN / "dvc"), *args]


# ---- the temporary copy of the project ----

def git(*args, cwd=ROOT, **kw):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          timeout=120, **kw).stdout


def copy_project(dest, source):
    """The project's files (HEAD's or the working tree's), without the outputs git tracks,
    committed to a new git repo at ``dest``."""
    dest.mkdir()
    if source == "head":
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"],
                                 check=True, capture_output=True, timeout=120).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True, timeout=120)
    else:
        names = git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
        for name in filter(None, names):
            src = ROOT / name
            if src.is_file():  # a tracked file deleted in the working tree is skipped
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / name)
    for name in OUTPUTS:
        path = dest / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    ident = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
             "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    git("init", "-q", "-b", "main", cwd=dest)
    git("add", "-A", cwd=dest)
    git("commit", "-qm", "copy of the project", cwd=dest, env={**os.environ, **ident})


def describe_source(source):
    commit = git("rev-parse", "--short", "HEAD").strip()
    changed = [line for line in git("--no-optional-locks", "status", "--porcelain").splitlines()
               if line.strip()]
    if source == "head":
        note = (f"; {len(changed)} file(s) differ in the working tree and are NOT measured "
                f"(--source worktree measures them)" if changed else "")
        return f"HEAD {commit}{note}"
    return (f"the working tree as of now (HEAD {commit} plus {len(changed)} changed/untracked "
            f"path(s): {', '.join(line[3:] for line in changed) or 'none'})")


def fmt_ratio(x):
    if x is None:
        return "–"
    return f"{x:,.0f}x" if x >= 100 else f"{x:.2f}x" if x >= 0.1 else f"1/{1 / x:,.0f}"
