"""Where the MLflow store is, whether it can work, and its failures as one line.

The store is ``MLFLOW_TRACKING_URI`` when set (a team's tracking server), else the SQLite file
``mlflow.db`` at the project root. Before MLflow first talks to it (and perhaps retries for
minutes), ``connect`` checks that it can work: a scheme MLflow stores use, a server that
answers, a SQLite path that is a writable SQLite database, the venv's plugin for its artifact
locations (``artifact_location``); and makes an older SQLite store's absolute locations
relative, once (``relocate``). Later, what MLflow or SQLAlchemy raise while talking to it reads
as one line naming the store (``errors_of`` inside a block, ``failure_line`` for the stage
wrapper, registered with rnnlab/core/errors.py).
"""
import contextlib
import os
import re
import urllib.error
import urllib.request

from rnnlab.core import errors
from rnnlab.core.errors import LabError


def project_root():
    """The main repository: DVC sets DVC_ROOT for every stage, and keeps it pointing at the
    main repo when ``dvc exp run --temp/--queue`` runs the stage in a temporary copy."""
    return os.path.abspath(os.environ.get("DVC_ROOT") or os.getcwd())


def tracking_uri():
    """``MLFLOW_TRACKING_URI`` when set (a team's tracking server), else the SQLite file
    ``mlflow.db`` at the project root (what ``make ui`` opens)."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{project_root()}/mlflow.db"


def artifacts_of(uri):
    """The folder where a SQLite store keeps its artifacts: ``mlartifacts/`` beside the
    database file, so the project root for the default store (not the working copy, which for
    a queued DVC experiment is a temporary folder), and a test's temporary folder for its own
    store; None for a server, which decides for itself."""
    if uri.startswith("sqlite:"):
        return os.path.join(os.path.dirname(os.path.abspath(sqlite_path(uri))), "mlartifacts")
    return None


def artifact_location(uri, experiment):
    """Where a new experiment keeps its artifacts: for a SQLite store ``checkout:/mlartifacts/
    <experiment>``, the folder ``<artifacts_of>/<experiment>`` named relative to the store
    (plugin/rnnlab_checkout.py), so that it travels with a copied or moved checkout; else None
    (a server decides for itself)."""
    return f"checkout:/mlartifacts/{experiment}" if artifacts_of(uri) else None


def connect():
    """Point MLflow at the store, once it is checked and its locations are relative; its URI."""
    import mlflow

    uri = tracking_uri()
    check(uri)
    relocate(uri)
    mlflow.set_tracking_uri(uri)
    return uri


def relocate(uri):
    """A SQLite store's absolute artifact locations made relative, once
    (rnnlab/tracking/relocation.py); a server's are its own."""
    if artifacts_of(uri):
        from rnnlab.tracking import relocation

        relocation.convert(sqlite_path(uri))


# ---- before MLflow tries it ----

SCHEMES = ("sqlite", "http", "https", "postgresql", "mysql", "mssql", "databricks")
"""Tracking URIs a stage accepts: MLflow's database and server stores (its file store,
./mlruns, is read-only in maintenance mode)."""


def sqlite_path(uri):
    """'sqlite:////work/lab/mlflow.db?timeout=5' -> '/work/lab/mlflow.db'."""
    return uri.removeprefix("sqlite:///").split("?", 1)[0]


def check(uri):
    """One line for a store that cannot work, before MLflow tries it: an unknown scheme, a
    server that does not answer, a SQLite path that is not a SQLite database file."""
    scheme = uri.split(":", 1)[0].split("+", 1)[0] if ":" in uri else ""
    if scheme not in SCHEMES:
        raise LabError(f"MLFLOW_TRACKING_URI={uri}: not a tracking store a stage can use "
                       f"(schemes: {', '.join(SCHEMES)}); unset it for the project's mlflow.db")
    _check_server(uri)
    if scheme == "sqlite":
        _check_sqlite(uri)


_ANSWERED = set()
"""The (server, account) pairs that ``_check_server`` found working in this process."""


def _check_server(uri, timeout=10):
    """A server that does not answer, or (MLflow's basic-auth app) missing or wrong
    credentials: one line each, before anything is logged. One request, the cheapest the API
    has that an account needs (the first experiment); a server without accounts answers it to
    anyone. Not /health as well, and once per process and account, not at each ``connect``:
    every stage checks, and for a class server each request counts (docs/team.md)."""
    import base64

    if not uri.startswith(("http://", "https://")):
        return
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    password = os.environ.get("MLFLOW_TRACKING_PASSWORD")
    answered = (uri, user, password)
    if answered in _ANSWERED:
        return
    request = urllib.request.Request(
        uri.rstrip("/") + "/api/2.0/mlflow/experiments/search?max_results=1")
    if user:
        token = f"{user}:{password or ''}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(token).decode())
    try:
        urllib.request.urlopen(request, timeout=timeout).close()
        _ANSWERED.add(answered)
    except urllib.error.HTTPError as err:
        if err.code == 403 and b"Invalid Host header" in err.read(200):
            raise LabError(f"MLflow tracking server {uri} refused the request (HTTP 403): its "
                           "--allowed-hosts does not list this address") from None
        if err.code == 401 and not user:
            raise LabError(f"MLflow tracking server {uri} needs an account: set "
                           "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD") from None
        if err.code == 401:
            raise LabError(f"MLflow tracking server {uri} refused the account {user!r} (HTTP "
                           "401): a wrong MLFLOW_TRACKING_PASSWORD, or no such user") from None
        if err.code == 403:
            raise LabError(f"MLflow tracking server {uri}: the account {user!r} may not read "
                           "experiments (HTTP 403); ask its admin") from None
        # it answered: MLflow's own retries and errors take over
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise LabError(f"MLflow tracking server {uri} is unreachable ({reason}); "
                       "start it or unset MLFLOW_TRACKING_URI") from None


def check_plugin(uri):
    """LabError for a SQLite store if the venv lacks the lab's MLflow plugin, without which
    MLflow cannot open its artifact locations (``artifact_location``)."""
    from rnnlab.tracking.relocation import plugin_missing

    if artifacts_of(uri) and plugin_missing():
        raise LabError(f"{uri}: this venv lacks the lab's MLflow plugin (plugin/: the artifact "
                       "locations checkout:/...): run `make venv`")


def _check_sqlite(uri):
    check_plugin(uri)
    db = sqlite_path(uri)
    if not os.path.isdir(os.path.dirname(os.path.abspath(db))):
        raise LabError(f"{uri}: the folder of {db} does not exist")
    if not os.path.lexists(db):
        return  # MLflow creates it
    check_sqlite_file(db, "(the next stage starts a new store)")
    try:
        open(db, "r+b").close()  # a stage writes to it (os.access would trust root)
    except OSError as err:
        raise LabError(f"{db}: the MLflow store is read-only ({err.strerror}); a stage "
                       "logs its run there: make it writable") from None


def check_sqlite_file(db, instead):
    """LabError unless the file ``db`` can be read and is a SQLite database (an empty file is an
    empty one); ``instead``: what moving it away does, in the error line."""
    try:
        with open(db, "rb") as f:
            head = f.read(16)
    except OSError as err:
        raise LabError(f"{db}: cannot read the MLflow store ({err.strerror})") from None
    if head and head != b"SQLite format 3\x00":
        raise LabError(f"{db} is not a SQLite database, so not an MLflow store: move it away "
                       f"{instead} or restore it from a copy")


@contextlib.contextmanager
def first_use_lock(uri):
    """Serialise opening a SQLite store: parallel `dvc queue` workers that create a new
    mlflow.db (its tables) or the same experiment at once fail otherwise ('duplicate column').
    Later writes are safe: MLflow sets a busy timeout on every SQLite session."""
    if not uri.startswith("sqlite:///"):
        yield
        return
    import fcntl

    with open(f"{sqlite_path(uri)}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def prepare(uri):
    """Check the store (``check``) and, for a SQLite file MLflow has not set up yet, create
    its tables under ``first_use_lock``. `make ui` runs this (``python -m rnnlab.tracking.store``)
    before MLflow's UI opens the store: the UI creating the tables of a new mlflow.db while a
    first `make repro`'s stage does breaks one of the two ('table _alembic_tmp_tags already
    exists'); a store that cannot work is one line rather than the UI's traceback."""
    check(uri)
    if not uri.startswith("sqlite:///"):
        return
    relocate(uri)
    with first_use_lock(uri), errors_of(uri):
        from mlflow import MlflowClient

        MlflowClient(tracking_uri=uri).search_experiments(max_results=1)  # MLflow's migrations


# ---- once MLflow talks to it ----

@contextlib.contextmanager
def errors_of(uri):
    """MLflow's and SQLAlchemy's errors while talking to the store, as one line naming it."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as err:
        first = database_cause(err.message)
        if uri.startswith(("http://", "https://")) and "error code 403" in err.message:
            user = os.environ.get("MLFLOW_TRACKING_USERNAME", "")
            raise LabError(f"MLflow tracking server {uri}: permission denied to {user!r} "
                           f"(HTTP 403): {permission_cause(err.message)}") from None
        if uri.startswith(("http://", "https://")) and "API request" in first:
            raise LabError(f"{uri} did not answer as an MLflow tracking server ({first}); "
                           "is it `mlflow server`?") from None
        raise LabError(f"MLflow store {uri}: {first}") from None
    except Exception as err:
        if not type(err).__module__.startswith("sqlalchemy"):
            raise
        cause = database_cause(str(err))
        raise LabError(f"MLflow store {uri}: {cause} (a damaged or read-only mlflow.db? move it "
                       "away for a new store, or restore it from a copy)") from None


def permission_cause(message):
    """What a 403 of MLflow's basic-auth app refers to, in words."""
    endpoint = re.search(r"endpoint (\S+)", message)
    what = endpoint.group(1) if endpoint else "that request"
    return (f"{what} touches an experiment, run or registered model another account created "
            "(each student may change only their own)")


def database_cause(message):
    """The line of an MLflow or SQLAlchemy error message that says what went wrong: the
    database driver's own ('(sqlite3.OperationalError) attempt to write a readonly database'
    -> 'attempt to write a readonly database'), else the first line."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()] or [""]
    for line in lines:
        found = re.match(r"\((?:sqlite3|psycopg2?|pymysql|MySQLdb|pyodbc)[\w.]*\) (.+)", line)
        if found:
            return found.group(1)[:300]
    return lines[0][:300]


FAILURES = ("API request to", "(sqlite3.", "(psycopg", "(pymysql.", "(MySQLdb.",
            "Max retries exceeded", "database is locked")
"""What MLflow's errors say when the store failed (not when MLflow refused a call: a bug)."""


@errors.reads_failures
def failure_line(err):
    """One line for an error of the store met after a stage first reached it (it stopped
    answering, its disk filled up, mlflow.db went read-only); None for any other error."""
    from_mlflow = any(cls.__name__ == "MlflowException" for cls in type(err).__mro__)
    message = str(getattr(err, "message", None) or err)
    if type(err).__module__.startswith("sqlalchemy") or (
            from_mlflow and any(sign in message for sign in FAILURES)):
        return f"MLflow store {tracking_uri()}: {database_cause(message)}"
    return None


if __name__ == "__main__":  # `make ui`, before it starts MLflow's UI on the store
    errors.run(lambda: prepare(tracking_uri()))
