"""The class server's `mlflow server`: MLflow's basic-auth config (auth.ini: users and
permissions in PostgreSQL, default permission READ, checked passwords cached per worker), the
server process started with accounts and proxied artifacts on the PostgreSQL of
classroom/postgres.py, waited for until /health answers, and stopped with its workers.
"""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from classroom.output import log_tail
from classroom.postgres import database_uri
from rnnlab.core.errors import LabError

HEALTH_SECONDS = 90


def write_auth_config(folder, state):
    """MLflow's basic-auth config, ``folder``/auth.ini (mode 0600: it holds passwords)."""
    path = folder / "auth.ini"
    uri = database_uri(state, "mlflow_auth", sockets=folder / "postgres")
    path.write_text("[mlflow]\n"
                    "default_permission = READ\n"
                    f"database_uri = {uri}\n"
                    "admin_username = admin\n"
                    f"admin_password = {state['admin_password']}\n"
                    "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
                    # Checking a password is slow on purpose (scrypt); without the cache every
                    # request pays it. With it, each worker checks each student's password once
                    # a TTL (what it costs a class: docs/team.md). A changed password or a
                    # removed account reaches the worker that made the change at once, the
                    # others within the TTL, ten minutes.
                    "auth_cache_ttl_seconds = 600\n")
    path.chmod(0o600)


def start_mlflow(state, folder):
    log = open(folder / "server.log", "ab")
    # MLflow's job runner (background jobs of its GenAI features, which the lab has none of)
    # is off unless asked for: three fewer processes that each import MLflow at the start
    # and then poll for jobs.
    env = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", **os.environ,
           "MLFLOW_AUTH_CONFIG_PATH": str(folder / "auth.ini"),
           "MLFLOW_FLASK_SERVER_SECRET_KEY": state["secret_key"]}
    env.pop("MLFLOW_TRACKING_URI", None)
    cmd = [str(Path(sys.executable).parent / "mlflow"), "server", "--app-name", "basic-auth",
           "--backend-store-uri", database_uri(state, "mlflow", sockets=folder / "postgres"),
           "--artifacts-destination", str(folder / "artifacts"),
           "--host", state["host"], "--port", str(state["port"]), "--workers", str(state["workers"])]
    if state.get("allowed_hosts"):
        cmd += ["--allowed-hosts", state["allowed_hosts"]]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True, cwd=folder)
    state["server_pid"] = proc.pid
    deadline = time.monotonic() + HEALTH_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LabError(f"mlflow server stopped at start (is port {state['port']} taken? "
                           f"--port): {log_tail(folder / 'server.log')}")
        with contextlib.suppress(OSError, urllib.error.URLError):
            urllib.request.urlopen(f"{local_address(state)}/health", timeout=2).close()
            return
        time.sleep(0.5)
    stop_process(proc.pid)
    raise LabError(f"mlflow server did not answer within {HEALTH_SECONDS} s: "
                   f"{log_tail(folder / 'server.log')}")


def stop_process(pid, seconds=20):
    """SIGTERM to the process group of ``pid`` (the server and its workers), SIGKILL after
    ``seconds``; False if it was not running."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True


def local_address(state):
    """The server's address on this machine (the teacher's commands use it)."""
    host = "127.0.0.1" if state["host"] in ("0.0.0.0", "::") else state["host"]
    return f"http://{host}:{state['port']}"


def students_address(state):
    """The address students type: the server's name where it has one (``--name``), this
    machine's name where it listens on every network, else where it listens."""
    host = state.get("name") or state["host"]
    if host in ("0.0.0.0", "::"):
        host = socket.getfqdn()
    return f"http://{host}:{state['port']}"


def address_as(state, name=None, host=None, allowed=None):
    """Where the server listens, the name students reach it by and the Host headers it
    answers, into ``state`` (classroom.json): as given, else as an earlier start left them.
    A name (``--name lab.example.edu``) listens on every network (0.0.0.0) unless ``host``
    says otherwise, and answers that name (``allowed_hosts``)."""
    if name:
        state["name"] = name
    # a name given now means students' machines must reach it: every network, even where an
    # earlier start without a name (a teacher's try-out) left 127.0.0.1
    state["host"] = (host or ("0.0.0.0" if name else state.get("host"))
                     or ("0.0.0.0" if state.get("name") else "127.0.0.1"))
    if allowed:
        state["allowed_hosts"] = allowed
    elif name:
        state["allowed_hosts"] = allowed_hosts(name, state["port"])


def allowed_hosts(name, port):
    """The Host headers a server called ``name`` answers (MLflow's --allowed-hosts, which
    guards against DNS rebinding): its name, and this machine's own names for the teacher's
    commands, each with and without the port."""
    hosts = [name, "localhost", "127.0.0.1"]
    return ",".join(f"{h}{p}" for h in dict.fromkeys(hosts) for p in ("", f":{port}"))
