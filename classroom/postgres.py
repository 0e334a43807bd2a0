"""PostgreSQL for the class server: which one (the system's, or the binaries the PyPI package
``pgserver`` installs into the venv), the user it runs as when started by root, and the
cluster: made with initdb, started and stopped with pg_ctl, with the databases MLflow's
stores live in.

  which       choose_postgres picks the programs' folder (``--postgres auto|system|pip``);
              system_pg_bin and pip_pg_bin find each; pg_bin names a program of the folder the
              state file keeps (a cluster opens only with its own major version);
              describe_postgres says which, with its version.
  as root     PostgreSQL refuses to run as root: postgres_user is the ``postgres`` user (the
              system's) or a system user ``pgserver`` made for it (pip's); as_postgres runs a
              command as that user through runuser; give_to_postgres hands it a folder.
  cluster     init_cluster (superuser 'lab', SCRAM passwords only), start_postgres
              (127.0.0.1:<pg-port> and a Unix socket in the cluster's folder), stop_postgres.
  databases   database_uri (SQLAlchemy's URI, over the socket where its path fits),
              create_databases.
"""
import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from classroom.output import last_line, log_tail
from rnnlab.core.errors import LabError

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
    socket rather than TCP on 127.0.0.1: the mlflow server pings and queries the database
    several times a request, and a socket spares both sides TCP's work (what it saves a class:
    docs/team.md). A path too long for a socket (107 bytes on Linux) keeps TCP."""
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
