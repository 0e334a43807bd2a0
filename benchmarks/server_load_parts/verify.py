"""What a student should leave on the server, and what one client finds there.

``plan`` counts what one student logs in all; ``expected_model_files`` lists the files each
logged model must hold (what a local mlflow.pyfunc.save_model of the same model writes).
``verify`` reads the backend store through MLflow's own client on its database URI, and the
artifacts folder (--artifacts-destination) on disk: not through the HTTP server, whose
basic-auth would make the check cost as much as the load. Everything a student's call was told
had succeeded must be there: the run (FINISHED if its last end_run succeeded), every metric
point (the epochs by step; the evaluation's batches, probed on one key, and every key), every
run file (model_summary.txt, vocab.json, the evaluation's figure at its size, samples.txt), every
logged model, READY, with each of its files, every registered model version, READY.
"""
import collections
import contextlib
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mlflow
import mlflow.pyfunc

from benchmarks.server_load_parts.content import (
    log_model_args,
    make_files,
    quiet,
    run_files,
)
from benchmarks.server_load_parts.repro import (
    BY_NAME,
    EVAL_KEYS,
    MODELS,
    MORE_STAGES,
    TRAIN_METRICS,
    epochs,
    logged_models,
    stages,
)


def plan(scale, expected_files):
    """What one student logs in all: {'calls' (the epochs' sends aside: their number depends on
    the pace), 'runs', 'points', ...}."""
    p = collections.Counter()
    experiments = set()
    per_model = {  # a later stage's calls for one model, its store.check aside: same_run, and
        # its evaluation's metrics, figure, description; text_track's samples.txt
        "evaluate": lambda m, stage: 1 + 3 + (m.kind == "text"),
        "more": lambda m, stage: 1 + 1 + len(MORE_STAGES[m.name][stage][2])}
    for _, stage, body, models in stages(paced=True):
        p["calls"] += 1  # store.check
        for m in models:
            if body != "train":
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


def artifact_path(root, uri):
    """The file path of a proxied artifact URI ('mlflow-artifacts:/1/<run>/artifacts') under
    the server's --artifacts-destination ``root``."""
    return Path(root) / urllib.parse.urlparse(uri).path.lstrip("/")


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
