"""A benchmark stopped by a signal leaves nothing it started running (benchmarks/lifetime.py):
benchmarks/server_load.py, its smallest run (one student, --quick, the PostgreSQL part, one
worker), is sent SIGINT to its whole process group, as Ctrl-C sends it, while `classroom start`
brings its PostgreSQL up, and SIGTERM to it alone, as `kill` sends it, once its class server
listens (PostgreSQL and the mlflow server both). Each time it must exit within a minute with its one line, and no process it started,
at any depth, may remain: each of them carries a variable the test put in the benchmark's
environment, which the processes it starts inherit (PostgreSQL's postmaster, which pg_ctl
daemonises, and the `mlflow server`, in sessions of their own, included); the ports they
listened on are closed and the benchmark's folder is gone. Whatever fails, the test kills what
remains and removes the folder."""
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from classroom.postgres import pip_pg_bin, system_pg_bin
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(system_pg_bin() is None and pip_pg_bin() is None,
                                reason="no PostgreSQL server on this machine, nor pgserver")

TOKEN = "LAB_TEST_BENCHMARK"
SMALLEST = ["--students", "1", "--quick", "--only", "postgres", "--workers", "1",
            "--time-limit", "150"]


def started_by(token):
    """The processes, zombies aside, whose environment carries ``token``."""
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if proc.environ().get(TOKEN) == token and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
    return found


def listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def server_load(tmp_path):
    """benchmarks/server_load.py's smallest run, in a session of its own, its output in a file:
    (the process, its token, the output file); what it started is killed at the end."""
    token = secrets.token_hex(8)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
    env.update({TOKEN: token, "MLFLOW_DISABLE_TELEMETRY": "true"})
    out = tmp_path / "out.txt"
    with open(out, "w") as log:
        proc = subprocess.Popen([sys.executable, "-u", "benchmarks/server_load.py", *SMALLEST],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc, token, out
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for left in started_by(token):
            with contextlib.suppress(psutil.Error):
                left.kill()
        folder = re.search(r"files in (\S+)", out.read_text())
        if folder and Path(folder.group(1)).name.startswith("lab-load-"):
            shutil.rmtree(folder.group(1), ignore_errors=True)


def wait_for(what, check, proc, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        assert proc.poll() is None, f"the benchmark exited ({proc.returncode}) before {what}"
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {seconds} s")


def postmaster(token):
    """The benchmark's PostgreSQL postmaster, once it runs: its port."""
    for proc in started_by(token):
        with contextlib.suppress(psutil.Error):
            cmd = proc.cmdline()
            if cmd and Path(cmd[0]).name == "postgres" and "-p" in cmd:
                return int(cmd[cmd.index("-p") + 1])
    return None


def assert_nothing_left(proc, token, out, status, line, ports):
    """The benchmark exits with ``status`` and ``line`` last; within seconds nothing it
    started runs (multiprocessing's helpers end just after it), ``ports`` are closed and
    its folder is gone."""
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running 60 s after the signal:\n{out.read_text()}") from None
    text = out.read_text()
    assert proc.returncode == status, text
    assert text.strip().splitlines()[-1] == line, text
    deadline = time.monotonic() + 10
    while started_by(token) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [f"{p.pid} {' '.join(p.cmdline())[:120]}" for p in started_by(token)]
    assert not left, f"left running: {left}"
    assert not [port for port in ports if listening(port)]
    folder = re.search(r"files in (\S+)", text).group(1)
    assert not Path(folder).exists()


def test_ctrl_c_while_its_postgresql_starts_leaves_nothing_running(tmp_path):
    with server_load(tmp_path) as (proc, token, out):
        pg_port = wait_for("PostgreSQL", lambda: postmaster(token), proc)
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C: every process of the group
        assert_nothing_left(proc, token, out, 130,
                            "error: interrupted (SIGINT); everything it started is stopped",
                            [pg_port])


def test_sigterm_once_its_class_server_listens_leaves_nothing_running(tmp_path):
    with server_load(tmp_path) as (proc, token, out):
        address = wait_for("class server's address", lambda: re.search(
            r"PostgreSQL: http://127\.0\.0\.1:(\d+)", out.read_text()), proc)
        port = int(address.group(1))
        wait_for("mlflow server", lambda: listening(port), proc)
        pg_port = postmaster(token)
        assert pg_port and listening(pg_port)
        proc.send_signal(signal.SIGTERM)  # to the benchmark alone, as `kill` sends it
        assert_nothing_left(proc, token, out, 143,
                            "error: interrupted (SIGTERM); everything it started is stopped",
                            [port, pg_port])
