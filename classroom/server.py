"""A class on one server: PostgreSQL, and `mlflow server` on it with accounts and proxied
artifacts, started and stopped with one command each (`make server`, `make server-stop`).

    python -m classroom.server start [--dir .classroom] [--host 127.0.0.1] [--port 8080]
                                     [--pg-port 5433] [--allowed-hosts HOSTS] [--workers 4]
                                     [--postgres auto|system|pip]
    python -m classroom.server accounts students.csv [--dir .classroom]
    python -m classroom.server stop [--dir .classroom]

What runs, all of it inside ``--dir`` (default ``.classroom/`` at the project root, which git
ignores):
  postgres/      the database cluster (initdb), listening on 127.0.0.1:<pg-port> only, password
                 (SCRAM) authentication. Its binaries: the system's PostgreSQL where installed
                 (Debian's ``postgresql`` package, Homebrew's), else the ones the PyPI package
                 ``pgserver`` installs into the venv (requirements.lock pins it; only its
                 binaries are used); ``--postgres system|pip`` chooses, and the state file keeps
                 the choice (a cluster opens only with its own major version). PostgreSQL refuses
                 to run as root: as root, the cluster belongs to the ``postgres`` user (the
                 system's), or to a system user ``pgserver`` made for it (pip's), and its commands
                 run through runuser.
  artifacts/     where the server keeps every run's files and models (--artifacts-destination:
                 clients upload through the server, they need no access to this folder).
  classroom.json its ports, process ids, which PostgreSQL, and secrets (mode 0600): the
                 database password, the admin's password and the Flask secret key, generated
                 at the first start.
  auth.ini       MLflow's basic-auth config: users and permissions in PostgreSQL as well,
                 default permission READ (everyone reads every experiment; whoever creates an
                 experiment or registered model MANAGEs it, nobody else can write to it); a
                 checked password is cached for 10 minutes per server worker (MLflow's
                 auth_cache_ttl_seconds), or every request pays ~0.13 s of CPU to check it.
  *.log          what PostgreSQL and the server printed.

Accounts: ``accounts`` reads a CSV with a ``name`` column (or a plain list, one name a line),
in the encodings and with the separators spreadsheets save (classroom/students.py), makes a user
per name (lower case, letters, digits, '-' and '_') with a generated password, and prints the
passwords once; nothing keeps them. A student runs the pipeline with
MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD set, and every
experiment and registered model the stages create is named after them ('alice-msft',
'alice-msft-forecaster': rnnlab/tracking/names.py), so that students never collide and each MANAGEs
their own.

Written here rather than with a process manager: two servers, a few files and no daemon to
install; the commands are the ones PostgreSQL's and MLflow's documentation give.
"""
import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from classroom.students import read_names
from rnnlab.core.errors import LabError, run
from rnnlab.core.lifeline import process_alive
from rnnlab.tracking import store

STATE = "classroom.json"
HEALTH_SECONDS = 90


# ---- PostgreSQL ----

SYSTEM, PIP = "system", "pip"
WHOSE = {SYSTEM: "the system's", PIP: "pip's (pgserver)"}


def system_pg_bin():
    """The folder of the system's PostgreSQL programs: initdb's on PATH, else the newest of
    Debian's /usr/lib/postgresql/<version>/bin; None without."""
    found = shutil.which("initdb")
    if found:
        return str(Path(found).resolve().parent)
    debian = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    newest = max(debian, key=lambda b: [int(n) for n in re.findall(r"\d+", b.parent.name)] or [0],
                 default=None)
    return str(newest) if newest else None


def pip_pg_bin():
    """The folder of the PostgreSQL programs that `pip install pgserver` puts in the venv
    (pgserver/pginstall/bin: PostgreSQL's own binaries, built for manylinux and macOS); None
    without. Only its binaries are used, with the same initdb and pg_ctl as the system's."""
    import importlib.util

    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "pginstall" / "bin"
    return str(folder) if (folder / "initdb").exists() and (folder / "pg_ctl").exists() else None


NO_SYSTEM = ("no system PostgreSQL here (initdb neither on PATH nor under /usr/lib/postgresql): "
             "apt-get install postgresql (Debian/Ubuntu) or brew install postgresql (macOS)")
NO_PIP = ("pgserver is not installed in this venv (.venv/bin/pip install -r requirements.lock "
          "installs it): it brings PostgreSQL's programs")


def choose_postgres(which):
    """(source, bin folder) of the PostgreSQL to use: ``which`` 'system', 'pip', or 'auto' (the
    system's where installed, else pgserver's from the venv)."""
    if which in ("auto", SYSTEM):
        found = system_pg_bin()
        if found:
            return SYSTEM, found
        if which == SYSTEM:
            raise LabError(NO_SYSTEM + "; or --postgres pip")
    found = pip_pg_bin()
    if found:
        return PIP, found
    if which == PIP:
        raise LabError(NO_PIP)
    raise LabError("no PostgreSQL server here, neither the system's nor pip's: .venv/bin/pip "
                   "install -r requirements.lock (it brings pgserver, PostgreSQL's programs), or "
                   "apt-get install postgresql (Debian/Ubuntu), brew install postgresql (macOS)")


def pg_bin(name, state=None):
    """The path of PostgreSQL's program ``name`` (initdb, pg_ctl, postgres): from the folder
    the class server's state names (its cluster's own binaries), else the system's."""
    folder = (state or {}).get("pg_bin") or system_pg_bin()
    if not folder:
        raise LabError(NO_SYSTEM)
    path = Path(folder) / name
    if not path.exists():
        raise LabError(f"{path} is missing: the PostgreSQL this class server was made with is "
                       f"gone ({'reinstall pgserver' if 'pgserver' in folder else NO_SYSTEM})")
    return str(path)


def describe_postgres(source, folder):
    """Which PostgreSQL, in words: 'PostgreSQL 16.2 (pip-installed: pgserver in the venv)', from
    ``postgres --version``."""
    done = subprocess.run([str(Path(folder) / "postgres"), "--version"], capture_output=True,
                          text=True)
    found = re.search(r"\(PostgreSQL\) (\S+)", done.stdout) if done.returncode == 0 else None
    version = found.group(1) if found else "?"
    where = f"the system's, {folder}" if source == SYSTEM else "pip-installed: pgserver in the venv"
    return f"PostgreSQL {version} ({where})"


def postgres_user(source):
    """As root, the account PostgreSQL runs as (it refuses root): the system's ``postgres``
    (its package made it); for pgserver's binaries a system user ``pgserver``, made if missing
    (as pgserver itself does). Not root: None, PostgreSQL runs as you."""
    if os.geteuid() != 0:
        return None
    import pwd

    user = "postgres" if source == SYSTEM else "pgserver"
    try:
        pwd.getpwnam(user)
    except KeyError:
        if source == SYSTEM:
            raise LabError("PostgreSQL refuses to run as root, and there is no 'postgres' user "
                           "to run it as: run make server as an ordinary user") from None
        made = subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                               "--shell", "/usr/sbin/nologin", user],
                              capture_output=True, text=True)
        if made.returncode != 0:
            raise LabError(f"PostgreSQL refuses to run as root, and making a user {user!r} to run "
                           f"it as failed: {last_line(made.stderr)}; run make server as an "
                           "ordinary user") from None
    return user


def as_postgres(cmd, state=None):
    """``cmd`` as PostgreSQL accepts it: as is, or, run as root, as the cluster's user
    (``state['pg_user']``; 'postgres' for a state without one)."""
    if os.geteuid() != 0:
        return cmd
    user = (state or {}).get("pg_user") or postgres_user(SYSTEM)
    return ["runuser", "-u", user, "--", *cmd]


def give_to_postgres(path, state):
    """As root, make ``path`` the cluster's user's, and check it can reach it and run the
    PostgreSQL programs."""
    if os.geteuid() != 0:
        return
    user = state["pg_user"]
    shutil.chown(path, user, user)
    if subprocess.run(as_postgres(["test", "-w", str(path)], state)).returncode != 0:
        raise LabError(f"{path}: the {user} user (PostgreSQL does not run as root) cannot enter "
                       "this folder; choose a --dir whose parent folders it can read")
    initdb = pg_bin("initdb", state)
    if subprocess.run(as_postgres(["test", "-x", initdb], state)).returncode != 0:
        raise LabError(f"{initdb}: the {user} user (PostgreSQL does not run as root) cannot run "
                       "it; the folders above it must be readable by others (chmod o+rx)")


def init_cluster(folder, state):
    """A new database cluster in ``folder``, superuser 'lab' with the state's password, SCRAM
    only."""
    folder.mkdir(mode=0o700)
    give_to_postgres(folder, state)
    pwfile = folder.parent / ".pgpass-init"
    pwfile.touch(mode=0o600)
    pwfile.write_text(state["pg_password"] + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, state["pg_user"], state["pg_user"])  # initdb reads it, then it goes
    try:
        done = subprocess.run(as_postgres([pg_bin("initdb", state), "-D", str(folder), "-U", "lab",
                                           "--auth=scram-sha-256", f"--pwfile={pwfile}",
                                           "--encoding=UTF8", "--no-instructions"], state),
                              capture_output=True, text=True)
    finally:
        pwfile.unlink()
    if done.returncode != 0:
        raise LabError(f"initdb {folder} failed: {last_line(done.stderr or done.stdout)}")


def start_postgres(state, folder):
    cmd = [pg_bin("pg_ctl", state), "-D", str(folder), "-l", str(folder / "postgres.log"), "-w",
           "-t", "60", "-o", f"-p {state['pg_port']} -k {folder} -c listen_addresses=127.0.0.1",
           "start"]
    done = subprocess.run(as_postgres(cmd, state), capture_output=True, text=True)
    if done.returncode != 0:
        raise LabError(f"PostgreSQL did not start on 127.0.0.1:{state['pg_port']} (is the port "
                       f"taken? --pg-port): {log_tail(folder / 'postgres.log')}")


def stop_postgres(folder, state=None):
    if not (folder / "postmaster.pid").exists():
        return False
    subprocess.run(as_postgres([pg_bin("pg_ctl", state), "-D", str(folder), "-m", "fast", "-w",
                                "stop"], state),
                   capture_output=True, text=True)
    return True


def database_uri(state, database, driver="+psycopg2", sockets=None):
    """SQLAlchemy's URI of ``database`` (MLflow's stores), with the driver in the lock; with
    ``sockets`` (the cluster's folder, where PostgreSQL also listens: ``-k``), over its Unix
    socket rather than TCP on 127.0.0.1. The mlflow server pings and queries the database
    several times a request: measured, two runs each, 26-27 ms of its CPU a request instead of
    28-29, PostgreSQL's own CPU down 13%, a class's load done 9% sooner
    (benchmarks/server_load.py). A path too long for a socket (107 bytes on Linux) keeps TCP."""
    if sockets is not None and len(str(Path(sockets) / f".s.PGSQL.{state['pg_port']}")) <= 107:
        return (f"postgresql{driver}://lab:{state['pg_password']}@/{database}"
                f"?host={sockets}&port={state['pg_port']}")
    return (f"postgresql{driver}://lab:{state['pg_password']}@127.0.0.1:{state['pg_port']}"
            f"/{database}")


def create_databases(state, names):
    import psycopg2

    with contextlib.closing(psycopg2.connect(database_uri(state, "postgres", driver=""))) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in names:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{name}"')


# ---- the MLflow server ----

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
                    # Checking a password costs ~0.13 s of CPU (scrypt); without the cache every
                    # request pays it: 25x SQLite's cost per request, measured
                    # (benchmarks/server_load.py). Each worker checks each student's password
                    # once a TTL: at 60 s, thirty students cost a quarter of a core in a lesson,
                    # and their checks came in bursts (docs/team.md). A changed password or a
                    # removed account reaches the worker that made the change at once, the
                    # others within ten minutes.
                    "auth_cache_ttl_seconds = 600\n")
    path.chmod(0o600)


def start_mlflow(state, folder):
    log = open(folder / "server.log", "ab")
    # MLflow's job runner (background jobs of its GenAI features, which the lab has none of)
    # is off unless asked for: three fewer processes that each import MLflow at the start
    # (~13 s of a 35 s start on two busy cores) and then poll for jobs.
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
    host = "127.0.0.1" if state["host"] in ("0.0.0.0", "::") else state["host"]
    return f"http://{host}:{state['port']}"


# ---- state ----

def load_state(folder):
    path = folder / STATE
    if not path.exists():
        raise LabError(f"{folder} holds no class server: start one with make server "
                       f"(python -m classroom.server start --dir {folder})")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise LabError(f"{path}: unreadable ({err}); stop the servers by hand, move the folder "
                       "away and start a new one") from None


def save_state(folder, state):
    path = folder / STATE
    path.touch(mode=0o600)
    path.write_text(json.dumps(state, indent=2) + "\n")


def last_line(text):
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def log_tail(path):
    try:
        return last_line(Path(path).read_text(errors="replace"))
    except OSError:
        return f"(no {Path(path).name})"


# ---- commands ----

def start(args):
    folder = Path(args.dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077 and os.geteuid() != 0:
        folder.chmod(0o700)
    new = not (folder / STATE).exists()
    if new:
        source, binaries = choose_postgres(args.postgres)
        state = {"host": args.host, "port": args.port, "pg_port": args.pg_port,
                 "workers": args.workers, "allowed_hosts": args.allowed_hosts,
                 "pg_source": source, "pg_bin": binaries, "pg_user": postgres_user(source),
                 "pg_password": secrets.token_urlsafe(24),
                 "admin_password": secrets.token_urlsafe(16),
                 "secret_key": secrets.token_hex(32)}
        if os.geteuid() == 0:
            folder.chmod(0o755)  # PostgreSQL's user must reach postgres/ inside it
        init_cluster(folder / "postgres", state)
        save_state(folder, state)
    else:
        state = load_state(folder)
        if state.get("server_pid") and process_alive(state["server_pid"]):
            raise LabError(f"the class server in {folder} is running already "
                           f"({local_address(state)}); make server-stop stops it")
        made_with = state.get("pg_source", SYSTEM)
        if args.postgres not in ("auto", made_with):
            raise LabError(f"the database in {folder} was made by {WHOSE[made_with]} PostgreSQL, "
                           "and only it opens it: start it without --postgres, or move the folder "
                           "away for a new class server")
    start_postgres(state, folder / "postgres")
    try:
        create_databases(state, ("mlflow", "mlflow_auth"))
        write_auth_config(folder, state)
        (folder / "artifacts").mkdir(exist_ok=True)
        start_mlflow(state, folder)
    except BaseException:
        stop_postgres(folder / "postgres", state)
        raise
    save_state(folder, state)
    address = f"http://{state['host']}:{state['port']}"
    postgres = describe_postgres(state.get("pg_source", SYSTEM),
                                 Path(pg_bin("postgres", state)).parent)
    print(f"class server: {address} (MLflow, accounts on); {postgres} on 127.0.0.1:"
          f"{state['pg_port']}; files in {folder}")
    if not state.get("admin_shown"):
        print(f"admin account: admin / {state['admin_password']} (kept in {folder / STATE}, "
              "readable by you only)")
        state["admin_shown"] = True
        save_state(folder, state)
    else:
        print(f"admin account: admin, its password in {folder / STATE}")
    print(f"students: export MLFLOW_TRACKING_URI={address} MLFLOW_TRACKING_USERNAME=<name> "
          "MLFLOW_TRACKING_PASSWORD=<password>; make accounts STUDENTS=<list.csv> makes them")


def stop(args):
    folder = Path(args.dir).resolve()
    state = load_state(folder)
    server = stop_process(state["server_pid"]) if state.get("server_pid") else False
    state.pop("server_pid", None)
    save_state(folder, state)
    database = stop_postgres(folder / "postgres", state)
    print(f"class server in {folder}: mlflow server {'stopped' if server else 'was not running'}, "
          f"PostgreSQL {'stopped' if database else 'was not running'}")


def as_admin(folder):
    """The class server in ``folder``: (its address, MLflow's client of its accounts app), the
    admin's account in the environment for MLflow's other clients."""
    state = load_state(Path(folder).resolve())
    os.environ.update(MLFLOW_TRACKING_USERNAME="admin",
                      MLFLOW_TRACKING_PASSWORD=state["admin_password"])
    import warnings

    with warnings.catch_warnings():  # Starlette's notice about a module MLflow's server imports
        warnings.simplefilter("ignore", DeprecationWarning)  # (a UserWarning in Starlette 1)
        warnings.filterwarnings("ignore", message=r"starlette\..* is deprecated")
        from mlflow.server import get_app_client

        return local_address(state), get_app_client("basic-auth",
                                                    tracking_uri=local_address(state))


def accounts(args):
    names = read_names(args.students)  # the list's mistakes first: they need no server
    from mlflow.exceptions import MlflowException

    address, client = as_admin(args.dir)
    made, existing = [], []
    for name in names:
        password = secrets.token_urlsafe(12)
        try:
            client.create_user(name, password)
        except MlflowException as err:
            if "already exists" not in str(err):
                raise LabError(f"{address}: could not create user {name!r}: "
                               f"{last_line(str(err))}") from None
            existing.append(name)
            continue
        made.append((name, password))
    print("username,password")
    for name, password in made:
        print(f"{name},{password}")
    kept = f"; already there, unchanged: {', '.join(existing)}" if existing else ""
    print(f"# {len(made)} new accounts on {address}{kept}. Hand each student theirs: "
          "the passwords are not kept anywhere", file=sys.stderr)


def grant(args):
    """Give ``args.account`` the experiment or registered model ``args.name`` (MANAGE on it):
    one that another account made first under that student's name ('bob-msft'), which the
    lab's stages then refuse in one line naming this command (rnnlab/tracking/claims.py)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    address, accounts_app = as_admin(args.dir)
    client = MlflowClient(address)
    found = []
    with store.errors_of(address):
        experiment = client.get_experiment_by_name(args.name)
        if experiment is not None:
            found.append(("experiment", experiment.experiment_id))
        try:
            client.get_registered_model(args.name)
            found.append(("registered_model", args.name))
        except MlflowException as err:
            if err.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
        if not found:
            raise LabError(f"{address}: no experiment or registered model is named {args.name!r}")
        for kind, key in found:
            try:
                accounts_app.grant_user_permission(args.account, kind, key, "MANAGE")
            except MlflowException as err:
                raise LabError(f"{address}: could not give the {kind.replace('_', ' ')} "
                               f"{args.name!r} to {args.account!r}: {last_line(str(err))}") from None
            print(f"{args.account} may now change the {kind.replace('_', ' ')} {args.name!r}")


def main():
    parser = argparse.ArgumentParser(prog="python -m classroom.server",
                                     description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_p = commands.add_parser("start", help="start PostgreSQL and the MLflow server")
    start_p.add_argument("--host", default="127.0.0.1", help="where the MLflow server listens "
                         "(0.0.0.0: every network of this machine)")
    start_p.add_argument("--port", type=int, default=8080)
    start_p.add_argument("--pg-port", type=int, default=5433)
    start_p.add_argument("--workers", type=int, default=4)
    start_p.add_argument("--postgres", choices=("auto", SYSTEM, PIP), default="auto",
                         help="which PostgreSQL makes a new class server's database: the "
                         "system's, pgserver's from pip (the venv), or auto: the system's where "
                         "installed, else pip's")
    start_p.add_argument("--allowed-hosts", default=None,
                         help="host names students reach it by (MLflow's --allowed-hosts)")
    accounts_p = commands.add_parser("accounts", help="an account per student of a list")
    accounts_p.add_argument("students", help="a CSV with a 'name' column, or one name a line "
                            "(UTF-8 or UTF-16; commas, tabs or semicolons)")
    grant_p = commands.add_parser("grant", help="give a student an experiment or registered "
                                  "model of their name that another account made first")
    grant_p.add_argument("account", help="the student's account")
    grant_p.add_argument("name", help="the experiment's or registered model's name ('bob-msft')")
    commands.add_parser("stop", help="stop the MLflow server and PostgreSQL")
    for sub in (start_p, accounts_p, grant_p, commands.choices["stop"]):
        sub.add_argument("--dir", default=".classroom", help="the server's folder")
    args = parser.parse_args()
    {"start": start, "stop": stop, "accounts": accounts, "grant": grant}[args.command](args)


if __name__ == "__main__":
    run(main)
