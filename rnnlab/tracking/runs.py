"""The one MLflow run a model's stages share.

The train stage opens it (``new_run``): params, provenance tags (rnnlab/tracking/provenance.py),
a description, and, when the block ends well, the link runs/<model>.json
(rnnlab/tracking/links.py), in the experiment rnnlab/tracking/experiments.py finds, once the runs
that dead processes left RUNNING are closed (rnnlab/tracking/orphans.py). The later stages
that log (a model's track stage, walk-forward, strategy, adding_evaluate) find it from that
link (``same_run``) and add their figures, samples and scores (``log_evaluation``,
``log_metrics``, ...) into it as it is, FINISHED. A run records; nothing here shapes a model,
a metric or a plot.
"""
import contextlib
import math
import os
import time

from rnnlab.core.errors import LabError, on_hard_stop, on_stop_say, stop_line, stopping
from rnnlab.tracking import claims, failures, links, names, notes, store
from rnnlab.tracking.experiments import NOTE, use_experiment
from rnnlab.tracking.orphans import close_orphans, owner_tags
from rnnlab.tracking.provenance import params_hash, provenance_tags, stage_tag

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
            link = links.Link(run.info.run_id, found.name, run.info.run_name, stage=stage)
            yield link
            links.write(link_file, link)
    say_where(run)


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


# ---- the later stages (track, walk-forward, strategy, adding_evaluate): the same run ----

_LATER = []
"""The run a later stage (``same_run``) logs into: the helpers below write into it, else into
MLflow's active run (the train stage's)."""


@contextlib.contextmanager
def same_run(link_file, stage):
    """The run that a train stage linked in ``link_file`` (which names that stage), for this
    stage to log into (``log_evaluation``, ``log_metrics``, ``log_text``, ``log_as``); yield it
    (as MLflow read it).

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
    retrain = f"dvc repro --force --downstream {link.stage}" if link.stage else "dvc repro --force"
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
        failures.record(client, link.run_id, link_file, stage, err)

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


def log_evaluation(run, link_file, metrics, figure, result, meaning, baselines=()):
    """What an evaluation adds to the train stage's ``run`` (a track stage's, adding_evaluate's):
    ``metrics`` ({name: value}), the trained model's own scores, linked to each model the train
    stage logged (their ids are in ``link_file``) so that a logged model's page shows them;
    ``baselines`` ({name: value}), what the model is measured against (the baselines' scores,
    the data's), into the run only; ``figure``, a (path, artifact name) pair; and the run's
    description, its ``result`` in a line and what the metrics mean (``meaning``)."""
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
    seconds, and its run is KILLED anyway. rnnlab/nets/progress.py (the train stages' Keras
    callback) is given one; so does the load benchmark, to log as the stages do."""

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
