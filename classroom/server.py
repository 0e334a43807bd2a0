"""A class on one server: PostgreSQL, and `mlflow server` on it with accounts and proxied
artifacts, started and stopped with one command each (`make server`, `make server-stop`).

    python -m classroom.server start [--dir .classroom] [--name lab.example.edu] [--host HOST]
                                     [--port 8080] [--pg-port 5433] [--allowed-hosts HOSTS]
                                     [--workers 4]
                                     [--postgres auto|system|pip]
    python -m classroom.server accounts students.csv [--dir .classroom]
    python -m classroom.server grant ACCOUNT NAME [--dir .classroom]
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
                 auth_cache_ttl_seconds), or every request checks it again (scrypt: slow on
                 purpose).
  *.log          what PostgreSQL and the server printed.

Accounts: ``accounts`` reads a CSV with a ``name`` column (or a plain list, one name a line),
in the encodings and with the separators spreadsheets save (classroom/students.py), makes a user
per name (lower case, letters, digits, '-' and '_') with a generated password, and prints the
passwords once; nothing keeps them. A student runs the pipeline with
MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD set, and every
experiment and registered model the stages create is named after them ('alice-msft',
'alice-msft-forecaster': rnnlab/tracking/names.py), so that students never collide and each MANAGEs
their own.

Where the code lives: this module keeps the state file and the commands (start, stop, accounts,
grant: ``main``, the ``python -m classroom.server`` entry); classroom/postgres.py finds and runs
PostgreSQL (its binaries, its user as root, the cluster, the databases);
classroom/mlflow_server.py writes auth.ini and starts and stops the `mlflow server`;
classroom/output.py turns what a program printed into one line for the errors.

Written here rather than with a process manager: two servers, a few files and no daemon to
install; the commands are the ones PostgreSQL's and MLflow's documentation give.
"""
import argparse
import json
import os
import secrets
import sys
from pathlib import Path

from classroom.mlflow_server import (
    address_as,
    local_address,
    start_mlflow,
    stop_process,
    students_address,
    write_auth_config,
)
from classroom.output import last_line
from classroom.postgres import (
    PIP,
    SYSTEM,
    WHOSE,
    choose_postgres,
    create_databases,
    describe_postgres,
    init_cluster,
    pg_bin,
    postgres_user,
    start_postgres,
    stop_postgres,
)
from classroom.students import read_names
from rnnlab.core.errors import LabError, run
from rnnlab.core.lifeline import process_alive
from rnnlab.tracking import store

STATE = "classroom.json"


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


# ---- commands ----

def start(args):
    folder = Path(args.dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077 and os.geteuid() != 0:
        folder.chmod(0o700)
    new = not (folder / STATE).exists()
    if new:
        source, binaries = choose_postgres(args.postgres)
        state = {"port": args.port, "pg_port": args.pg_port, "workers": args.workers,
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
    address_as(state, args.name, args.host, args.allowed_hosts)
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
    address = students_address(state)
    postgres = describe_postgres(state.get("pg_source", SYSTEM),
                                 Path(pg_bin("postgres", state)).parent)
    print(f"class server: {address} (MLflow, accounts on, listening on {state['host']}); "
          f"{postgres} on 127.0.0.1:{state['pg_port']}; files in {folder}")
    if not state.get("admin_shown"):
        print(f"admin account: admin / {state['admin_password']} (kept in {folder / STATE}, "
              "readable by you only)")
        state["admin_shown"] = True
        save_state(folder, state)
    else:
        print(f"admin account: admin, its password in {folder / STATE}")
    print(f"students: export MLFLOW_TRACKING_URI={address} MLFLOW_TRACKING_USERNAME=<name> "
          "MLFLOW_TRACKING_PASSWORD=<password>; make accounts STUDENTS=<list.csv> makes them")
    print(f"runs, in a browser: {address}/#/experiments?workflowType=machine_learning")


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
    start_p.add_argument("--name", default=None,
                         help="the host name students reach the server by (lab.example.edu): "
                         "what it prints for them, the Host it answers; it then listens on "
                         "every network (0.0.0.0) unless --host says otherwise")
    start_p.add_argument("--host", default=None, help="where the MLflow server listens "
                         "(default 127.0.0.1, or 0.0.0.0 with --name: every network of this "
                         "machine)")
    start_p.add_argument("--port", type=int, default=8080)
    start_p.add_argument("--pg-port", type=int, default=5433)
    start_p.add_argument("--workers", type=int, default=4)
    start_p.add_argument("--postgres", choices=("auto", SYSTEM, PIP), default="auto",
                         help="which PostgreSQL makes a new class server's database: the "
                         "system's, pgserver's from pip (the venv), or auto: the system's where "
                         "installed, else pip's")
    start_p.add_argument("--allowed-hosts", default=None,
                         help="the Host headers it answers (MLflow's --allowed-hosts; with "
                         "--name: that name, localhost and 127.0.0.1, with and without the port)")
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
