"""The one MLflow run a model's stages share.

The train stage opens it (``new_run``): params, provenance tags, a description, and, when
the block ends well, the link runs/<model>.json (rnnlab/tracking/links.py). The later stages (evaluate,
generate, walk-forward, strategy) find it from that link (``same_run``) and add their figures,
samples and scores (``log_evaluation``, ``log_metrics``, ...) into it as it is, FINISHED. A run
records; nothing here shapes a model, a metric or a plot.
"""
import contextlib
import hashlib
import json
import math
import os
import socket
import subprocess
import sys
import time

from rnnlab.core.errors import LabError, on_hard_stop, on_stop_say, stop_line, stopping
from rnnlab.core.lifeline import process_alive, started
from rnnlab.tracking import claims, failures, links, names, notes, store

NOTE = "mlflow.note.content"  # the description the UI shows for an experiment or a run
KIND = {"mlflow.experimentKind": "custom_model_development"}
"""The experiment's kind as MLflow 3's UI labels it ('Machine learning'). In MLflow 3.17 it does
not choose the page the UI opens on: the browser's 'GenAI' / 'Model training' switch does, which
`make ui`'s address sets (?workflowType=machine_learning)."""


VIEW = "lab"
"""The key of the runs-table view each experiment carries: MLflow's UI reads a view (its
columns) from the experiment tag 'mlflow.sharedViewState.<key>' when the address asks for
'?viewStateShareKey=<key>', as its own "Share" button makes it."""


def view_address(experiment_id):
    """The UI's address (after the server's) of an experiment's runs, with the lab's view."""
    return f"#/experiments/{experiment_id}/runs?viewStateShareKey={VIEW}&workflowType=machine_learning"


def use_experiment(name, note=None, view=None):
    """Point MLflow at the store and find experiment ``name``, creating it if needed, tagged so
    that the UI opens on its runs, with ``note`` as its description if given; the experiment.
    ``view``: the columns (``metrics.`name```, ``params.`name```) of the runs table that the
    description links to, the headline metrics beside the params that tell runs apart
    (MLflow's table shows none by default). One request when nothing changes: the experiment
    is not made MLflow's active one (``mlflow.set_experiment`` would look it up again), its
    id goes to ``mlflow.start_run``."""
    from mlflow import MlflowClient

    uri = store.connect()
    with store.first_use_lock(uri), store.errors_of(uri):
        client = MlflowClient()  # a new SQLite store gets its tables here: under the lock
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            experiment = client.get_experiment(client.create_experiment(
                name, artifact_location=store.artifact_location(uri, name),
                tags={**KIND, **claims.tags_of({})}))
        if experiment.lifecycle_stage == "deleted":
            raise LabError(f"the MLflow experiment '{name}' of {uri} is deleted (in the UI's "
                           "trash): restore it there, or remove it for good with `mlflow gc`")
        tags = {**KIND, **claims.tags_of({})}  # on a class's server, the account that made it
        if note:
            tags[NOTE] = note
        if view:
            tags[f"mlflow.sharedViewState.{VIEW}"] = json.dumps({"selectedColumns": view})
            tags[NOTE] = (f"{note or ''}\n\n[The runs with their headline metrics as columns]"
                          f"({view_address(experiment.experiment_id)})").lstrip()
        for key, value in tags.items():
            if experiment.tags.get(key) != value:  # new, or made by an older lab
                claims.tag_own(client.set_experiment_tag, "experiment", experiment,
                         experiment.experiment_id, key, value)
        return experiment


# ---- the train stage: a new run ----

@contextlib.contextmanager
def new_run(experiment, model, stage, link_file, params, notes=None, view=None, tags=None,
            example=None, registers=(), formulation=None):
    """Open a new run for a train stage and log its ``params``; yield its ``links.Link``, whose
    ``models`` the block fills with the ids of the models it logs; write the link to
    ``link_file`` when the block ends well. The run is named after the DVC experiment (or the
    short commit) and the model, e.g. ``dusty-drum-many_to_one``. ``notes``: (the
    experiment's description, the run's); ``view``: the experiment's runs-table columns
    (``use_experiment``); ``tags``: more tags of the run. ``example`` ('sine', 'stock',
    'text', 'adding'), ``formulation`` (what the model makes of its data, in a few words) and
    the registered models the stage ``registers``: refused, before anything is trained, if
    another example's runs or another model's versions already have these names (``claim``).

    A failure inside the block marks the run FAILED (MLflow's context manager does that), an
    interrupt KILLED, even one the main thread cannot answer in time (rnnlab/core/errors.py:
    ``on_hard_stop``). Runs that processes of this machine left RUNNING are closed first
    (``close_orphans``)."""
    import mlflow

    experiment_note, run_note = notes or (None, None)
    # 'alice-msft' on a class's server
    found = use_experiment(names.owned(experiment), experiment_note, view)
    maker = {claims.EXAMPLE: example, claims.MODEL: model, claims.FORMULATION: formulation}
    if example:
        claims.claim(found, maker, registers)
    close_orphans()
    tags = {**(tags or {}), **provenance_tags(stage), "params.hash": params_hash(params),
            claims.MODEL: model, **({claims.FORMULATION: formulation} if formulation else {}),
            **owner_tags(), **({NOTE: run_note} if run_note else {})}
    prefix = os.environ.get("DVC_EXP_NAME") or tags.get("git.commit", "")[:7]
    with mlflow.start_run(experiment_id=found.experiment_id, tags=tags,
                          run_name=f"{prefix}-{model}" if prefix else model) as run:
        with _killed_on_interrupt(), on_hard_stop(_ender(run.info.run_id)), \
                on_stop_say("; its MLflow run is KILLED"):
            mlflow.log_params(params)
            link = links.Link(run.info.run_id, found.name, run.info.run_name)
            yield link
            links.write(link_file, link)
    say_where(run)


def params_hash(params):
    """A short, stable fingerprint of a params dict: equal hashes, equal training params."""
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]


PIPELINE_OUTPUTS = ("dvc.lock", "metrics", "plots", "reports", "runs")


def provenance_tags(stage):
    """Tags that lead from an MLflow run back to the code and the DVC experiment."""
    tags = {stage_tag(stage): stage}
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


def stage_tag(stage):
    """'series_evaluate@sine' -> 'dvc.stage.series_evaluate': the tag naming the stage of
    that family which last wrote into the run."""
    return f"dvc.stage.{stage.split('@')[0]}"


def _git(*args):
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                             check=True).stdout
        return out.strip()
    except (OSError, subprocess.SubprocessError):
        return None


@contextlib.contextmanager
def _killed_on_interrupt():
    """End the active run KILLED on Ctrl-C or SIGTERM (MLflow would say FAILED), then re-raise."""
    import mlflow

    try:
        yield
    except BaseException as err:
        if isinstance(err, KeyboardInterrupt) or stopping():  # (errors.stopping)
            mlflow.end_run(status="KILLED")
        raise


def _ender(run_id, tag=None):
    """What ends run ``run_id`` KILLED from another thread than the stage's (MLflow's active
    run is the main thread's), tagging it ``tag`` with the line that stopped it if given: the
    undoing ``errors.on_hard_stop`` calls."""
    def end(interrupt):
        from mlflow import MlflowClient

        client = MlflowClient(store.tracking_uri())
        if tag:
            client.set_tag(run_id, tag, stop_line(interrupt))
        client.set_terminated(run_id, status="KILLED")
    return end


# ---- runs left RUNNING ----

OWNER_TAGS = ("lab.host", "lab.pid", "lab.pid_started")
"""The process that last opened a run: its machine, pid and start time (a pid that a new process
got later is not that process)."""


def owner_tags():
    """This process as the one that holds a run open (``OWNER_TAGS``)."""
    return dict(zip(OWNER_TAGS, (socket.gethostname(), str(os.getpid()), f"{started():.2f}")))


def close_orphans():
    """Mark KILLED every run of the store, in any experiment, that is RUNNING although the
    process of this machine that opened it is gone (killed with SIGKILL, out of memory, a
    power cut, or a stage whose run DVC then restored from its run-cache, so that it never ran
    again to close it); say so in one line each. Called by every stage that opens a run, and
    by the params check `make repro` starts with. A missing SQLite store has nothing to close:
    none is created.

    One search across all experiments; on a class's server (MLFLOW_TRACKING_USERNAME set: an
    account), across the account's own ('alice-...'), the only runs it may change: the same
    two requests, where listing the whole class's experiments (each checked against the
    account's permissions) and their runs made this the costliest call of a stage
    (benchmarks/server_load.py). A run found is read again before it is marked: its process
    may have ended it in between."""
    uri = store.tracking_uri()
    if uri.startswith("sqlite:") and (not os.path.exists(store.sqlite_path(uri))
                                      or _none_running(store.sqlite_path(uri))):
        return
    import mlflow

    running = f"attributes.status = 'RUNNING' and tags.`lab.host` = '{socket.gethostname()}'"
    with store.errors_of(store.connect()):
        owner = os.environ.get(names.OWNER, "").strip()
        if owner:
            prefix = names.owned("")  # 'alice-': its own experiments ('_' in LIKE is any one)
            mine = [e.experiment_id for e in mlflow.search_experiments(
                filter_string=f"name LIKE '{prefix}%'") if e.name.startswith(prefix)]
            found = mlflow.search_runs(experiment_ids=mine, filter_string=running,
                                       output_format="list") if mine else []
        else:
            found = mlflow.search_runs(search_all_experiments=True, filter_string=running,
                                       output_format="list")
        for orphan in found:
            tags = orphan.data.tags
            pid, since = int(tags.get("lab.pid") or 0), tags.get("lab.pid_started")
            if pid and process_alive(pid, float(since) if since else None):
                continue
            if mlflow.get_run(orphan.info.run_id).info.status != "RUNNING":
                continue  # ended by its process since the search
            mlflow.MlflowClient().set_terminated(orphan.info.run_id, status="KILLED")
            print(f"MLflow run {orphan.info.run_id} ({orphan.info.run_name}) was left RUNNING by "
                  f"process {pid}, which no longer exists: marked KILLED", file=sys.stderr)


def _none_running(db):
    """Whether SQLite store ``db`` has no RUNNING run at all, read in its ``runs`` table
    (MLflow's schema): milliseconds, where MLflow's own search costs its import and its store's
    setup (~5 s on the lab's machine), too much for the params check that every `make repro`
    starts with. False if the table cannot be read: MLflow's search then says why."""
    import sqlite3
    from pathlib import Path

    try:
        with contextlib.closing(sqlite3.connect(f"{Path(db).resolve().as_uri()}?mode=ro",
                                                uri=True, timeout=10)) as con:
            found = con.execute("SELECT 1 FROM runs WHERE status = 'RUNNING' LIMIT 1").fetchone()
        return found is None
    except sqlite3.Error:
        return False


# ---- the evaluate and generate stages: the same run ----

_LATER = []
"""The run a later stage (``same_run``) logs into: the helpers below write into it, else into
MLflow's active run (the train stage's)."""


@contextlib.contextmanager
def same_run(link_file, stage, train=None):
    """The run that the train stage (``train``; by default the one ``train_stage`` names)
    linked in ``link_file``, for this stage to log into (``log_evaluation``, ``log_metrics``,
    ``log_text``, ``log_as``); yield it (as MLflow read it).

    The run is not reopened, and nothing this stage does changes its status (FINISHED) or its
    duration (the training's): a later stage that fails, or that Ctrl-C or SIGTERM stop, does
    not make a good trained model look FAILED or KILLED, and nothing is ever left RUNNING by
    it. It tags the run ``lab.failure.<stage>`` with when and why instead (rnnlab/tracking/failures.py,
    which also takes the tag back once the stage's outputs are in place); if the store itself
    fails while this is recorded, the stage's own error is the one raised. Not reopening saves
    a class server three requests a stage (MLflow's start_run reads the run, sets it RUNNING
    and reads it again), each reading the whole run for the accounts' check."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    link = links.read(link_file)
    uri = store.connect()
    retrain = f"dvc repro --force --downstream {train or train_stage(stage)}"
    with store.first_use_lock(uri), store.errors_of(uri):
        client = MlflowClient()  # a new SQLite store gets its tables here: under the lock
        try:
            run = client.get_run(link.run_id)
        except MlflowException as err:
            if err.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            raise LabError(f"MLflow run {link.run_id} named in {link_file} is not in {uri} (a new "
                           f"store, or another MLFLOW_TRACKING_URI?); retrain to make a new one: "
                           f"{retrain}") from None
        if run.info.lifecycle_stage == "deleted":
            raise LabError(f"MLflow run {link.run_id} named in {link_file} is deleted (in the UI's "
                           f"trash): restore it there, or retrain to make a new one: {retrain}")
        client.set_tag(link.run_id, stage_tag(stage), stage)

    def failed(err):
        failures.record(MlflowClient(uri), link.run_id, link_file, stage, err)

    _LATER.append(link.run_id)
    try:
        with on_hard_stop(failed), on_stop_say(  # a signal the main thread could not answer
                f"; the trained model's MLflow run stays {run.info.status}, tagged "
                f"{failures.tag(stage)}"):
            yield run
        with store.errors_of(uri):
            failures.clear(client, run, stage)
    except BaseException as err:
        failed(err)
        raise
    finally:
        _LATER.remove(link.run_id)
    say_where(run)


def _into():
    """The id of the run the helpers log into: a later stage's (``same_run``), else the
    active run."""
    import mlflow

    return _LATER[-1] if _LATER else mlflow.active_run().info.run_id


def say_where(run):
    """The run's and its experiment's pages on a tracking server, as MLflow itself prints them
    when a run ends ('🏃 View run ...'), which it does after one more request for the whole run
    (the lab turns that off: MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT, rnnlab/__init__.py)."""
    uri = store.tracking_uri()
    if uri.startswith(("http://", "https://")):
        experiment = f"{uri.rstrip('/')}/#/experiments/{run.info.experiment_id}"
        print(f"🏃 View run {run.info.run_name} at: {experiment}/runs/{run.info.run_id}\n"
              f"🧪 View experiment at: {experiment}")


def train_stage(stage):
    """'text_generate@many_to_one' -> 'text_train@many_to_one';
    'series_evaluate@stock' -> 'series_train@stock'."""
    name, _, item = stage.partition("@")
    train = name.rsplit("_", 1)[0] + "_train"
    return f"{train}@{item}" if item else train


def log_evaluation(run, link_file, metrics, figure, result, meaning, baselines=()):
    """What an evaluate stage adds to the train stage's ``run``: ``metrics`` ({name: value}), the
    trained model's own scores, linked to each model the train stage logged (their ids are in
    ``link_file``) so that a logged model's page shows them; ``baselines`` ({name: value}), what
    the model is measured against (the baselines' scores, the data's), into the run only;
    ``figure``, a (path, artifact name) pair; and the run's description, its ``result`` in a line
    and what the metrics mean (``meaning``)."""
    import mlflow

    # One request (log_batch) for all, not mlflow.log_metrics once a model
    mlflow.MlflowClient().log_batch(run.info.run_id, metrics=evaluation_points(
        list(links.read(link_file).models.values()), metrics, baselines))
    log_as(*figure)
    mlflow.MlflowClient().set_tag(run.info.run_id, NOTE, notes.with_result(
        run.data.tags.get(NOTE, ""), result, meaning))


def evaluation_points(models, metrics, baselines=()):
    """The metric points of an evaluation (log_evaluation's): ``metrics`` linked to each of
    ``models`` (logged model ids; none: the run's only), ``baselines`` once, the run's only."""
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    # Each model's points carry a millisecond of their own, as separate calls did, since MLflow
    # keys a run's metric points without the model's id (the same point twice would be one,
    # after a failed insert). The baselines once: a class's server writes each point of a
    # model's metric twice (the run's and the model's), and the evaluation's batch was the
    # costliest request of a class's repro.
    return [*(Metric(key, value, now + i, 0, model_id=model_id)
              for i, model_id in enumerate(models or [None]) for key, value in metrics.items()),
            *(Metric(key, value, now, 0) for key, value in dict(baselines).items())]


def log_as(path, artifact_file):
    """Log the file ``path`` as ``artifact_file`` ('figures/history.png'): the same name in
    every run of a kind, so that the UI's Compare lines two runs' files up."""
    import shutil
    import tempfile

    import mlflow

    folder, name = os.path.split(artifact_file)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(path, os.path.join(tmp, name))
        mlflow.MlflowClient().log_artifact(_into(), os.path.join(tmp, name), folder or None)


def log_metrics(metrics):
    """Log ``metrics`` ({name: value}) into the run (``same_run``'s, else the active one)."""
    import mlflow
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    mlflow.MlflowClient().log_batch(_into(), metrics=[Metric(key, value, now, 0)
                                                      for key, value in metrics.items()])


SEND_EVERY = 10.0
"""Seconds between two sends of a training's per-epoch metrics (``EpochMetrics``): MLflow's UI
refreshes an experiment's runs every 30 s, so that sending more often shows nobody anything
sooner."""


class EpochMetrics:
    """A training's per-epoch metrics on their way to the active run: each epoch with its own
    step and time, sent at most ``SEND_EVERY`` seconds after it ended, with whatever else ended
    meanwhile, in one synchronous request (MLflow's log_batch); the first epoch and the last
    are sent at once. One request an epoch was ~21 a second for the sine (its 100 epochs take
    under 5 s), and log_batch is one of the costliest requests of a class server with accounts
    (its permission check reads the whole run): at one request a second, thirty students'
    log_batch requests, most of them the epochs', took a quarter of the server's CPU
    (benchmarks/server_load.py, docs/team.md).

    Not MLflow's ``synchronous=False``: its background thread only logs a failure, and writes
    on into a run the stage has already ended. Here a store that fails still fails the stage
    at the first epoch; an interrupted training loses the points of its last ``SEND_EVERY``
    seconds, and its run is KILLED anyway. rnnlab/tracking/progress.py (the train stages' Keras
    callback) uses this; so does the load benchmark, to log as the stages do."""

    def __init__(self):
        self.waiting, self.sent = [], -math.inf

    def add(self, step, values):
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.waiting += [Metric(key, value, now, step) for key, value in values.items()]

    def due(self, last=False):
        """Whether to send now: the first epoch, the last, or ``SEND_EVERY`` since a send."""
        return bool(self.waiting) and (last or time.monotonic() - self.sent >= SEND_EVERY)

    def send(self):
        import mlflow

        if self.waiting:
            mlflow.MlflowClient().log_batch(mlflow.active_run().info.run_id, metrics=self.waiting)
            self.waiting = []
        self.sent = time.monotonic()


def log_text(text, artifact_file):
    """Log ``text`` as the file ``artifact_file`` of the run (``same_run``'s, else the active
    one)."""
    import mlflow

    mlflow.MlflowClient().log_text(_into(), text, artifact_file)


def flatten(tree, prefix, keep=None):
    """('eval', {'a': {'b': 1}}) -> ('eval_a_b', 1): MLflow's flat metric names; ``keep``, if
    given, chooses the leaves by their path (('a', 'b'))."""
    def walk(node, name, path):
        for key, value in node.items():
            if isinstance(value, dict):
                yield from walk(value, f"{name}_{key}", (*path, key))
            elif keep is None or keep((*path, key)):
                yield f"{name}_{key}", value
    return walk(tree, prefix, ())
