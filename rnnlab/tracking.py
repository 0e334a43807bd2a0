"""MLflow helpers: where the store is, and the one run that a model's stages share.

The train stage opens a run and writes its id into a DVC output (``runs/<model>.json``);
the evaluate and generate stages reopen that same run, so one MLflow run holds a model's
params, per-epoch history, evaluation metrics, samples and the model itself.
"""
import contextlib
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request

from rnnlab.errors import LabError, first_line, signal_name
from rnnlab.outputs import read_json, reading, write_json


def experiment_name(path, default):
    """An MLflow experiment named after a data file: its name without the extension, in lower
    case, other characters than letters and digits as '-' ('data/msft.csv' -> 'msft',
    'data/Moby Dick.txt' -> 'moby-dick'); ``default`` if nothing is left."""
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-") or default


def project_root():
    """The main repository: DVC sets DVC_ROOT for every stage, and keeps it pointing at the
    main repo when ``dvc exp run --temp/--queue`` runs the stage in a temporary copy."""
    return os.path.abspath(os.environ.get("DVC_ROOT") or os.getcwd())


def tracking_uri():
    """``MLFLOW_TRACKING_URI`` when set (a team's tracking server), else the SQLite file
    ``mlflow.db`` at the project root (what ``make ui`` opens)."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{project_root()}/mlflow.db"


def _check_reachable(uri, timeout=10):
    if not uri.startswith(("http://", "https://")):
        return
    try:
        urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout).close()
    except urllib.error.HTTPError as err:
        if err.code in (401, 403):
            raise LabError(f"MLflow tracking server {uri} refused the request (HTTP {err.code}: "
                           "credentials, or the server's --allowed-hosts)") from None
        return  # it answered: reachable
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise LabError(f"MLflow tracking server {uri} is unreachable ({reason}); "
                       "start it or unset MLFLOW_TRACKING_URI") from None


SCHEMES = ("sqlite", "http", "https", "postgresql", "mysql", "mssql", "databricks")
"""Tracking URIs a stage accepts: MLflow's database and server stores (its file store,
./mlruns, is read-only in maintenance mode)."""


def _sqlite_path(uri):
    """'sqlite:////work/lab/mlflow.db?timeout=5' -> '/work/lab/mlflow.db'."""
    return uri.removeprefix("sqlite:///").split("?", 1)[0]


def _check_store(uri):
    """One line for a store that cannot work, before MLflow tries it (and perhaps retries it
    for minutes): an unknown scheme, a server that does not answer, a SQLite path that is not
    a SQLite database file."""
    scheme = uri.split(":", 1)[0].split("+", 1)[0] if ":" in uri else ""
    if scheme not in SCHEMES:
        raise LabError(f"MLFLOW_TRACKING_URI={uri}: not a tracking store a stage can use "
                       f"(schemes: {', '.join(SCHEMES)}); unset it for the project's mlflow.db")
    _check_reachable(uri)
    if scheme == "sqlite":
        db = _sqlite_path(uri)
        if not os.path.isdir(os.path.dirname(os.path.abspath(db))):
            raise LabError(f"{uri}: the folder of {db} does not exist")
        if os.path.lexists(db):
            try:
                with open(db, "rb") as f:
                    head = f.read(16)
            except OSError as err:
                raise LabError(f"{db}: cannot read the MLflow store ({err.strerror})") from None
            if head and head != b"SQLite format 3\x00":
                raise LabError(f"{db} is not a SQLite database, so not an MLflow store: move it "
                               "away (the next stage starts a new store) or restore it from a copy")
            try:
                open(db, "r+b").close()  # a stage writes to it (os.access would trust root)
            except OSError as err:
                raise LabError(f"{db}: the MLflow store is read-only ({err.strerror}); a stage "
                               "logs its run there: make it writable") from None


@contextlib.contextmanager
def store_errors(uri):
    """MLflow's and SQLAlchemy's errors while talking to the store, as one line naming it."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as err:
        first = database_cause(err.message)
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


NOTE = "mlflow.note.content"  # the description the UI shows for an experiment or a run
KIND = {"mlflow.experimentKind": "custom_model_development"}
"""The experiment's kind as MLflow 3's UI labels it ('Machine learning'). In MLflow 3.17 it does
not choose the page the UI opens on: the browser's 'GenAI' / 'Model training' switch does, which
`make ui`'s address sets (?workflowType=machine_learning)."""


def use_experiment(name, note=None):
    """Point MLflow at the store and at experiment ``name``, creating it if needed, tagged so
    that the UI opens on its runs, with ``note`` as its description if given.

    With the default SQLite store, artifacts go to ``mlartifacts/`` at the project root
    (not the working copy, which for a queued DVC experiment is a temporary folder)."""
    import mlflow

    uri = tracking_uri()
    _check_store(uri)
    mlflow.set_tracking_uri(uri)
    with _first_use_lock(uri), store_errors(uri):
        if mlflow.get_experiment_by_name(name) is None:
            location = None
            if uri.startswith("sqlite:"):
                location = f"file://{project_root()}/mlartifacts/{name}"
            mlflow.create_experiment(name, artifact_location=location,
                                     tags={**KIND, **({NOTE: note} if note else {})})
        experiment = mlflow.set_experiment(name)
        if note and (experiment.tags.get(NOTE) != note or KIND.items() - experiment.tags.items()):
            mlflow.set_experiment_tags({**KIND, NOTE: note})  # a store from before these tags
        return experiment


@contextlib.contextmanager
def _first_use_lock(uri):
    """Serialise opening a SQLite store: parallel `dvc queue` workers that create a new
    mlflow.db (its tables) or the same experiment at once fail otherwise ('duplicate column').
    Later writes are safe: MLflow sets a busy timeout on every SQLite session."""
    if not uri.startswith("sqlite:///"):
        yield
        return
    import fcntl

    with open(f"{_sqlite_path(uri)}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


PIPELINE_OUTPUTS = ("dvc.lock", "metrics", "plots", "reports", "runs")


def _git(*args):
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                             check=True).stdout
        return out.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def params_hash(params):
    """A short, stable fingerprint of a params dict: equal hashes, equal training params."""
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]


def provenance_tags(stage):
    """Tags that lead from an MLflow run back to the code and the DVC experiment."""
    tags = {f"dvc.stage.{stage.split('@')[0]}": stage}
    commit = _git("rev-parse", "HEAD")
    if commit:
        tags["git.commit"] = commit
        # Dirty: uncommitted changes to anything but what the pipeline itself writes.
        changes = _git("status", "--porcelain", "--untracked-files=no", "--", ".",
                       *(f":!{out}" for out in PIPELINE_OUTPUTS))
        tags["git.dirty"] = str(bool(changes))
    # Under `dvc exp run` DVC names the experiment and its baseline; a plain `dvc repro`
    # works in the workspace, on top of HEAD.
    tags["dvc.exp_name"] = os.environ.get("DVC_EXP_NAME") or "workspace"
    baseline = os.environ.get("DVC_EXP_BASELINE_REV") or commit
    if baseline:
        tags["dvc.baseline_rev"] = baseline
    return tags


@contextlib.contextmanager
def new_run(experiment, model, stage, run_file, params, notes=None, record=None):
    """Open a new run for a train stage, log its ``params``, and write the run's id to
    ``run_file`` (with ``record``, which the block may fill: the ids of the models it logs).
    The run is named after the DVC experiment (or the short commit) and the model, e.g.
    ``dusty-drum-many_to_one``. ``notes``: (the experiment's description, the run's).

    A failure inside the block marks the run FAILED (MLflow's context manager does that), an
    interrupt KILLED. Runs of the same stage that a process of this machine left RUNNING and
    that no longer exists (killed with SIGKILL, out of memory, a power cut) are marked KILLED
    first."""
    import mlflow

    experiment_note, run_note = notes or (None, None)
    use_experiment(experiment, experiment_note)
    mark_orphans_killed(stage)
    tags = {**provenance_tags(stage), "params.hash": params_hash(params),
            "lab.host": socket.gethostname(), "lab.pid": str(os.getpid()),
            **({NOTE: run_note} if run_note else {})}
    prefix = os.environ.get("DVC_EXP_NAME") or tags.get("git.commit", "")[:7]
    with mlflow.start_run(run_name=f"{prefix}-{model}" if prefix else model, tags=tags) as run:
        with _killed_on_interrupt():
            mlflow.log_params(params)
            yield run
            write_json(run_file, {"run_id": run.info.run_id,
                                  "experiment_name": experiment,
                                  "run_name": run.info.run_name, **(record or {})})


@contextlib.contextmanager
def _killed_on_interrupt():
    """End the active run KILLED on Ctrl-C or SIGTERM (MLflow would say FAILED), then re-raise."""
    import mlflow

    try:
        yield
    except KeyboardInterrupt:
        mlflow.end_run(status="KILLED")
        raise


def mark_orphans_killed(stage):
    """Mark KILLED the runs of ``stage`` in the current experiment that are RUNNING although the
    process that opened them, on this machine, is gone; say so in one line."""
    import mlflow

    stage_tag = f"dvc.stage.{stage.split('@')[0]}"
    host = socket.gethostname()
    found = mlflow.search_runs(filter_string=f"attributes.status = 'RUNNING' and "
                                             f"tags.`{stage_tag}` = '{stage}' and "
                                             f"tags.`lab.host` = '{host}'",
                               output_format="list")
    for orphan in found:
        pid = int(orphan.data.tags.get("lab.pid", "0") or 0)
        if pid and _alive(pid):
            continue
        mlflow.tracking.MlflowClient().set_terminated(orphan.info.run_id, status="KILLED")
        print(f"{stage}: MLflow run {orphan.info.run_id} was left RUNNING by process {pid}, "
              "which no longer exists: marked KILLED", file=sys.stderr)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def failure_tag(stage):
    """The tag a later stage (evaluate, generate) that failed leaves on the training run, its
    value the error line: 'lab.failure.series_evaluate/sine' (a tag key has no '@')."""
    return f"lab.failure.{stage.replace('@', '/')}"


@contextlib.contextmanager
def same_run(run_file, stage):
    """Reopen the run that the train stage wrote to ``run_file``.

    The run keeps its status (FINISHED) whether this stage succeeds or fails: a later stage
    that fails must not make a good trained model look FAILED. Instead it tags the run
    ``lab.failure.<stage>`` with its one-line error; the stage's next success removes the tag.
    Ctrl-C or SIGTERM end the run KILLED, tagged the same way. If the store itself fails while
    this is recorded, the stage's own error is the one raised."""
    import mlflow

    from mlflow.exceptions import MlflowException

    info = read_json(run_file)
    with reading(run_file):
        run_id, experiment = str(info["run_id"]), str(info["experiment_name"])
    use_experiment(experiment)
    uri = tracking_uri()
    with store_errors(uri):
        try:
            before = mlflow.get_run(run_id)
        except MlflowException as err:
            if err.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            raise LabError(f"MLflow run {run_id} named in {run_file} is not in {uri} (a new "
                           f"store, or another MLFLOW_TRACKING_URI?); retrain to make a new one: "
                           f"dvc repro --force --downstream {_train_stage(stage)}") from None
        run = mlflow.start_run(run_id=run_id)
    status, tag = "FINISHED", failure_tag(stage)
    try:
        mlflow.set_tag(f"dvc.stage.{stage.split('@')[0]}", stage)
        yield run
        if tag in before.data.tags:
            mlflow.tracking.MlflowClient().delete_tag(run_id, tag)
    except BaseException as err:
        if isinstance(err, KeyboardInterrupt):
            status = "KILLED"
        with contextlib.suppress(Exception):  # the store may be what failed
            mlflow.set_tag(tag, _one_line(err)[:500])
        raise
    finally:
        with contextlib.suppress(Exception):
            mlflow.end_run(status=status)


def _one_line(err):
    if isinstance(err, KeyboardInterrupt):
        return f"interrupted ({signal_name(err)})"
    first = first_line(err, default="")
    return first if isinstance(err, LabError) else f"{type(err).__name__}: {first}"


def describe(note):
    """The active run's description (its note in the UI)."""
    import mlflow

    mlflow.set_tag(NOTE, note)


def note_of(run):
    return run.data.tags.get(NOTE, "")


def log_evaluation(metrics, run_file):
    """Log evaluation ``metrics`` into the active run, linked to each model the train stage
    logged (their ids are in ``run_file``), so that a logged model's page shows them."""
    import mlflow

    models = read_json(run_file).get("models") or {}
    for model_id in models.values():
        mlflow.log_metrics(metrics, model_id=model_id)
    if not models:
        mlflow.log_metrics(metrics)


def describe_registered(name, version, model_note, version_note):
    """Descriptions for registered model ``name`` and its ``version``."""
    from mlflow import MlflowClient

    client = MlflowClient()
    client.update_registered_model(name, description=model_note)
    client.update_model_version(name, version, description=version_note)


def log_as(path, artifact_file):
    """Log the file ``path`` as ``artifact_file`` ('figures/history.png'): the same name in
    every run of a kind, so that the UI's Compare lines two runs' files up."""
    import shutil
    import tempfile

    import mlflow

    folder, name = os.path.split(artifact_file)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(path, os.path.join(tmp, name))
        mlflow.log_artifact(os.path.join(tmp, name), folder or None)


def _train_stage(stage):
    """'text_generate@many_to_one' -> 'text_train@many_to_one';
    'series_evaluate@stock' -> 'series_train@stock'."""
    name, _, item = stage.partition("@")
    train = name.rsplit("_", 1)[0] + "_train"
    return f"{train}@{item}" if item else train


def log_pyfunc(requirements=(), **kwargs):
    """``mlflow.pyfunc.log_model`` of a served model (rnnlab/generator.py, forecaster.py): the
    ``rnnlab`` package as its code, pinned requirements (plus ``requirements``), without
    MLflow's info lines as it runs the model on its input example to check the signature."""
    import logging

    import mlflow

    # "Validating input example against model signature", "Running the predict function ..."
    loggers = [logging.getLogger(name) for name in ("mlflow.pyfunc", "mlflow.models")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        return mlflow.pyfunc.log_model(code_paths=["rnnlab"],
                                       pip_requirements=pyfunc_requirements(*requirements),
                                       **kwargs)
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def pip_requirements(*extra):
    """What a logged Keras model needs to load, and the ``extra`` packages it needs to run:
    pinned, so MLflow need not infer them (~7 s)."""
    return _pinned("keras", "tensorflow-cpu", "numpy", *extra)


def pyfunc_requirements(*extra):
    """What a served pyfunc model (generator, forecaster) needs: it runs the saved weights in
    NumPy (rnnlab/inference.py, h5py reads them), so no TensorFlow and no Keras."""
    return _pinned("mlflow", "numpy", "h5py", *extra)


def _pinned(*packages):
    from importlib.metadata import version

    return [f"{pkg}=={version(pkg)}" for pkg in packages]
