"""Benchmark: a class's load, measured (prints figures side by side, asserts nothing).

N simulated students (--students, default 30), each a separate process, start at the same moment
and log what one student's `make repro` logs into MLflow, when it logs it, against:

  postgres  the class server as `make server` starts it (classroom/server.py: PostgreSQL, and
            `mlflow server --app-name basic-auth` with proxied artifacts), one account per
            student made with `python -m classroom.server accounts`;
  sqlite    the same `mlflow server` (same --workers, --artifacts-destination) on a SQLite
            backend store (sqlite:///.../mlflow.db), no accounts;
  restart   a new class server, whose PostgreSQL is restarted during the load with
            `pg_ctl restart -m fast` (as PostgreSQL's user when this runs as root), --restart-at
            seconds after the start (by default a third of the postgres part's wall time, else
            of --budget): what the clients saw, and what was lost;
  uncached  (not run by default: --only postgres,uncached) a what-if, the class server with
            `auth_cache_ttl_seconds = 0` in its auth.ini (MLflow's default: no cache of checked
            passwords; classroom/server.py sets 60 s because of what this part shows): the
            mlflow server restarted on it with classroom.server's own start_mlflow.

Every server is started by the benchmark on free ports of 127.0.0.1, in a folder made with
tempfile.mkdtemp (mode 0755: PostgreSQL runs as its own user when this runs as root), and
stopped at the end whatever happens (`classroom stop`, or SIGTERM to the server's process
group); the folder is removed unless --keep.

What one student logs: the MLflow calls of the stages, in their order, with synthetic content
of the real sizes (no TensorFlow, no training): 8 runs, one per model (sine, stock,
stock_tutorial, many_to_one, many_to_many, and the adding problem's simple_rnn, gru and lstm
cells at T = 100), in the experiments the lab names '<user>-sine', '<user>-msft',
'<user>-sixpence' and '<user>-adding-problem'. First the 8 train stages, then the evaluate
(and, for the text models, generate; for the stock model, walk-forward and strategy) stages,
as DVC orders them. Where the stages call the lab's own functions, so does this: the lab's
requests are the ones the server gets. Every stage begins with rnnlab.tracking.store.check (one
experiments/search, over urllib: once per stage, which is a process). A train stage:
rnnlab/tracking/runs.py's use_experiment (get_experiment_by_name; create_experiment and its tags the
first time), rnnlab/tracking/claims.py's claim (get_registered_model of its registered name, and the
first time create_registered_model with its tags; the experiment's tag the first time),
close_orphans (a search of the account's RUNNING runs), start_run with the
lab's tags (a ~1 KB description among them), log_params (12 to 16), the epochs' metrics (loss,
and val_loss or accuracy where the model has them; the defaults' epochs: sine 100, stock 27
(early stop), stock_tutorial 41, the text models 100 each, the adding cells 30, 5 and 13) sent
as the stages send them, by rnnlab/tracking/runs.py's EpochMetrics (one log_batch request for the
epochs of each ten seconds, the first and the last epoch at once), the adding cells'
train_seconds and gradient ratios, log_text of the model summary (and vocab.json for the text
models), the Keras model (a pyfunc model with one weights file of the .keras file's size: no
TensorFlow here) and, for the series and text models, the served model: mlflow.pyfunc.log_model
of a tiny python_model defined here, with the lab's code (the modules of rnnlab that
rnnlab/serving/forecaster.py or generator.py imports, as rnnlab/tracking/registry.py's served_code gives them to
code_paths), a weights file, a signature, an input example, pinned pip_requirements,
registered as '<user>-sine-forecaster', '<user>-msft-forecaster',
'<user>-msft-tutorial-forecaster', '<user>-sixpence-many-to-one' or
'<user>-sixpence-many-to-many'; update_registered_model and update_model_version (the
descriptions); end_run FINISHED. A later stage
logs into the run as it is, through rnnlab/tracking/runs.py's own same_run (the run read, the stage's
tag set; not reopened) and helpers: an evaluate stage, the evaluation metrics in one
log_batch, as log_evaluation logs them: the model's own (28, 39, 39, 4, 8 or 2 keys) for every
logged model (model_id), the baselines' and the data's (95, 131, 131, 10, 10 or 1) once, as in
the project's mlflow.db; the figure (log_as: a PNG of 140, 270, 350, 100 or
85 KB), the description (set_tag); a generate stage, samples.txt; the stock model's
walk-forward (84 keys, a 41 KB figure) and strategy (26 keys, strategy.txt, a 100 KB figure)
stages, MORE_STAGES. No end_run asks for the whole run to print
its address (MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT, as `import rnnlab` sets it).
An exception from a call ends its stage, as it would end the stage's process (a train stage's
run ends FAILED); a failed train stage skips that model's later stages, as DVC would. The
clients run with the lab's environment (`import rnnlab`: MLFLOW_HTTP_REQUEST_MAX_RETRIES=3,
MLFLOW_HTTP_REQUEST_TIMEOUT=30), printed with the results.

Paced (the default): each stage begins when one default `make repro` on this machine began it
(TIMELINE, read from that repro's mlflow.db: the 8 runs over ~300 s), and between the calls the
student sleeps for what its own machine computes (the first epoch ~6 s after the run opens,
TensorFlow imported; then each epoch's seconds), so that the calls reach the server at a real
class's pace: everyone's sine at once, then everyone's stock model, and so on. A stage that
starts late (the calls before it took longer) starts at once. --burst instead sends each
student's calls back to back with no training time, the train stages first: a stress test
beyond any class, scaled down with --scale (default 0.25; --quick: --burst --scale 0.05, for a
check), which multiplies the epochs (at least 2 a model). --budget (default 600 s; 90 s with
--burst) bounds each part's load: students still running then are stopped (SIGTERM; what they
had logged stays). The figures then cover what was done within the budget ("calls done" says
how much of the plan), and an estimate of the whole class's time is printed (wall time /
fraction of the planned calls done: rough, since calls differ in cost). --budget 0: no bound.

Measured: the wall time of the load (from the moment every student process is ready and
released at once to the last one's exit), runs/s (runs verified FINISHED / wall time), each
MLflow call's latency in its process (every call above timed on its own, failed ones with their
retries included; the epochs' sends are calls, the epochs between them are not), each HTTP
request's (requests' Session.send: the server's answer, as the client waited for it),
p50/p95/max per call kind and over all calls (and p95 with the log_model
calls aside: their latency is mostly the client's own work, and their share of the calls grows
as --scale shrinks, 6% at --quick, 4% at 0.25; and p95 of a log call, LOG_CALLS: those that
write into a run), the HTTP requests the clients
sent (requests' Session.send; urllib3's retries counted apart), the CPU seconds of the clients,
of the mlflow server's processes and of PostgreSQL's (from /proc), and errors (exceptions, by
call kind and type, one message each). Then one client VERIFIES what the server kept, reading
the backend store through MLflow's own client on its database URI, and the artifacts folder
(--artifacts-destination) on disk: not through the HTTP server, whose basic-auth would make the
check cost as much as the load. Everything a student's call was told had succeeded must be
there: the run (FINISHED if its last end_run succeeded), every metric point (the epochs by
step; the evaluation's batches, probed on one key, and every key), every run file
(model_summary.txt, vocab.json, figures/evaluation.png at its size, samples.txt), every logged
model, READY, with each file a local mlflow.pyfunc.save_model of the same model writes, every
registered model version, READY. "lost" counts what a client was told was logged and is not
there; "not logged" what was planned and not acknowledged (errors, or stopped by the budget);
"extra" what is there beyond what the clients were told (a second run or version of the same
name, more points than acknowledged: a request that failed for the client after the server did
it, went through twice, or was cut short by the budget's stop).

Goal: with PostgreSQL, 0 errors, 0 lost, p95 latency of a log call < 1 s, the whole plan done
within the budget (printed met / NOT met, beside the p95 of any call).

Run from the repository root:  .venv/bin/python benchmarks/server_load.py [--students 30]
    [--workers 4] [--burst [--scale 0.25] | --quick] [--budget 600] [--only postgres,sqlite,restart]
    [--restart-at SECONDS] [--nice 0-19] [--keep]

Reading it: the students, the mlflow server and PostgreSQL share the machine's cores, so the
latencies include waiting for a core (load averages are printed); in a real class the
students' machines do the client work, the CPU seconds show how it divides; --nice 19 runs the
students' processes after the server and its database, the nearest one machine comes to that
(a call's latency then includes the student's own wait for a core). log_model's latency
is mostly the client's own work (it writes the model locally, then uploads it file by file:
~40 requests for a served model). "server CPU ms/request" is what a request costs the mlflow
server: with accounts, MLflow's basic-auth checks the password hash on every request unless
auth_cache_ttl_seconds is set (the class server sets it; the uncached part shows why). Each student's MLflow output is in
<tmp>/<part>/logs/<user>.log (--keep keeps it).
"""
import argparse
import collections
import contextlib
import functools
import io
import json
import logging
import multiprocessing
import os
import random
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
import mlflow  # noqa: E402
import mlflow.pyfunc  # noqa: E402

import rnnlab  # noqa: E402,F401  (the stages' environment: MLflow's retries and timeout, no telemetry)
from rnnlab.tracking import claims, runs  # noqa: E402  (EpochMetrics: the epochs' metrics sent as the stages send them)

PARTS = ["postgres", "uncached", "sqlite", "restart"]
DEFAULT_PARTS = ["postgres", "sqlite", "restart"]
TITLES = {"postgres": "PostgreSQL", "uncached": "PG, no auth cache", "sqlite": "SQLite",
          "restart": "PG + restart"}
KB = 1024
NOTE = "mlflow.note.content"
GOAL_P95 = 1.0
AUTH_CACHE_SECONDS = 0  # the uncached part: MLflow's default
READY_SECONDS = 300  # for every student process to be up and waiting
STOP_SECONDS = 20    # for a student told to stop (SIGTERM) to report, before SIGKILL
GENERATOR_PARAMS = {"length": 20, "temperature": 0.0, "top_k": 0, "seed": 0}


@dataclass(frozen=True)
class Model:
    name: str         # the model: its run is '<prefix>-<name>'
    experiment: str   # the lab's experiment, '<user>-' before it
    kind: str         # series | text | adding
    epochs: int       # epochs the default params run (early stopping included)
    keys: tuple       # per-epoch metrics
    evals: tuple      # evaluation metric keys: the model's own (on each logged model too),
                      # and the baselines' and the data's (the run's only)
    params: int       # params logged
    figure_kb: int    # figures/evaluation.png
    weights_kb: int   # the .keras file
    registered: str = None  # the served model's registered name, '<user>-' before it
    patience: int = 0


MODELS = [
    Model("sine", "sine", "series", 100, ("loss",), (28, 95), 14, 140, 21, "sine-forecaster"),
    Model("stock", "msft", "series", 27, ("loss", "val_loss"), (39, 131), 16, 270, 77,
          "msft-forecaster", patience=10),
    Model("stock_tutorial", "msft", "series", 41, ("loss", "val_loss"), (39, 131), 16, 350, 77,
          "msft-tutorial-forecaster", patience=10),
    Model("many_to_one", "sixpence", "text", 100, ("loss", "accuracy"), (4, 10), 14, 100, 465,
          "sixpence-many-to-one"),
    Model("many_to_many", "sixpence", "text", 100, ("loss", "accuracy"), (8, 10), 14, 100, 465,
          "sixpence-many-to-many"),
    Model("simple_rnn_100", "adding-problem", "adding", 30, ("loss",), (2, 1), 12, 85, 90),
    Model("gru_100", "adding-problem", "adding", 5, ("loss",), (2, 1), 12, 85, 90),
    Model("lstm_100", "adding-problem", "adding", 13, ("loss",), (2, 1), 12, 85, 90),
]
BY_NAME = {m.name: m for m in MODELS}
TIMELINE = {  # model: (train at, first epoch after, seconds an epoch, evaluate at)
    "sine": (0.0, 4.4, 0.047, 81.8),
    "stock": (16.5, 6.4, 0.56, 89.5),
    "stock_tutorial": (46.1, 6.0, 0.52, 96.8),
    "many_to_one": (126.5, 8.3, 0.127, 184.2),
    "many_to_many": (154.5, 6.6, 0.143, 191.5),
    "simple_rnn_100": (209.8, 6.2, 0.62, 295.7),
    "gru_100": (242.1, 8.0, 1.65, 295.7),
    "lstm_100": (265.3, 8.2, 1.13, 295.7),
}
"""When one default `make repro` on this machine (2 cores) made its MLflow calls, read from its
mlflow.db (the runs of commit 0ca86de): seconds from the sine's run to each run's start, from a
run's start to its first epoch's metrics (TensorFlow imported, data and model built, one epoch
trained), between two epochs, and to the evaluation's metrics (the adding cells': one
evaluate stage for the three). A text model's generate stage follows its evaluate stage by
GENERATE_AFTER seconds."""
GENERATE_AFTER = 10.0
MORE_STAGES = {"stock": {
    "series_walkforward": (111.9, 84, {"figures/walkforward.png": 41}),
    "stock_strategy": (121.1, 26, {"strategy.txt": None, "figures/strategy.png": 100}),
}}
"""The stages that log into a model's run after its evaluation, beside the text models' generate:
{model: {stage: (at, metric keys, {run file: KB of a figure, or None for a text})}}; when, and
how much, as in TIMELINE's repro."""
EVAL_KEYS = ("eval", "eval_baseline")  # the model's own evaluation metrics; the baselines'
TRAIN_METRICS = ("train_seconds", "gradient_ratio", "gradient_first", "gradient_last")  # adding
STAGES = {"series": ("series_train", "series_evaluate"), "text": ("text_train", "text_evaluate"),
          "adding": ("adding_train", "adding_evaluate")}


def epochs(model, scale):
    return max(2, round(model.epochs * scale))


def served_kind(model):
    return "forecaster" if model.kind == "series" else "generator"


def logged_models(model):
    """The logged models of a run: 'keras', and 'served' for the series and text models."""
    return ["keras", "served"] if model.registered else ["keras"]


def run_files(model):
    """{artifact path: size or None} the stages log into a run (the figure's size is known)."""
    files = {"model_summary.txt": None, "figures/evaluation.png": len(figure(model))}
    if model.kind == "text":
        files.update({"vocab.json": None, "samples.txt": None})
    for _, _, more in MORE_STAGES.get(model.name, {}).values():
        files.update({name: kb and len(more_figure(model, name)) for name, kb in more.items()})
    return files


def plan(scale, expected_files):
    """What one student logs in all: {'calls' (the epochs' sends aside: their number depends on
    the pace), 'runs', 'points', ...}."""
    p = collections.Counter()
    experiments = set()
    per_model = {  # a later stage's calls for one model, its store.check aside: same_run, and
        Student.evaluate: lambda m, stage: 1 + 3,  # its metrics, figure, description
        Student.generate: lambda m, stage: 1 + 1,  # samples.txt
        Student.more: lambda m, stage: 1 + 1 + len(MORE_STAGES[m.name][stage][2])}
    for _, stage, body, models in stages(paced=True):
        p["calls"] += 1  # store.check
        for m in models:
            if body is not Student.train:
                p["calls"] += per_model[body](m, stage)
                continue
            first = m.experiment not in experiments
            experiments.add(m.experiment)
            # its epochs' sends aside: use_experiment, close_orphans, start_run, log_params,
            # the summary, the Keras model, end_run; claim; the adding cells' train metrics;
            # the text models' vocabulary; the served model and its descriptions
            p["calls"] += (7 + (bool(m.registered) or first) + (m.kind == "adding")
                           + (m.kind == "text") + 3 * bool(m.registered))
    for m in MODELS:
        n, ids = epochs(m, scale), len(logged_models(m))
        more = MORE_STAGES.get(m.name, {}).values()
        p["runs"] += 1
        p["points"] += (n * len(m.keys) + m.evals[0] * ids + m.evals[1]
                        + len(TRAIN_METRICS) * (m.kind == "adding")
                        + sum(keys for _, keys, _ in more))
        p["run_files"] += len(run_files(m))
        p["logged_models"] += ids
        p["model_files"] += sum(len(expected_files[(m.name, k)]) for k in logged_models(m))
        p["versions"] += bool(m.registered)
    return p


# ---- synthetic content ----

def png_bytes(size, seed):
    """A valid PNG of random RGB pixels (incompressible): about ``size`` bytes."""
    rng = random.Random(seed)
    side = max(8, int((size / 3) ** 0.5))
    raw = b"".join(b"\x00" + rng.randbytes(side * 3) for _ in range(side))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


@functools.lru_cache(maxsize=None)
def figure(model):
    return png_bytes(model.figure_kb * KB, model.name)


@functools.lru_cache(maxsize=None)
def more_figure(model, name):
    """A figure of a stage in MORE_STAGES."""
    kb = next(files[name] for _, _, files in MORE_STAGES[model.name].values() if name in files)
    return png_bytes(kb * KB, f"{model.name} {name}")


def note(rng, size=1000):
    words = ["the", "network", "learns", "next", "value", "window", "epochs", "loss", "val",
             "persistence", "drift", "scaled", "training", "part", "forecast", "lecture"]
    text = ""
    while len(text) < size:
        text += " ".join(rng.choice(words) for _ in range(12)) + ".\n"
    return text[:size]


def make_files(folder):
    """The files every student logs: figures, weights, a served model's code (the modules of
    rnnlab its pyfunc module imports, as rnnlab/tracking/registry.py's served_code copies them for
    code_paths). {name: path}."""
    folder.mkdir(parents=True)
    files = {}
    for model in MODELS:
        path = folder / f"{model.name}.png"
        path.write_bytes(figure(model))
        files[f"{model.name}.png"] = str(path)
        for _, _, more in MORE_STAGES.get(model.name, {}).values():
            for name in (n for n in more if n.endswith(".png")):
                path = folder / f"{model.name}-{os.path.basename(name)}"
                path.write_bytes(more_figure(model, name))
                files[f"{model.name} {name}"] = str(path)
        path = folder / f"{model.name}.keras"
        path.write_bytes(random.Random(model.name).randbytes(model.weights_kb * KB))
        files[f"{model.name}.keras"] = str(path)
    from rnnlab.tracking import registry

    for kind in ("forecaster", "generator"):
        (folder / kind).mkdir()
        files[f"code {kind}"] = registry.served_code(str(ROOT / "rnnlab" / f"{kind}.py"),
                                                     str(folder / kind))
    (folder / "transform.json").write_text(json.dumps({"window": 20, "columns": ["Close"],
                                                       "min": 0.1, "max": 95.0}))
    files["transform"] = str(folder / "transform.json")
    chars = list(" abcdefghijklmnopqrstuvwxyz,.!?'\n")
    (folder / "vocab.json").write_text(json.dumps({"chars": chars, "window": 10}))
    files["vocab"] = str(folder / "vocab.json")
    return files


def quiet():
    """No MLflow notices on stderr: that Tiny.predict has no type hints (none are wanted: the
    signature is given), that the Keras stand-in has no input example (neither has the lab's).
    MLflow shows them whatever the warnings filters say."""
    return contextlib.redirect_stderr(io.StringIO())


with quiet():
    class Tiny(mlflow.pyfunc.PythonModel):
        """The served model's stand-in: answers zeros (or its prompts)."""

        def predict(self, context, model_input, params=None):
            if isinstance(model_input, list):
                return [str(x) for x in model_input]
            return [0.0] * len(model_input)


def examples(model):
    """(input example, output, params) of the served model, as rnnlab/tracking/registry.py gives them."""
    if model.kind == "series":
        import pandas as pd

        return pd.DataFrame({"Close": [40.0 + i * 0.1 for i in range(20)]}), [42.0], None
    return ["Sing a son"], ["Sing a son"], GENERATOR_PARAMS


def log_model_args(model, files, which):
    """mlflow.pyfunc.log_model's arguments for the Keras stand-in or the served model (pinned
    requirements: rnnlab/tracking/registry.py's own)."""
    from mlflow.models import infer_signature

    from rnnlab.tracking import registry

    example, output, params = examples(model)
    if which == "keras":
        return dict(name=f"{model.name}-keras", python_model=Tiny(),
                    artifacts={"model": files[f"{model.name}.keras"]},
                    signature=infer_signature(example, output),
                    pip_requirements=registry.pip_requirements())
    extra = "transform" if model.kind == "series" else "vocab"
    return dict(name=f"{model.name}-{served_kind(model)}", python_model=Tiny(),
                artifacts={"model": files[f"{model.name}.keras"], extra: files[extra]},
                code_paths=[files[f"code {served_kind(model)}"]],
                signature=infer_signature(example, output, params=params),
                input_example=example if params is None else (example, params),
                pip_requirements=registry.pyfunc_requirements(
                    *(["pandas"] if model.kind == "series" else [])))


# ---- one student (a child process) ----

class StageFailed(Exception):
    pass


class Deadline(BaseException):
    """The budget is over (SIGTERM from the benchmark): stop where it is."""


class Student:
    """One student's repro: every MLflow call timed, every success recorded (``acked``) for
    the verification; the first exception ends its stage."""

    def __init__(self, user, uri, prefix, scale, files, t0, paced, spread=0.0, links=None):
        self.user, self.uri, self.prefix, self.scale, self.files = user, uri, prefix, scale, files
        self.links = links  # a folder for its runs/<model>.json
        self.t0, self.paced = t0, paced
        self.calls, self.errors = [], []   # [kind, start (s after t0), seconds, ok]
        self.acked = {}  # {model: what the server said it logged}
        self.experiments = set()  # the experiments its train stages found or made so far
        self.failed = set()  # the models a stage failed for: their later stages are skipped
        self.rng = random.Random(user)
        # how much slower than TIMELINE's machine this student's own computes: 1 to 1 + spread
        self.slower = 1.0 + spread * random.Random(f"{user} machine").random()

    def call(self, kind, fn, *args, **kwargs):
        start = time.perf_counter()
        offset = time.time() - self.t0
        try:
            result = fn(*args, **kwargs)
        except Exception as err:
            self.calls.append([kind, offset, time.perf_counter() - start, False])
            lines = [line for line in str(err).strip().splitlines() if line.strip()] or [""]
            # when it was seen, and when the call began (a log_model may take seconds)
            self.errors.append([kind, type(err).__name__, lines[0][:300],
                                time.time() - self.t0, offset])
            raise StageFailed() from err
        self.calls.append([kind, offset, time.perf_counter() - start, True])
        return result

    def train(self, model, stage):
        """A train stage: rnnlab/tracking/runs.py's new_run (the lab's own use_experiment, claim and
        close_orphans), the epochs, rnnlab/tracking/registry.py's files and models."""
        view = [f"metrics.`eval_test_rmse_{p}`" for p in ("model", "persistence", "drift")]
        name = f"{self.user}-{model.experiment}"
        first = name not in self.experiments
        self.experiments.add(name)
        experiment = self.call("use_experiment", runs.use_experiment, name,
                               note(random.Random(name), 600), view)
        registers = [f"{self.user}-{model.registered}"] if model.registered else []
        if registers or first:  # else claim makes no request
            maker = {claims.EXAMPLE: model.kind, claims.MODEL: model.name,
                     claims.FORMULATION: "a model"}
            self.call("claim", claims.claim, experiment, maker, registers)
        self.call("close_orphans", runs.close_orphans)
        commit = secrets.token_hex(20)
        tags = {f"dvc.stage.{stage}": f"{stage}@{model.name}", "git.commit": commit,
                "git.dirty": "False", "dvc.exp_name": "workspace", "dvc.baseline_rev": commit,
                "params.hash": secrets.token_hex(6), **runs.owner_tags(), NOTE: note(self.rng)}
        if model.kind == "series":
            tags["lab.formulation"] = "next log return (scale-free)"
        elif model.kind == "adding":
            tags.update({"lab.cell": model.name.rsplit("_", 1)[0], "lab.length": "100"})
        params = {f"param_{i}": str(self.rng.random())[:8] for i in range(model.params)}
        n = epochs(model, self.scale)
        kept = max(0, n - 1 - model.patience)
        run = self.call("start_run", mlflow.start_run, experiment_id=experiment.experiment_id,
                        run_name=f"{self.prefix}-{model.name}", tags=tags)
        acked = self.acked[model.name] = {
            "run_id": run.info.run_id, "finished": False, "points": {k: 0 for k in model.keys},
            "train_metrics": False, "eval_batches": 0, "more": [], "files": [], "models": {},
            "version": None}
        self.call("log_params", mlflow.log_params, params)
        _, first_epoch, each, _ = TIMELINE[model.name]
        batch, loss = runs.EpochMetrics(), 1.0
        for epoch in range(n):
            self.train_for(first_epoch if epoch == 0 else each)
            loss *= 0.97
            batch.add(epoch, {key: 1 - loss if key == "accuracy" else
                              loss * (1.1 if key == "val_loss" else 1) for key in model.keys})
            if batch.due(last=epoch + 1 == n):  # as rnnlab/tracking/progress.py sends them
                sending = collections.Counter(m.key for m in batch.waiting)
                self.call(EPOCHS, batch.send)
                for key, count in sending.items():
                    acked["points"][key] += count
        if model.kind == "adding":
            self.call("log_metrics (train)", mlflow.log_metrics,
                      {key: self.rng.random() for key in TRAIN_METRICS})
            acked["train_metrics"] = True
        if model.kind == "text":
            self.call("log_text", mlflow.log_text, Path(self.files["vocab"]).read_text(),
                      "vocab.json")
            acked["files"].append("vocab.json")
        self.call("log_text", mlflow.log_text, note(self.rng, 3000), "model_summary.txt")
        acked["files"].append("model_summary.txt")
        logged = self.call("log_model (keras stand-in)", mlflow.pyfunc.log_model, step=kept,
                           **log_model_args(model, self.files, "keras"))
        acked["models"]["keras"] = logged.model_id
        if model.registered:
            name = registers[0]
            served = self.call("log_model + register", mlflow.pyfunc.log_model, step=kept,
                               registered_model_name=name,
                               **log_model_args(model, self.files, "served"))
            acked["models"]["served"] = served.model_id
            acked["version"] = [name, str(served.registered_model_version)]
            client = mlflow.MlflowClient()
            self.call("update_registered_model", client.update_registered_model, name,
                      description=note(self.rng, 800))
            self.call("update_model_version", client.update_model_version, name,
                      served.registered_model_version, description=note(self.rng, 900))
        self.call("end_run", mlflow.end_run, status="FINISHED")
        acked["finished"] = True

    def train_for(self, seconds):
        """An epoch's training (on the student's own machine: no CPU here), when paced."""
        if self.paced:
            time.sleep(seconds * self.slower)

    def link(self, model):
        """runs/<model>.json as the train stage writes it (rnnlab/tracking/links.py), for same_run."""
        from rnnlab.tracking import links

        acked = self.acked[model.name]
        path = self.links / f"{model.name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        links.write(path, links.Link(acked["run_id"], f"{self.user}-{model.experiment}",
                                     f"{self.prefix}-{model.name}", dict(acked["models"])))
        return path

    @contextlib.contextmanager
    def same_run(self, model, stage):
        """rnnlab/tracking/runs.py's same_run, the lab's own: the run as it is (read, the stage's tag
        set), for a later stage to log into with the lab's helpers; (its link file, the run)."""
        link = self.link(model)
        block = runs.same_run(link, f"{stage}@{model.name}")
        run = self.call("same_run", block.__enter__)
        try:
            yield link, run
        except BaseException:
            if not block.__exit__(*sys.exc_info()):
                raise
        else:
            block.__exit__(None, None, None)

    def evaluate(self, model, stage):
        """rnnlab/tracking/runs.py's log_evaluation, its three requests timed apart: the metrics for
        every logged model in one log_batch (runs.evaluation_points), the figure (log_as), the
        description."""
        acked = self.acked[model.name]
        client = mlflow.MlflowClient()
        with self.same_run(model, stage) as (_, run):
            own, baselines = ({f"{name}_{i:03d}": self.rng.random() for i in range(n)}
                              for name, n in zip(EVAL_KEYS, model.evals))
            self.call("log_metrics (eval)", client.log_batch, run.info.run_id,
                      metrics=runs.evaluation_points(list(acked["models"].values()), own,
                                                     baselines))
            acked["eval_batches"] += len(acked["models"])
            self.call("log_artifact (png)", runs.log_as, self.files[f"{model.name}.png"],
                      "figures/evaluation.png")
            acked["files"].append("figures/evaluation.png")
            self.call("set_tag", client.set_tag, run.info.run_id, NOTE, note(self.rng, 1100))

    def more(self, model, stage):
        """A stage of MORE_STAGES (the stock model's walk-forward and trading strategy): its
        metrics (rnnlab/tracking/runs.py's log_metrics), texts (log_text) and figures (log_as)."""
        acked = self.acked[model.name]
        _, keys, files = MORE_STAGES[model.name][stage]
        with self.same_run(model, stage):
            self.call(f"log_metrics ({stage})", runs.log_metrics,
                      {f"{stage}_{i:03d}": self.rng.random() for i in range(keys)})
            acked["more"].append([stage, keys])
            for artifact_file in files:
                if artifact_file.endswith(".png"):
                    self.call("log_artifact (png)", runs.log_as,
                              self.files[f"{model.name} {artifact_file}"], artifact_file)
                else:
                    self.call("log_text", runs.log_text, note(self.rng, 250), artifact_file)
                acked["files"].append(artifact_file)

    def generate(self, model, stage):
        acked = self.acked[model.name]
        with self.same_run(model, stage):
            self.call("log_text", runs.log_text, note(self.rng, 500), "samples.txt")
            acked["files"].append("samples.txt")

    def stage(self, name, body, models):
        """Run stage ``name``, a process of its own (the store checked once; MLflow's caches
        empty), on those of ``models`` whose earlier stages did not fail: ``body(model, name)``
        for each. On a failed call, end the run as the stage's process would (FAILED for a
        train stage, else as it was: rnnlab/tracking/runs.py's same_run) and skip these models' later
        stages, as DVC would."""
        from mlflow.tracking._tracking_service import utils

        models = [m for m in models if m.name not in self.failed]
        if not models:
            return
        from rnnlab.tracking import store

        store._ANSWERED.clear()
        utils._artifact_repos_cache.clear()  # a run's artifact store, found with a get_run
        try:
            self.call("store.check", store.check, self.uri)
            for model in models:
                body(self, model, name)
            return
        except StageFailed:
            pass
        except Exception as err:  # a fault of this benchmark, not of the server: shown as such
            traceback.print_exc()
            self.errors.append(["(benchmark)", type(err).__name__, str(err)[:300],
                                time.time() - self.t0, time.time() - self.t0])
        with contextlib.suppress(Exception):
            if mlflow.active_run():
                mlflow.end_run(status="FAILED" if name.endswith("_train") else "FINISHED")
        self.failed.update(m.name for m in models)

    def repro(self):
        """The stages in DVC's order (``stages``): paced, each begun when TIMELINE's repro
        began it (or at once, if the calls before it took longer); else back to back, the train
        stages first."""
        for at, name, body, models in stages(self.paced):
            if self.paced:
                time.sleep(max(0.0, self.t0 + at * self.slower - time.time()))
            self.stage(name, body, models)


def stages(paced):
    """[(at, stage, Student method, models)] in the order a repro runs them: paced, by
    TIMELINE (and MORE_STAGES); else the train stages first, then the others. The adding
    cells' evaluate stage is one process for the three."""
    trains, later = [], collections.defaultdict(list)
    for m in MODELS:
        train_at, _, _, evaluate_at = TIMELINE[m.name]
        train, evaluate = STAGES[m.kind]
        trains.append((train_at, train, Student.train, [m]))
        later[(evaluate_at, evaluate, Student.evaluate)].append(m)
        if m.kind == "text":
            later[(evaluate_at + GENERATE_AFTER, "text_generate", Student.generate)].append(m)
        for stage, (at, _, _) in MORE_STAGES.get(m.name, {}).items():
            later[(at, stage, Student.more)].append(m)
    order = sorted([*trains, *((at, stage, body, models)
                               for (at, stage, body), models in later.items())],
                   key=lambda e: e[0])
    return order if paced else [e for e in order if e in trains] + \
        [e for e in order if e not in trains]


class RetryCounter(logging.Handler):
    """The retries MLflow's client made, as urllib3 logs them: 'Retry: <url>' (debug) after an
    HTTP status it retries (5xx, 429, 408), 'Retrying (...)' (warning) after a broken or refused
    connection. urllib3's warnings still go to stderr."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.status = self.connection = 0

    def emit(self, record):
        message = str(record.msg)
        if message.startswith("Retry: "):
            self.status += 1
        elif message.startswith("Retrying"):
            self.connection += 1
        if record.levelno >= logging.WARNING:
            sys.stderr.write(self.format(record) + "\n")


def student_process(user, password, uri, prefix, scale, files, folder, ready, go, nice=0,
                    paced=True, spread=0.0):
    """A student: ready, wait for the start, run the repro (until SIGTERM), write the results
    as JSON. ``nice``: its niceness (os.nice), 19 to leave the cores to the server first;
    ``paced``: the calls at TIMELINE's moments (``spread``: on a machine 1 to 1 + spread
    times as slow), else back to back."""
    os.nice(nice)
    log = open(Path(folder) / "logs" / f"{user}.log", "w")
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    os.environ.update(MLFLOW_TRACKING_URI=uri, MLFLOW_TRACKING_USERNAME=user)
    if password:
        os.environ["MLFLOW_TRACKING_PASSWORD"] = password
    else:
        os.environ.pop("MLFLOW_TRACKING_PASSWORD", None)
    import requests

    sent, waited = [0], []
    send = requests.Session.send

    def counting(self, *args, **kwargs):
        sent[0] += 1
        start = time.perf_counter()
        try:
            return send(self, *args, **kwargs)
        finally:
            waited.append(round(time.perf_counter() - start, 4))

    requests.Session.send = counting
    retries = RetryCounter()
    pool_log = logging.getLogger("urllib3.connectionpool")
    pool_log.setLevel(logging.DEBUG)
    pool_log.propagate = False
    pool_log.addHandler(retries)
    logging.getLogger("mlflow").setLevel(logging.WARNING)

    def stop(signum, frame):
        raise Deadline()

    signal.signal(signal.SIGTERM, stop)
    ready.put(user)
    go.wait()
    t0 = float((Path(folder) / "t0").read_text())
    me = Student(user, uri, prefix, scale, files, t0, paced, spread,
                 links=Path(folder) / "links" / user)
    cpu, stopped = os.times(), False
    try:
        me.repro()
    except Deadline:
        stopped = True
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        now = os.times()
        result = {"user": user, "calls": me.calls, "errors": me.errors, "acked": me.acked,
                  "requests": sent[0], "request_seconds": waited,
                  "retries": [retries.status, retries.connection],
                  "stopped": stopped,
                  "end": time.time() - t0, "cpu": now.user + now.system - cpu.user - cpu.system}
        (Path(folder) / "results" / f"{user}.json").write_text(json.dumps(result))
        log.flush()
        os._exit(0)  # not waiting for upload threads a SIGTERM may have left behind


# ---- servers ----

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


def artifact_path(root, uri):
    """The file path of a proxied artifact URI ('mlflow-artifacts:/1/<run>/artifacts') under
    the server's --artifacts-destination ``root``."""
    return Path(root) / urllib.parse.urlparse(uri).path.lstrip("/")


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
        from classroom import server as lab

        config = self.folder / "auth.ini"
        lab.stop_process(self.state["server_pid"])
        lines = [line for line in config.read_text().splitlines()
                 if not line.startswith("auth_cache_ttl_seconds")]
        config.write_text("\n".join(lines + [f"auth_cache_ttl_seconds = {self.auth_cache}"]) + "\n")
        lab.start_mlflow(self.state, self.folder)
        lab.save_state(self.folder, self.state)
        return (f"auth_cache_ttl_seconds = {self.auth_cache} in its auth.ini, the mlflow "
                "server restarted")

    def store_uri(self):
        from classroom.server import database_uri

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
        from classroom.server import as_postgres, pg_bin

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
            from classroom.server import stop_process

            stop_process(self.proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=30)


# ---- the load ----

def run_load(server, passwords, folder, args, restart_at=None):
    """Every student at once, stopped at the budget; what they reported, and the server's
    CPU."""
    (folder / "logs").mkdir()
    (folder / "results").mkdir()
    files = make_files(folder / "files")
    prefix = secrets.token_hex(4)[:7]
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__"])  # MLflow imported once, not once per student
    ready, go = ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=student_process, name=user,
                         args=(user, password, server.uri, prefix, args.scale, files, str(folder),
                               ready, go, args.nice, not args.burst, args.spread))
             for user, password in passwords.items()]
    try:
        for proc in procs:
            proc.start()
        deadline = time.monotonic() + READY_SECONDS
        for _ in procs:
            ready.get(timeout=max(1, deadline - time.monotonic()))
        restart, timer = {}, None
        cpu_before = server.cpu()
        log_start, _ = server_errors(server.log)
        t0 = time.time()
        (folder / "t0").write_text(repr(t0))
        start = time.perf_counter()
        go.set()
        if restart_at is not None:
            def restart_now():
                restart["at"] = time.time() - t0
                restart["running"] = sum(p.is_alive() for p in procs)
                restart["pg_cpu"] = server.cpu()["PostgreSQL"] - cpu_before["PostgreSQL"]
                restart["seconds"], restart["rc"], restart["said"] = server.restart_database()

            timer = threading.Timer(restart_at, restart_now)
            timer.start()
        end = start + args.budget if args.budget else float("inf")
        for proc in procs:
            proc.join(timeout=max(0.01, end - time.perf_counter()) if args.budget else None)
        running = [p for p in procs if p.is_alive()]
        for proc in running:
            proc.terminate()  # SIGTERM: the student stops and reports
        stop_by = time.perf_counter() + STOP_SECONDS
        for proc in running:
            proc.join(timeout=max(0.01, stop_by - time.perf_counter()))
        killed = [p.name for p in running if p.is_alive()]
        wall = time.perf_counter() - start
        if timer is not None:
            timer.join()
        cpu = {k: v - cpu_before.get(k, 0.0) for k, v in server.cpu().items()}
        _, logged_errors = server_errors(server.log, log_start)
        if "pg_cpu" in restart:  # a new postmaster since the restart: its CPU from zero
            cpu["PostgreSQL"] = restart["pg_cpu"] + cpu["PostgreSQL"] + cpu_before["PostgreSQL"]
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
                proc.join()
    results = [json.loads((folder / "results" / f"{u}.json").read_text()) for u in passwords
               if (folder / "results" / f"{u}.json").exists()]
    cpu["students"] = sum(r["cpu"] for r in results)
    return {"wall": wall, "results": results, "killed": killed, "restart": restart,
            "prefix": prefix, "cpu": cpu, "stopped": [p.name for p in running],
            "server_errors": logged_errors}


# ---- verifying what the server kept ----

def expected_model_files(folder):
    """{(model, 'keras' | 'served'): set of files} a local mlflow.pyfunc.save_model of the same
    model writes: what the server must hold for each logged model."""
    files = make_files(folder / "files")
    expected = {}
    for model in MODELS:
        for which in logged_models(model):
            kwargs = log_model_args(model, files, which)
            kwargs.pop("name")
            out = folder / "saved" / f"{model.name}-{which}"
            with quiet():
                mlflow.pyfunc.save_model(str(out), **kwargs)
            expected[(model.name, which)] = {str(p.relative_to(out)) for p in out.rglob("*")
                                             if p.is_file()}
    return expected


def verify(server, load, expected_files):
    """What one client finds in the backend store and the artifacts folder, against what the
    students were told they logged (``acked``). Counters: <what>_acked, <what>_found, extras."""
    client = mlflow.MlflowClient(tracking_uri=server.store_uri(), registry_uri=server.store_uri())
    prefix = load["prefix"]

    def one(result):
        c = collections.Counter()
        user = result["user"]
        for name in {m.experiment for m in MODELS}:  # a run made twice (a retried create)
            experiment = client.get_experiment_by_name(f"{user}-{name}")
            if experiment is None:
                continue
            names = collections.Counter(
                r.info.run_name for r in client.search_runs(
                    [experiment.experiment_id], f"attributes.run_name LIKE '{prefix}-%'",
                    max_results=1000))
            c["extra_runs"] += sum(n - 1 for n in names.values() if n > 1)
        for model_name, a in result["acked"].items():
            model = BY_NAME[model_name]
            c["runs_acked"] += 1
            c["finished_acked"] += a["finished"]
            try:
                run = client.get_run(a["run_id"])
            except Exception:
                run = None
            # each evaluation's points: the model's own once a logged model, the baselines once
            sent = (a["eval_batches"], min(1, a["eval_batches"]))
            points = sum(a["points"].values()) + len(TRAIN_METRICS) * a["train_metrics"] + \
                sum(n * times for n, times in zip(model.evals, sent)) + \
                sum(keys for _, keys in a["more"])
            c["points_acked"] += points
            c["run_files_acked"] += len(a["files"])
            c["logged_models_acked"] += len(a["models"])
            c["model_files_acked"] += sum(len(expected_files[(model.name, w)]) for w in a["models"])
            c["versions_acked"] += a["version"] is not None
            if run is None:
                continue
            c["runs_found"] += 1
            c["finished_found"] += a["finished"] and run.info.status == "FINISHED"
            found = 0
            for key, n in a["points"].items():
                history = client.get_metric_history(run.info.run_id, key)
                steps = collections.Counter(m.step for m in history)
                found += min(len(steps), n)
                c["extra_points"] += sum(steps.values()) - min(len(steps), n)
            if a["train_metrics"]:
                found += sum(k in run.data.metrics for k in TRAIN_METRICS)
            for name, n, times in zip(EVAL_KEYS, model.evals, sent):
                present = [k for k in (f"{name}_{i:03d}" for i in range(n))
                           if k in run.data.metrics]
                if present:
                    batches = len(client.get_metric_history(run.info.run_id, present[0]))
                    found += len(present) * min(batches, times)
                    c["extra_points"] += len(present) * max(0, batches - times)
            for stage, keys in a["more"]:
                found += sum(f"{stage}_{i:03d}" in run.data.metrics for i in range(keys))
            c["points_found"] += found
            root = artifact_path(server.artifacts, run.info.artifact_uri)
            for path in a["files"]:
                size = run_files(model)[path]
                c["run_files_found"] += (root / path).is_file() and (
                    size is None or (root / path).stat().st_size == size)
            for which, model_id in a["models"].items():
                try:
                    logged = client.get_logged_model(model_id)
                except Exception:
                    continue
                if str(logged.status).endswith("READY"):
                    c["logged_models_found"] += 1
                where = artifact_path(server.artifacts, logged.artifact_location)
                c["model_files_found"] += sum((where / f).is_file()
                                              for f in expected_files[(model.name, which)])
            if a["version"]:
                name, version = a["version"]
                with contextlib.suppress(Exception):
                    v = client.get_model_version(name, version)
                    c["versions_found"] += str(v.status).endswith("READY")
                with contextlib.suppress(Exception):
                    c["extra_versions"] += max(0, len(client.search_model_versions(
                        f"name = '{name}'")) - 1)
        return c

    total = collections.Counter()
    with ThreadPoolExecutor(4) as pool:
        for c in pool.map(one, load["results"]):
            total.update(c)
    return total


# ---- figures ----

def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))]


EPOCHS = "log_batch (epochs)"  # the kind of the epochs' sends
LOG_CALLS = ("log_params", EPOCHS, "log_metrics (train)", "log_metrics (eval)",
             *(f"log_metrics ({stage})" for more in MORE_STAGES.values() for stage in more),
             "log_text", "log_artifact (png)", "set_tag")
"""The calls that log into a run (a row of their own): not log_model (a model saved, checked
and uploaded file by file), nor the calls that find, open, close or register."""
WHAT = ["runs", "finished", "points", "run_files", "logged_models", "model_files", "versions"]


def summarise(load, v, users, planned):
    calls = [c for r in load["results"] for c in r["calls"]]
    requests = [x for r in load["results"] for x in r["request_seconds"]]
    errors = [e for r in load["results"] for e in r["errors"]]
    latencies = [c[2] for c in calls]
    kinds = collections.defaultdict(list)
    for c in calls:
        kinds[c[0]].append(c[2])
    examples_ = {}
    for e in errors:
        examples_.setdefault((e[0], e[1]), e)
    n = len(users)
    s = {
        "students": n, "reported": len(load["results"]), "killed": load["killed"],
        "stopped": load["stopped"], "wall": load["wall"], "cpu": load["cpu"],
        "requests": sum(r["requests"] for r in load["results"]),
        "retries": [sum(r["retries"][i] for r in load["results"]) for i in (0, 1)],
        "calls": sum(c[0] != EPOCHS for c in calls), "sends": sum(c[0] == EPOCHS for c in calls),
        "calls_planned": planned["calls"] * n,
        "request_p50": pct(requests, 50), "request_p95": pct(requests, 95),
        "p50": pct(latencies, 50), "p95": pct(latencies, 95),
        "p95_no_model": pct([c[2] for c in calls if not c[0].startswith("log_model")], 95),
        "p95_log": pct([c[2] for c in calls if c[0] in LOG_CALLS], 95),
        "max": max(latencies, default=float("nan")),
        "kinds": {k: (len(x), pct(x, 50), pct(x, 95), max(x)) for k, x in kinds.items()},
        "errors": len(errors), "errors_by": collections.Counter((e[0], e[1]) for e in errors),
        "examples": examples_, "error_times": sorted(e[3] for e in errors),
        "slow": sorted(((c[2], c[0], c[1]) for c in calls), reverse=True)[:5],
        "restart": load["restart"], "server_errors": load["server_errors"],
        "extra": {k: v[f"extra_{k}"] for k in ("runs", "points", "versions")},
    }
    for what in WHAT:
        plan_key = "runs" if what == "finished" else what
        s[what] = {"planned": planned[plan_key] * n, "acked": v[f"{what}_acked"],
                   "found": v[f"{what}_found"]}
        s[what]["lost"] = s[what]["acked"] - s[what]["found"]
        s[what]["not_logged"] = s[what]["planned"] - s[what]["acked"]
    s["runs_per_s"] = s["finished"]["found"] / s["wall"]
    s["lost"] = sum(s[w]["lost"] for w in WHAT)
    s["done"] = s["calls"] / s["calls_planned"] if s["calls_planned"] else 1.0
    return s


def print_part(s):
    stopped = (f"; stopped by the budget: {len(s['stopped'])} students" if s["stopped"] else "")
    killed = f" ({len(s['killed'])} did not report, killed)" if s["killed"] else ""
    print(f"   load: {s['wall']:.1f} s{stopped}{killed}; {s['calls']} MLflow calls of "
          f"{s['calls_planned']} planned ({100 * s['done']:.0f}%) and {s['sends']} sends of "
          f"epochs' metrics, {s['requests']} HTTP requests (p50 {s['request_p50']:.3f} s, p95 "
          f"{s['request_p95']:.3f} s) "
          f"({s['requests'] / s['wall']:.1f}/s), retried {s['retries'][0]} after an HTTP error "
          f"and {s['retries'][1]} after a connection error; latency p50 "
          f"{s['p50']:.3f} s, p95 {s['p95']:.3f} s, max {s['max']:.2f} s", flush=True)
    cpu = ", ".join(f"{k} {v:.0f}" for k, v in s["cpu"].items())
    print(f"   CPU seconds during the load: {cpu} (of {s['wall'] * os.cpu_count():.0f} "
          f"core-seconds); mlflow server {1000 * per_request(s):.0f} ms per request", flush=True)
    print("   verified (acknowledged to a client -> found): " + ", ".join(
        f"{w.replace('_', ' ')} {s[w]['acked']} -> {s[w]['found']}" for w in WHAT)
        + f"; extra: runs {s['extra']['runs']}, points {s['extra']['points']}, versions "
          f"{s['extra']['versions']}", flush=True)
    if s["errors"]:
        print(f"   errors ({s['errors']}):")
        for (kind, name), n in s["errors_by"].most_common():
            e = s["examples"][(kind, name)]
            print(f"     {n:5d} x {kind}: {name}: {e[2][:220]} (first seen at {e[3]:.1f} s, "
                  f"in a call begun at {e[4]:.1f} s)")
    if s["server_errors"]:
        print(f"   the server's log: {sum(s['server_errors'].values())} ERROR lines during the "
              f"load (at the budget's stop, a client gone mid-request is one), the most "
              f"frequent:")
        for message, n in s["server_errors"].most_common(3):
            print(f"     {n:5d} x {message}")
    r = s["restart"]
    if r:
        seen = (f"errors between {s['error_times'][0]:.1f} s and {s['error_times'][-1]:.1f} s"
                if s["error_times"] else "the clients saw no error")
        print(f"   PostgreSQL restarted at {r['at']:.1f} s, {r['running']} students running: "
              f"pg_ctl restart -m fast took {r['seconds']:.1f} s, exit {r['rc']} "
              f"({r['said'][:100]}); {seen}", flush=True)
    print("   slowest calls: " + "; ".join(f"{kind} {sec:.2f} s at {at:.0f} s"
                                         for sec, kind, at in s["slow"]), flush=True)


def per_request(s):
    """The mlflow server's CPU seconds per HTTP request of the clients."""
    return s["cpu"].get("mlflow server", 0) / max(1, s["requests"])


def table(rows, columns):
    widths = [max(len(str(r[i])) for r in [columns] + rows) for i in range(len(columns))]
    for r in [columns] + rows:
        print("   " + "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                                for i, (c, w) in enumerate(zip(r, widths))), flush=True)


def print_summary(done, args):
    parts = [p for p in PARTS if p in done]
    budget = f"--budget {args.budget:g} s" if args.budget else "no --budget"
    pace = "burst" if args.burst else f"paced as a repro, --spread {args.spread:g}"
    print(f"\nSummary: {args.students} students at once ({pace}), servers with --workers "
          f"{args.workers}, "
          f"--scale {args.scale:g} ({epochs_note(args.scale)}), {budget}")

    def row(label, f):
        return [label] + [f(done[p]) for p in parts]

    def lost(what):
        return lambda s: f"{s[what]['lost']} of {s[what]['acked']}"

    rows = [
        row("students", lambda s: s["students"]),
        row("calls done / planned", lambda s: f"{s['calls']}/{s['calls_planned']}"),
        row("sends of epochs' metrics", lambda s: s["sends"]),
        row("runs FINISHED / planned", lambda s: f"{s['finished']['found']}/{s['runs']['planned']}"),
        row("wall s", lambda s: f"{s['wall']:.1f}" + (" (budget)" if s["stopped"] else "")),
        row("runs/s", lambda s: f"{s['runs_per_s']:.2f}"),
        row("HTTP requests/s", lambda s: f"{s['requests'] / s['wall']:.1f}"),
        row("server CPU ms/request", lambda s: f"{1000 * per_request(s):.0f}"),
        row("latency p50 s", lambda s: f"{s['p50']:.3f}"),
        row("latency p95 s", lambda s: f"{s['p95']:.3f}"),
        row("latency max s", lambda s: f"{s['max']:.2f}"),
        row("p95 s, log_model aside", lambda s: f"{s['p95_no_model']:.3f}"),
        row("p95 s, a log call", lambda s: f"{s['p95_log']:.3f}"),
        row("HTTP request p50 / p95 s", lambda s: f"{s['request_p50']:.3f} / {s['request_p95']:.3f}"),
        row("errors", lambda s: s["errors"]),
        row("client retries: HTTP/connection", lambda s: f"{s['retries'][0]}/{s['retries'][1]}"),
        row("lost runs", lost("runs")),
        row("lost FINISHED status", lost("finished")),
        row("lost metric points", lost("points")),
        row("lost artifacts (run files)", lost("run_files")),
        row("lost logged models", lost("logged_models")),
        row("lost model files", lost("model_files")),
        row("lost model versions", lost("versions")),
        row("not logged points/files", lambda s: f"{s['points']['not_logged']}/"
            f"{s['run_files']['not_logged'] + s['model_files']['not_logged']}"),
        row("extra runs/points/versions",
            lambda s: f"{s['extra']['runs']}/{s['extra']['points']}/{s['extra']['versions']}"),
        row("whole class, estimated s", lambda s: f"{s['wall'] / max(s['done'], 1e-9):.0f}"
            + (" (est.)" if s["done"] < 1 else "")),
    ]
    table(rows, ["figure"] + [TITLES[p] for p in parts])
    print("\n   Latency by call kind (n, p50 / p95 / max s):")
    kinds = []
    for p in parts:
        kinds += [k for k in done[p]["kinds"] if k not in kinds]
    rows = [[k] + [("–" if k not in done[p]["kinds"] else
                    "{} {:.3f}/{:.3f}/{:.2f}".format(*done[p]["kinds"][k])) for p in parts]
            for k in kinds]
    table(rows, ["call"] + [TITLES[p] for p in parts])
    for p in ("postgres",):
        if p not in done:
            continue
        s = done[p]
        complete = s["calls"] >= s["calls_planned"] and not s["stopped"]
        met = s["errors"] == 0 and s["lost"] == 0 and s["p95_log"] < GOAL_P95 and complete
        stopped = ", stopped by the budget" if s["stopped"] else ""
        print(f"\n   Goal, {TITLES[p]}: 0 errors ({s['errors']}), 0 lost ({s['lost']}), p95 of a "
              f"log call < {GOAL_P95:g} s ({s['p95_log']:.3f} s; of any call {s['p95']:.3f} s), "
              "the whole plan done "
              f"({100 * s['done']:.0f}% of the calls{stopped}): {'met' if met else 'NOT met'}")
    if "restart" in done:
        s = done["restart"]
        print(f"   With PostgreSQL restarted during the load: {s['errors']} errors, {s['lost']} "
              f"lost, {sum(s['extra'].values())} extra (no goal set)")


def epochs_note(scale):
    return "epochs " + ", ".join(f"{m.name} {epochs(m, scale)}" for m in MODELS)


def load_averages():
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4, help="the servers' --workers")
    parser.add_argument("--burst", action="store_true",
                        help="no training time: each student's calls back to back, the train "
                             "stages first (a stress test, beyond any class)")
    parser.add_argument("--spread", type=float, default=0.0,
                        help="paced: each student's machine 1 to 1 + SPREAD times as slow as "
                             "TIMELINE's (uniform, seeded by the student's name; 0: all alike, "
                             "in lockstep)")
    parser.add_argument("--scale", type=float, default=None,
                        help="with --burst: epochs logged, as a fraction of the defaults' (at "
                             "least 2; default 0.25)")
    parser.add_argument("--quick", action="store_true", help="--burst --scale 0.05, for a check")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds each part's load may take (0: no bound; default 600, "
                             "with --burst 90)")
    parser.add_argument("--only", default=",".join(DEFAULT_PARTS),
                        help=f"parts, comma-separated: {', '.join(PARTS)}")
    parser.add_argument("--restart-at", type=float, default=None,
                        help="seconds into the load to restart PostgreSQL (default: a third "
                             "of the postgres part's wall time, else of --budget, else 10)")
    parser.add_argument("--nice", type=int, default=0, choices=range(20), metavar="0-19",
                        help="the student processes' niceness: 19 leaves the cores to the "
                             "server and its database first, as when students compute on "
                             "their own machines")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if args.quick:
        args.burst, args.scale = True, 0.05
    if args.scale is not None and not args.burst:
        parser.error("--scale goes with --burst: a paced repro logs the defaults' epochs")
    if args.scale is None:
        args.scale = 0.25 if args.burst else 1.0
    if args.budget is None:
        args.budget = 90.0 if args.burst else 600.0
    only = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(only) - set(PARTS)
    if unknown or not only:
        parser.error(f"--only: {', '.join(sorted(unknown)) or 'nothing'}: not one of {PARTS}")
    users = [f"s{i:02d}" for i in range(1, args.students + 1)]
    base = Path(tempfile.mkdtemp(prefix="lab-load-"))
    base.chmod(0o755)  # the postgres user enters it when this runs as root
    budget = f"each part's load stopped after {args.budget:g} s" if args.budget else "no budget"
    print(f"A class's load: {args.students} students at once, each {len(MODELS)} runs, against "
          f"{', '.join(TITLES[p] for p in PARTS if p in only)}; servers with --workers "
          f"{args.workers}; {budget}")
    print("Paced: each stage's calls when one `make repro` on this machine made them, its "
          "epochs' metrics sent as the stages send them (a request every ten seconds at most)"
          if not args.burst else "Burst: no training time, each student's calls back to back")
    print(f"{'Not scaled' if args.scale == 1 else 'Scaled down'}: --scale {args.scale:g}, "
          f"{epochs_note(args.scale)} (the defaults' "
          f"epochs: {', '.join(str(m.epochs) for m in MODELS)}); the rest of the calls as a "
          f"repro makes them")
    print(f"Clients: nice {args.nice}, MLFLOW_HTTP_REQUEST_MAX_RETRIES="
          f"{os.environ.get('MLFLOW_HTTP_REQUEST_MAX_RETRIES')}, MLFLOW_HTTP_REQUEST_TIMEOUT="
          f"{os.environ.get('MLFLOW_HTTP_REQUEST_TIMEOUT')} (the lab's, from `import rnnlab`); "
          f"MLflow {mlflow.__version__}; {os.cpu_count()} cores; files in {base}", flush=True)
    logging.getLogger("mlflow").setLevel(logging.ERROR)  # the pins differ from this venv's
    done = {}
    try:
        expected_files = expected_model_files(base / "expected")
        planned = plan(args.scale, expected_files)
        print(f"One student: {planned['calls']} MLflow calls, {planned['runs']} runs, "
              f"{planned['points']} metric points, {planned['run_files']} run files, "
              f"{planned['logged_models']} logged models ({planned['model_files']} files), "
              f"{planned['versions']} registered model versions", flush=True)
        for number, part in enumerate([p for p in PARTS if p in only], 1):
            folder = base / part
            folder.mkdir()
            if part == "sqlite":
                server = SqliteServer(folder, args.workers)
            else:
                server = ClassServer(folder, args.workers,
                                     AUTH_CACHE_SECONDS if part == "uncached" else None)
            print(f"\n{number}. {TITLES[part]}: {server.uri} (load averages before: "
                  f"{load_averages()})", flush=True)
            try:
                started = time.perf_counter()
                passwords = server.start(users)
                warm_up(server, args.workers)
                accounts = "no accounts" if part == "sqlite" else f"{len(passwords)} accounts"
                print(f"   server started{', ' + server.note if server.note else ''}; "
                      f"{accounts}; ready in {time.perf_counter() - started:.1f} s", flush=True)
                restart_at = None
                if part == "restart":
                    restart_at = args.restart_at if args.restart_at is not None else (
                        done["postgres"]["wall"] / 3 if "postgres" in done else
                        args.budget / 3 if args.budget else 10.0)
                load = run_load(server, passwords, folder, args, restart_at)
                started = time.perf_counter()
                verified = verify(server, load, expected_files)
                print(f"   (verified in {time.perf_counter() - started:.1f} s; load averages "
                      f"after: {load_averages()})", flush=True)
            finally:
                server.stop()
            done[part] = summarise(load, verified, users, planned)
            print_part(done[part])
        print_summary(done, args)
    finally:
        if args.keep:
            print(f"\nkept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
