"""One student's repro: the MLflow calls of the stages, in their order (repro.py's ``stages``),
each timed, each success recorded for the verification (verify.py).

Where the stages call the lab's own functions, so does this: the lab's requests are the ones the
server gets. Every stage here is one that logs (the evaluate and generate stages of the series
and text models write files only and make no request) and begins with
rnnlab.tracking.store.check (one experiments/search, over urllib: once per stage, which is a
process). A train stage: rnnlab/tracking/runs.py's use_experiment (get_experiment_by_name;
create_experiment and its tags the first time), rnnlab/tracking/claims.py's claim
(get_registered_model of its registered name, and the first time create_registered_model with
its tags; the experiment's tag the first time), close_orphans (a search of the account's RUNNING
runs), start_run with the lab's tags (a ~1 KB description among them), log_params (12 to 16),
the epochs' metrics (loss, and val_loss or accuracy where the model has them; the defaults'
epochs: sine 100, stock 27 (early stop), stock_tutorial 41, the text models 100 each, the adding
cells 30, 5 and 13) sent as the stages send them, by rnnlab/tracking/runs.py's EpochMetrics (one
log_batch request for the epochs of each ten seconds, the first and the last epoch at once), the
adding cells' train_seconds and gradient ratios, log_text of the model summary (and vocab.json
for the text models), the Keras model (a pyfunc model with one weights file of the .keras file's
size: no TensorFlow here) and, for the series and text models, the served model:
mlflow.pyfunc.log_model of a tiny python_model (content.py), with the lab's code (the modules of
rnnlab that rnnlab/serving/forecaster.py or generator.py imports, as
rnnlab/tracking/registry.py's served_code gives them to code_paths), a weights file, a
signature, an input example, pinned pip_requirements, registered as '<user>-sine-forecaster',
'<user>-msft-forecaster', '<user>-msft-tutorial-forecaster', '<user>-sixpence-many-to-one' or
'<user>-sixpence-many-to-many'; update_registered_model and update_model_version (the
descriptions); end_run FINISHED. A later stage logs into the run as it is, through
rnnlab/tracking/runs.py's own same_run (the run read, the stage's tag set; not reopened) and
helpers. A series model's series_track, a text model's text_track and the adding cells'
adding_evaluate (one process, a same_run for each of the three runs) log the evaluation as
log_evaluation does: the metrics in one log_batch, the model's own (28, 39, 39, 4, 8 or 2 keys)
for every logged model (model_id), the baselines' and the data's (95, 131, 131, 10, 10 or 1)
once, as in the project's mlflow.db; the figure (log_as: a PNG of 140, 270, 350, 100 or 85 KB,
as figures/evaluation.png, a text model's as figures/history.png); the description (set_tag).
text_track then logs samples.txt (log_text) in the same same_run. The stock model's walk-forward
(84 keys, a 41 KB figure) and strategy (26 keys, strategy.txt, a 100 KB figure) stages,
MORE_STAGES, log their own results. No end_run asks for the whole run to print its address
(MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT, as `import rnnlab` sets it).
"""
import collections
import contextlib
import random
import secrets
import sys
import time
import traceback
from pathlib import Path

import mlflow
import mlflow.pyfunc

import rnnlab  # noqa: F401  (the stages' environment: MLflow's retries and timeout, no telemetry)
from benchmarks.server_load_parts.content import log_model_args, note
from benchmarks.server_load_parts.repro import (
    EVAL_KEYS,
    MORE_STAGES,
    TIMELINE,
    TRAIN_METRICS,
    epochs,
    evaluation_figure,
    stages,
)
from rnnlab.tracking import claims, experiments, orphans, runs

NOTE = "mlflow.note.content"
EPOCHS = "log_batch (epochs)"  # the kind of the epochs' sends


class StageFailed(Exception):
    pass


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
        experiment = self.call("use_experiment", experiments.use_experiment, name,
                               note(random.Random(name), 600), view)
        registers = [f"{self.user}-{model.registered}"] if model.registered else []
        if registers or first:  # else claim makes no request
            maker = {claims.EXAMPLE: model.kind, claims.MODEL: model.name,
                     claims.FORMULATION: "a model"}
            self.call("claim", claims.claim, experiment, maker, registers)
        self.call("close_orphans", orphans.close_orphans)
        commit = secrets.token_hex(20)
        tags = {f"dvc.stage.{stage}": f"{stage}@{model.name}", "git.commit": commit,
                "git.dirty": "False", "dvc.exp_name": "workspace", "dvc.baseline_rev": commit,
                "params.hash": secrets.token_hex(6), **orphans.owner_tags(), NOTE: note(self.rng)}
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
            if batch.due(last=epoch + 1 == n):  # as rnnlab/nets/progress.py has them sent
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
        """A track stage's (or adding_evaluate's) same_run: rnnlab/tracking/runs.py's
        log_evaluation, its three requests timed apart: the metrics for every logged model in one
        log_batch (runs.evaluation_points), the figure (log_as), the description; then, for a
        text model (text_track), its samples (log_text)."""
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
                      evaluation_figure(model))
            acked["files"].append(evaluation_figure(model))
            self.call("set_tag", client.set_tag, run.info.run_id, NOTE, note(self.rng, 1100))
            if model.kind == "text":
                self.call("log_text", runs.log_text, note(self.rng, 500), "samples.txt")
                acked["files"].append("samples.txt")

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

    def stage(self, name, body, models):
        """Run stage ``name``, a process of its own (the store checked once; MLflow's caches
        empty), on those of ``models`` whose earlier stages did not fail: its method ``body``
        (train, evaluate or more) for each. On a failed call, end the run as the stage's process
        would (FAILED for a train stage, else as it was: rnnlab/tracking/runs.py's same_run) and
        skip these models' later stages, as DVC would."""
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
                getattr(self, body)(model, name)
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
