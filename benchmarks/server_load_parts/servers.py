"""The servers measured, each started by the benchmark on free ports of 127.0.0.1 and stopped at
the end whatever happens: the class server (`make server`'s, classroom.server), or the same
`mlflow server` on a SQLite backend store; and what they cost (CPU seconds from /proc, ERROR
lines of their logs).
"""
import collections
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PARTS = ["postgres", "uncached", "sqlite", "restart"]
DEFAULT_PARTS = ["postgres", "sqlite", "restart"]
TITLES = {"postgres": "PostgreSQL", "uncached": "PG, no auth cache", "sqlite": "SQLite",
          "restart": "PG + restart"}
AUTH_CACHE_SECONDS = 0  # the uncached part: MLflow's default


def cpu_of(pids):
    """CPU seconds (user + system, and of their reaped children) of processes ``pids``."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15]) / tick
    return total


def pids_where(field, value):
    """Processes whose /proc stat ``field`` (1: parent, 2: process group) is ``value``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[field]) == value:
                found.append(int(stat.parent.name))
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def classroom(*args, timeout=300):
    done = subprocess.run([sys.executable, "-m", "classroom.server", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"classroom.server {' '.join(args)} failed: "
                           f"{(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout


def server_errors(log, start=0):
    """The ERROR lines of a server's log from byte ``start``: (end, Counter of their messages)."""
    found = collections.Counter()
    with contextlib.suppress(OSError), open(log, "rb") as f:
        f.seek(start)
        data = f.read()
        start += len(data)
        for line in data.decode(errors="replace").splitlines():
            if " ERROR " in line or line.startswith("ERROR"):
                found[line.split("ERROR", 1)[1].strip(" :")[:160]] += 1
    return start, found


def warm_up(server, workers):
    """Requests before the load, a few per worker of the server: their first requests (imports,
    database connections) are not counted as the class's."""
    import base64

    request = urllib.request.Request(f"{server.uri}/api/2.0/mlflow/experiments/search"
                                     "?max_results=1")
    if server.admin:
        token = base64.b64encode(":".join(server.admin).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")

    def get(_):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=120).close()

    with ThreadPoolExecutor(2 * workers) as pool:
        list(pool.map(get, range(4 * workers)))


class ClassServer:
    """`make server`'s class server in ``folder``, with an account per student; with
    ``auth_cache``, MLflow's basic-auth cache of checked passwords set in its auth.ini."""

    def __init__(self, folder, workers, auth_cache=None):
        self.folder, self.workers, self.auth_cache = folder / "class", workers, auth_cache
        self.port, self.pg_port = free_port(), free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.artifacts = self.folder / "artifacts"
        self.log = self.folder / "server.log"

    def start(self, users):
        classroom("start", "--dir", str(self.folder), "--port", str(self.port),
                  "--pg-port", str(self.pg_port), "--workers", str(self.workers))
        self.state = json.loads((self.folder / "classroom.json").read_text())
        self.admin = ("admin", self.state["admin_password"])
        self.note = ""
        if self.auth_cache is not None:
            self.note = self.use_auth_cache()
        names = self.folder.parent / "students.txt"
        names.write_text("\n".join(users) + "\n")
        out = classroom("accounts", str(names), "--dir", str(self.folder))
        passwords = dict(line.split(",", 1) for line in out.strip().splitlines()[1:] if "," in line)
        missing = set(users) - set(passwords)
        if missing:
            raise RuntimeError(f"no account made for {sorted(missing)}: {out}")
        return passwords

    def use_auth_cache(self):
        from classroom.mlflow_server import start_mlflow, stop_process
        from classroom.server import save_state

        config = self.folder / "auth.ini"
        stop_process(self.state["server_pid"])
        lines = [line for line in config.read_text().splitlines()
                 if not line.startswith("auth_cache_ttl_seconds")]
        config.write_text("\n".join(lines + [f"auth_cache_ttl_seconds = {self.auth_cache}"]) + "\n")
        start_mlflow(self.state, self.folder)
        save_state(self.folder, self.state)
        return (f"auth_cache_ttl_seconds = {self.auth_cache} in its auth.ini, the mlflow "
                "server restarted")

    def store_uri(self):
        from classroom.postgres import database_uri

        return database_uri(self.state, "mlflow")

    def cpu(self):
        """CPU seconds so far: the mlflow server's processes, PostgreSQL's (since its start)."""
        state = json.loads((self.folder / "classroom.json").read_text())
        pg = 0.0
        with contextlib.suppress(OSError, ValueError, IndexError):
            postmaster = int((self.folder / "postgres" / "postmaster.pid").read_text().split()[0])
            pg = cpu_of([postmaster, *pids_where(1, postmaster)])
        return {"mlflow server": cpu_of(pids_where(2, state["server_pid"])), "PostgreSQL": pg}

    def stop(self):
        if (self.folder / "classroom.json").exists():
            try:
                classroom("stop", "--dir", str(self.folder))
            except Exception as err:  # say so: a server may be left running
                print(f"   !! {err}", flush=True)

    def restart_database(self):
        """`pg_ctl restart -m fast` of the class's PostgreSQL: (seconds, exit code, its last
        line)."""
        from classroom.postgres import as_postgres, pg_bin

        data = self.folder / "postgres"
        cmd = as_postgres([pg_bin("pg_ctl", self.state), "-D", str(data), "-l",
                           str(data / "postgres.log"), "-m", "fast", "-w", "-t", "60", "restart"],
                          self.state)
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        said = (done.stdout + done.stderr).strip().splitlines()
        return time.perf_counter() - start, done.returncode, said[-1] if said else ""


class SqliteServer:
    """The same `mlflow server`, on a SQLite backend store, no accounts."""
    note, admin = "", None

    def __init__(self, folder, workers):
        self.folder, self.workers = folder / "sqlite", workers
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.artifacts = self.folder / "artifacts"
        self.proc = None

    def start(self, users):
        self.folder.mkdir()
        self.artifacts.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
        cmd = [str(BIN / "mlflow"), "server", "--backend-store-uri", self.store_uri(),
               "--artifacts-destination", str(self.artifacts),
               "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        self.log = self.folder / "server.log"
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                         cwd=self.folder, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlflow server (SQLite) stopped at start: "
                                   f"{(self.folder / 'server.log').read_text()[-2000:]}")
            with contextlib.suppress(OSError, urllib.error.URLError):
                urllib.request.urlopen(f"{self.uri}/health", timeout=2).close()
                return {user: None for user in users}
            time.sleep(0.5)
        raise RuntimeError("mlflow server (SQLite) did not answer within 120 s")

    def store_uri(self):
        return f"sqlite:///{self.folder / 'mlflow.db'}"

    def cpu(self):
        return {"mlflow server": cpu_of(pids_where(2, self.proc.pid))}

    def stop(self):
        if self.proc is not None:
            from classroom.mlflow_server import stop_process

            stop_process(self.proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=30)
