"""End to end: the real `dvc repro` on a fresh copy of the project, with tiny epochs."""
import json
import os
import shlex
import sys
from pathlib import Path

import mlflow
import mlflow.pyfunc
import pytest
import yaml
from mlflow import MlflowClient

from rnnlab.report.samples import page as sample_lines
from tests.conftest import (
    PIPELINE_EPOCHS,
    SERVED_EPOCHS,
    STOCK_STAGES,
    TINY_CELLS,
    TINY_LENGTHS,
    edit_params,
    free_port,
    git_commit,
    invoke,
    ran,
    run,
    server,
    tool,
    trained_copy,
)

EPOCHS = PIPELINE_EPOCHS
SINE_STAGES = {"sine_data", "series_train@sine", "series_evaluate@sine", "series_track@sine"}
TEXT_STAGES = {"text_encode", "text_baselines",
               *(f"text_{s}@{v}" for s in ("train", "evaluate", "generate", "track")
                 for v in ("many_to_one", "many_to_many"))}
ADDING_STAGES = {*(f"adding_data@{t}" for t in TINY_LENGTHS), "adding_evaluate",
                 *(f"adding_train@{c}-{t}" for c in TINY_CELLS for t in TINY_LENGTHS)}


@pytest.fixture(scope="module")
def repro(pipeline, tmp_path_factory):
    """The session's pipeline (conftest.py: every stage run by `dvc repro` at tiny epochs), in
    a copy of its own: the tests below change params and run `dvc repro` again."""
    project = trained_copy(pipeline, tmp_path_factory.mktemp("e2e") / "lab")
    return project, pipeline.output


@pytest.mark.slow
def test_every_stage_runs_and_every_output_exists(repro):
    project, out = repro
    assert ran(out) == SINE_STAGES | STOCK_STAGES | TEXT_STAGES | ADDING_STAGES | {"report"}
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    declared = [o["path"] for st in lock["stages"].values() for o in st.get("outs", [])]
    assert len(declared) >= 20
    for path in declared:
        assert (project / path).exists(), path
    samples = (project / "reports/samples/many_to_one.txt").read_text()
    assert samples.startswith("T=0 (greedy)\n  'Sing a son' -> 'Sing a son")
    assert "T=0.5\n" in samples and "T=1\n" in samples
    # The same samples as data, which the report reads: the .txt is their lines for people
    data = json.loads((project / "reports/samples/many_to_one.json").read_text())
    assert sample_lines(data["samples"]) == samples
    assert [(s["prompt"], s["temperature"]) for s in data["samples"][:3]] == [
        ("Sing a son", 0.0), ("king was i", 0.0), ("hello worl", 0.0)]
    assert data["length"] == 20 and data["window"] == 10 and data["variant"] == "many_to_one"
    page = (project / "reports/README.md").read_text()
    assert f"```\n{samples}```\n" in page  # the page quotes them as the .txt holds them
    for needle in ("figures/sine.png", "many_to_many", "'king was i' ->", "AR(3)",
                   "test part, forecast fed back", "4-character n-gram baseline",
                   "unigram baseline", "ceiling of a 10-character window", "Example 4",
                   "figures/stock.png", "AR(20)", "Theil's U", "`data/msft.csv`",
                   "figures/stock_tutorial.png", "Walk-forward", "Could one trade on it?",
                   "figures/stock_walkforward.png", "figures/stock_strategy.png",
                   "Example 5", "figures/adding.png", "predict the mean (baseline)",
                   "The lecture beside the lab", "`Sing a song of sixpence, a poc`"):
        assert needle in page
    assert "On the test part (2013-02-13 to 2017-11-10, 1197 days), one step ahead" in page
    rows = {line.split(" | ")[0].lstrip("| "): line for line in page.splitlines()
            if line.startswith("| LSTM(32), the")}
    assert set(rows) == {"LSTM(32), the lab's", "LSTM(32), the tutorials'"}
    for row in rows.values():  # a verdict on each, beside the random walk
        assert "the random walk" in row and "Diebold-Mariano p" in row
    assert any(line.startswith("| persistence |") and line.endswith("| the random walk itself |")
               for line in page.splitlines())


IGNORED = (".git/", ".dvc/", "mlartifacts/", "mlflow.db", "params.yaml")
"""Files a stage opens that are no DVC dep or out: git's and DVC's own, the MLflow store, and
params.yaml (its keys are declared as params)."""


def opened_by_stages(folder, project):
    """{stage: (files read, files written)} in the project, from the logs of
    tests/file_audit/sitecustomize.py; code (.py) apart: {stage: modules read}."""
    files, code = {}, {}
    for log in folder.glob("*.txt"):
        stage = log.name.rsplit(".", 2)[0]
        read, written = files.setdefault(stage, (set(), set()))
        for line in log.read_text(encoding="utf-8").splitlines():
            how, path = line.split(" ", 1)
            rel = os.path.relpath(path, project)
            if rel.startswith("..") or not os.path.isfile(path) or "__pycache__" in rel \
                    or rel.startswith(IGNORED):
                continue  # (not a file: a folder, or a name a library only tried)
            if rel.endswith(".py"):
                code.setdefault(stage, set()).add(rel)
            else:
                (written if how == "w" else read).add(rel)
    return files, code


NAMED_IN_CMD = ("text_", "adding_", "sine_data", "stock_data", "series_")
"""The stages that open only the files their cmd names (rnnlab/core/arguments.py), naming
every dep and out there: all but the report, whose cmd names the other stages' files and
folders it reads, but not the lecture's files nor the page it writes."""


def inside(path, folder):
    """``path`` is ``folder`` or a path inside it."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def cmd_paths(cmd, project):
    """The paths a stage's cmd names: the value of each option (``--vocab data/text/vocab.json``)
    and each argument that is a path of the project (``data/sixpence.txt``)."""
    words = shlex.split(cmd)[3:]  # after `python -m stages.<name>`
    values = {value for option, value in zip(words, words[1:]) if option.startswith("--")}
    return values | {w for w in words if not w.startswith("--") and (project / w).exists()}


@pytest.mark.slow
def test_every_stage_opens_what_dvc_yaml_declares_for_it(pipeline):
    """dvc.yaml is the map: every stage, run by `dvc repro`, reads only files declared as its
    deps (a file, or one inside a declared folder), writes exactly its outs, and imports every
    module declared as its dep; every path its cmd names is a dep or an out; and every stage
    but the report opens only files its cmd names, where it names every dep and out but code.
    dvc.yaml as DVC's API reads it."""
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    project = pipeline.project
    with Repo(str(project)) as repo:
        declared = {stage.name: ({d.def_path for d in stage.deps
                                  if not isinstance(d, ParamsDependency)},
                                 {o.def_path for o in stage.outs})
                    for stage in repo.index.stages}
        cmds = {stage.name: stage.cmd for stage in repo.index.stages}
    opened, code = opened_by_stages(pipeline.opened, project)
    assert set(opened) == set(declared)
    wrong = []
    for stage, (deps, outs) in declared.items():
        read, written = opened[stage]
        if written != outs:
            wrong.append(f"{stage} writes {sorted(written - outs)}, not {sorted(outs - written)}")
        undeclared = [path for path in read - written
                      if not any(inside(path, dep) for dep in deps)]
        if undeclared:
            wrong.append(f"{stage} reads {sorted(undeclared)}, not among its deps")
        unused = {dep for dep in deps if dep.endswith(".py")} - code.get(stage, set())
        if unused:
            wrong.append(f"{stage} never imports its deps {sorted(unused)}")
        named = cmd_paths(cmds[stage], project)
        loose = [path for path in named if not any(inside(path, d) for d in deps | outs)]
        if loose:
            wrong.append(f"{stage}'s cmd names {sorted(loose)}, neither deps nor outs of it")
        if stage.startswith(NAMED_IN_CMD):
            unnamed = [path for path in read | written
                       if not any(inside(path, n) for n in named)]
            if unnamed:
                wrong.append(f"{stage} opens {sorted(unnamed)}, not named in its cmd")
            missing = {p for p in deps | outs if not p.endswith(".py")} - named
            if missing:
                wrong.append(f"{stage}'s cmd does not name its deps or outs {sorted(missing)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.slow
def test_dvc_metrics_show_lists_every_model(repro):
    project, _ = repro
    shown = json.loads(run([tool("dvc"), "metrics", "show", "--json"], cwd=project).stdout)
    files = next(iter(shown.values()))["data"]
    text_files = ["metrics/text_many_to_one.json", "metrics/text_many_to_many.json",
                  "metrics/text_ngram.json", "metrics/text_unigram.json"]
    assert {"metrics/sine.json", "metrics/text_ceiling.json", *text_files} <= set(files)
    sine = files["metrics/sine.json"]["data"]
    assert set(sine) == {"train", "test", "forecast"}  # the sine has no validation part
    for part in sine.values():
        assert set(part["mse"]) >= {"model", "persistence", "drift", "ar"}
        assert part["mse"]["ar"] < 1e-20  # exact for the clean sine, fed back or not
        assert part["mse"]["persistence"] > 0.1
        assert "mape" not in part  # a sine crosses zero: no percentage error
    stock = files["metrics/stock.json"]["data"]
    assert set(stock) == {"train", "val", "test", "forecast"}
    for name in ("val", "test"):
        part = stock[name]
        assert set(part) >= {"mse", "rmse", "mae", "mape", "theil_u", "direction", "up_share",
                             "dm_pvalue", "repeats_training"}
        assert set(part["rmse"]) == {"model", "persistence", "drift", "ar"}
        assert part["theil_u"]["persistence"] == 1.0
        assert 0 <= part["dm_pvalue"]["model"] <= 1 and 0.3 < part["up_share"] < 0.7
        assert part["repeats_training"] == 0.0
        assert part["rmse"]["ar"] < 1.1 * part["rmse"]["persistence"]  # prices: close to a random walk
    assert "untrained" in stock["train"]["rmse"]
    # Models and baselines on the same split (the rhyme: val 0, so the training text), same names
    text = {path: files[path]["data"]["train"] for path in text_files}
    for scores in text.values():
        assert {"loss", "accuracy", "bits_per_char", "perplexity", "windows"} <= set(scores)
        assert scores["windows"] == 396
    assert "sequence_accuracy" in text["metrics/text_many_to_many.json"]
    # No predictor of the window beats the ceiling; the unigram is far below it
    ceiling = files["metrics/text_ceiling.json"]["data"]["train"]["accuracy"]
    assert 0.95 < ceiling <= 1
    assert all(scores["accuracy"] <= ceiling + 1e-12 for scores in text.values())
    assert text["metrics/text_unigram.json"]["accuracy"] < 0.3


@pytest.mark.slow
def test_mlflow_holds_one_run_per_model(repro):
    project, _ = repro
    mlflow.set_tracking_uri(f"sqlite:///{project}/mlflow.db")
    client = MlflowClient()
    text_evals = {"eval_train_accuracy", "eval_train_perplexity", "eval_train_accuracy_ngram",
                  "eval_train_accuracy_unigram", "eval_train_accuracy_ceiling"}
    stock_evals = {"eval_test_rmse_model", "eval_test_theil_u_ar", "eval_test_dm_pvalue_model",
                   "eval_val_rmse_persistence", "eval_forecast_rmse_drift"}
    for name, run_file, evals in [("sine", "runs/sine.json", {"eval_test_mse_model",
                                                              "eval_forecast_mse_ar"}),
                                  ("msft", "runs/stock.json", stock_evals),
                                  ("sixpence", "runs/text_many_to_one.json", text_evals),
                                  ("sixpence", "runs/text_many_to_many.json", text_evals)]:
        info = json.loads((project / run_file).read_text())
        r = client.get_run(info["run_id"])
        assert r.info.status == "FINISHED"
        assert client.get_experiment(r.info.experiment_id).name == name
        history = client.get_metric_history(r.info.run_id, "loss")
        epochs = SERVED_EPOCHS if run_file.endswith("many_to_one.json") else EPOCHS
        assert [m.step for m in history] == list(range(epochs))
        assert evals <= set(r.data.metrics)
        if name == "msft":  # the val part is scored every epoch
            assert [m.step for m in client.get_metric_history(r.info.run_id, "val_loss")] == [0, 1]
        assert r.data.params["epochs"] == str(epochs)
        assert len(r.data.tags["params.hash"]) == 12
        assert r.data.tags["git.commit"] == r.data.tags["dvc.baseline_rev"]
        assert r.data.tags["dvc.exp_name"] == "workspace" and r.data.tags["git.dirty"] == "False"
        logged = client.search_logged_models([r.info.experiment_id])
        assert any(m.source_run_id == r.info.run_id for m in logged)
    text_run = client.get_run(json.loads((project / "runs/text_many_to_one.json").read_text())["run_id"])
    assert "accuracy" in text_run.data.metrics
    # Example 4: two models side by side in one experiment, told apart by a tag; the lab's
    # run also holds its walk-forward and trading figures.
    lab, tutorial = (client.get_run(json.loads((project / f"runs/{m}.json").read_text())["run_id"])
                     for m in ("stock", "stock_tutorial"))
    assert lab.info.experiment_id == tutorial.info.experiment_id
    assert lab.data.tags["lab.formulation"].startswith("scale-free")
    assert tutorial.data.tags["lab.formulation"].startswith("tutorial")
    assert stock_evals <= set(tutorial.data.metrics)
    assert {"wf_pooled_theil_u_model", "wf_fold_1_dm_pvalue_model", "trade_strategy_sharpe",
            "trade_buy_and_hold_cumulative_return", "trade_direction_p_vs_half"} <= set(lab.data.metrics)
    assert {a.path for a in client.list_artifacts(lab.info.run_id, "figures")} >= {
        "figures/walkforward.png", "figures/strategy.png", "figures/evaluation.png"}
    assert client.search_model_versions("name='msft-tutorial-forecaster'")
    artifacts = {a.path for a in client.list_artifacts(text_run.info.run_id)}
    model_id = next(m.model_id for m in client.search_logged_models([text_run.info.experiment_id])
                    if m.source_run_id == text_run.info.run_id and m.name == "many_to_one-keras")
    portable = ("import sys, numpy as np, mlflow.keras; m = mlflow.keras.load_model(sys.argv[1]); "
                "print(m.predict(np.array([[8, 19, 23, 17]], dtype='int32'), verbose=0).shape)")
    loaded = run([sys.executable, "-c", portable, f"models:/{model_id}"], cwd=project.parent,
                 env={"MLFLOW_TRACKING_URI": f"sqlite:///{project}/mlflow.db"})
    assert loaded.stdout.strip().endswith("(1, 34)")  # loads without the project's code
    assert {"vocab.json", "samples.txt", "figures", "model_summary.txt"} <= artifacts


@pytest.mark.slow
def test_what_the_ui_reads(repro):
    """What the MLflow UI shows first, read through MLflow's API: experiments open on their
    runs and say what they are; runs, registered models and versions explain themselves; a
    logged model carries the trained model's last-epoch and evaluation metrics (not epoch 0's),
    and not the baselines' (the run has them);
    runs of a kind name their artifacts alike; params are params.yaml's, without autologging's."""
    project, _ = repro
    client = MlflowClient(tracking_uri=f"sqlite:///{project}/mlflow.db")
    for name in ("sine", "msft", "sixpence", "adding-problem"):
        experiment = client.get_experiment_by_name(name)
        assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
        assert "reports/README.md" in experiment.tags["mlflow.note.content"]
        # its runs table's view: the description links it, and each column is a metric or a
        # param its runs have (a misspelt one would be an empty column)
        view = json.loads(experiment.tags["mlflow.sharedViewState.lab"])["selectedColumns"]
        assert f"#/experiments/{experiment.experiment_id}/runs?viewStateShareKey=lab" in \
            experiment.tags["mlflow.note.content"]
        found = client.search_runs([experiment.experiment_id])
        have = {f"metrics.`{k}`" for r in found for k in r.data.metrics} | \
               {f"params.`{k}`" for r in found for k in r.data.params}
        assert view and set(view) <= have, set(view) - have
    for run_file, kind, figure in [("runs/sine.json", "forecaster", "figures/evaluation.png"),
                                   ("runs/stock.json", "forecaster", "figures/evaluation.png"),
                                   ("runs/text_many_to_one.json", "generator", "figures/history.png"),
                                   ("runs/text_many_to_many.json", "generator", "figures/history.png")]:
        info = json.loads((project / run_file).read_text())
        r = client.get_run(info["run_id"])
        note = r.data.tags["mlflow.note.content"]
        assert "**Model.**" in note and "**Result.**" in note and "**Metrics.**" in note
        assert "not evaluated yet" not in note
        assert not [k for k in r.data.params if k.startswith("optimizer_") or k == "opt_name"]
        assert r.data.params["learning_rate"] in ("0.001", "0.01")
        assert figure in {a.path for a in client.list_artifacts(r.info.run_id, "figures")}
        last = max(client.get_metric_history(r.info.run_id, "loss"), key=lambda m: m.step)
        assert last.step > 0  # (no early stop in these few epochs)
        assert set(info["models"]) == {"keras", kind}
        for model_id in info["models"].values():
            linked = {m.key: m for m in client.get_logged_model(model_id).metrics}
            assert (linked["loss"].step, linked["loss"].value) == (last.step, last.value)
            assert any(key.startswith("eval_") for key in linked)
            # the baselines' scores are the run's, not the model's
            baselines = {k for k in r.data.metrics
                         if k.endswith(("_persistence", "_ngram", "_unigram", "_ceiling"))}
            assert baselines and not baselines & set(linked), baselines & set(linked)
        names = {client.get_logged_model(i).name for i in info["models"].values()}
        assert len(names) == 2
    text_run = client.get_run(json.loads((project / "runs/text_many_to_one.json").read_text())["run_id"])
    assert "samples.txt" in {a.path for a in client.list_artifacts(text_run.info.run_id)}
    for registered in ("sixpence-many-to-one", "sixpence-many-to-many", "sine-forecaster",
                       "msft-forecaster"):
        model = client.get_registered_model(registered)
        (version,) = client.search_model_versions(f"name='{registered}'")
        assert "NumPy" in model.description
        assert "curl -s http://127.0.0.1:5001/invocations" in version.description


@pytest.mark.slow
def test_generators_are_registered_and_served(repro):
    project, _ = repro
    uri = f"sqlite:///{project}/mlflow.db"
    client = MlflowClient(tracking_uri=uri)
    for variant in ("many_to_one", "many_to_many"):
        name = "sixpence-" + variant.replace("_", "-")
        (version,) = client.search_model_versions(f"name='{name}'")
        assert version.run_id == json.loads((project / f"runs/text_{variant}.json").read_text())["run_id"]

    port = free_port()
    cmd = [tool("mlflow"), "models", "serve", "-m", "models:/sixpence-many-to-one/1",
           "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)]
    with server(cmd, f"http://127.0.0.1:{port}/ping", cwd=project.parent,
                env={"MLFLOW_TRACKING_URI": uri}):
        status, out = invoke(port, {"inputs": ["Sing a son"], "params": {"length": 13}})
        assert status == 200 and out["predictions"] == ["Sing a song of sixpence"]
        status, out = invoke(port, {"inputs": ["Sing a son", "king"],
                                    "params": {"length": 5, "temperature": 1.0}})
        assert status == 200 and [len(t) for t in out["predictions"]] == [15, 9]
        status, out = invoke(port, {"inputs": ["Sing é"]})
        assert status == 400 and "'é'" in out["message"]


@pytest.mark.slow
@pytest.mark.parametrize("name,example", [
    ("sixpence-many-to-one", "['Sing a son']"),
    ("msft-forecaster", "pd.DataFrame({'Close': np.linspace(80.0, 84.0, 20)})")])
def test_served_models_run_without_tensorflow(repro, name, example):
    """What `mlflow models serve` loads, loaded the same way: it answers, TensorFlow and Keras
    never imported, and its requirements do not ask for them."""
    project, _ = repro
    script = ("import sys, numpy as np, pandas as pd, mlflow.pyfunc; "
              f"m = mlflow.pyfunc.load_model('models:/{name}/1'); print(m.predict({example})); "
              "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = run([sys.executable, "-c", script], cwd=project.parent,
              env={"MLFLOW_TRACKING_URI": f"sqlite:///{project}/mlflow.db"}).stdout
    assert out.strip().splitlines()[-1] == "False False", out
    mlflow.set_tracking_uri(f"sqlite:///{project}/mlflow.db")
    listed = open(mlflow.pyfunc.get_model_dependencies(f"models:/{name}/1")).read()
    assert "tensorflow" not in listed and "keras" not in listed and "h5py" in listed


@pytest.mark.slow
def test_forecaster_is_registered_and_serves_the_pipelines_prediction(repro):
    """Raw prices of the last test window in, the next close out: the same number the
    evaluate stage wrote for that window."""
    import csv

    import numpy as np

    project, _ = repro
    uri = f"sqlite:///{project}/mlflow.db"
    client = MlflowClient(tracking_uri=uri)
    (version,) = client.search_model_versions("name='msft-forecaster'")
    assert version.run_id == json.loads((project / "runs/stock.json").read_text())["run_id"]
    with np.load(project / "data/stock/test.npz") as test:
        rows = test["values"][-21:-1]  # the 20 days before the last test day
    with open(project / "predictions/stock_test.csv", newline="") as f:
        expected = float(list(csv.DictReader(f))[-1]["model"])

    port = free_port()
    cmd = [tool("mlflow"), "models", "serve", "-m", "models:/msft-forecaster/1",
           "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)]
    with server(cmd, f"http://127.0.0.1:{port}/ping", cwd=project.parent,
                env={"MLFLOW_TRACKING_URI": uri}):
        status, out = invoke(port, {"dataframe_split": {"columns": ["Close"], "data": rows.tolist()}})
        (served,) = out["predictions"]
        assert status == 200 and served == pytest.approx(expected, rel=1e-5)  # the CSV keeps 6 digits
        short = {"dataframe_split": {"columns": ["Close"], "data": rows[:5].tolist()}}
        status, out = invoke(port, short)
        assert status == 400 and "last 20 rows" in out["message"]
    # it carries the lab's modules it imports, and no others (rnnlab/tracking/registry.py, served_code)
    saved = Path(mlflow.artifacts.download_artifacts("models:/msft-forecaster/1", tracking_uri=uri,
                                                     dst_path=str(project.parent / "served")))
    code = {path.relative_to(saved / "code").as_posix()
            for path in (saved / "code" / "rnnlab").rglob("*.py")}
    assert {"rnnlab/__init__.py", "rnnlab/forward/__init__.py", "rnnlab/forward/inference.py",
            "rnnlab/data/scaling.py", "rnnlab/data/limits.py"} <= code
    assert not {path.rsplit("/", 1)[-1] for path in code} & {"server.py", "registry.py",
                                                            "textgen.py", "runs.py"}


@pytest.mark.slow
def test_push_to_a_remote_and_pull_into_a_fresh_clone(repro, tmp_path):
    project, _ = repro
    run([tool("dvc"), "remote", "add", "-d", "shared", str(tmp_path / "remote")], cwd=project)
    git_commit(project, "outputs and a remote")
    run([tool("dvc"), "push"], cwd=project)
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(project), str(clone)], cwd=tmp_path)
    assert not (clone / "models/text_many_to_one.keras").exists()
    run([tool("dvc"), "pull"], cwd=clone)
    assert (clone / "models/text_many_to_one.keras").exists()
    status = json.loads(run([tool("dvc"), "status", "--json"], cwd=clone).stdout)
    assert status == {}  # nothing to rebuild: no retraining


@pytest.mark.slow
def test_second_repro_runs_nothing_and_sine_params_rerun_only_sine(repro):
    project, _ = repro
    git_commit(project, "outputs of the first run")
    assert ran(run([tool("dvc"), "repro"], cwd=project).stdout) == set()

    first_run = json.loads((project / "runs/sine.json").read_text())["run_id"]
    edit_params(project, lambda p: p["sine_data"].update(n_samples=30))
    again = ran(run([tool("dvc"), "repro"], cwd=project).stdout)
    assert again == SINE_STAGES | {"report"}
    with open(project / "data/sine/train.npz", "rb") as f:
        import numpy as np
        assert np.load(f)["values"].shape == (30, 1)
    assert json.loads((project / "runs/sine.json").read_text())["run_id"] != first_run

    # Back to 20 samples: DVC restores the sine stages from its run-cache instead of running
    # them, and the restored run file still names the MLflow run that made those outputs.
    edit_params(project, lambda p: p["sine_data"].update(n_samples=20))
    restored = run([tool("dvc"), "repro"], cwd=project).stdout
    assert "Stage 'series_train@sine' is cached - skipping run, checking out outputs" in restored
    assert json.loads((project / "runs/sine.json").read_text())["run_id"] == first_run

    # A longer held-out future changes what is scored, not what is trained: no retraining.
    edit_params(project, lambda p: p["sine_data"].update(held_out=30))
    assert ran(run([tool("dvc"), "repro"], cwd=project).stdout) == {
        "sine_data", "series_evaluate@sine", "series_track@sine", "report"}
    assert len((project / "predictions/sine_test.csv").read_text().splitlines()) == 1 + 30


@pytest.mark.slow
def test_failing_stage_leaves_no_output(repro):
    project, _ = repro
    edit_params(project, lambda p: p["text_generate"].update(prompts=["Sing ж"]))
    proc = run([tool("dvc"), "repro", "text_generate@many_to_one"], cwd=project, check=False)
    assert proc.returncode != 0
    assert "error: params.yaml: text_generate.prompts: 'Sing ж' has characters not in" in proc.stderr
    assert not (project / "reports/samples/many_to_one.txt").exists()
    assert not (project / "reports/samples/many_to_one.json").exists()


@pytest.mark.slow
def test_example_5_is_a_run_per_cell_and_length_and_a_new_length_trains_only_its_own(repro):
    """The adding problem at the fixture's tiny budget: every (cell, length) scored beside the
    baseline, a run of its own with the same metric names; then a new length trains only its
    own models (runs last: it leaves the new length in params.yaml)."""
    from rnnlab.data import adding

    project, _ = repro
    metrics = json.loads((project / "metrics/adding.json").read_text())
    assert set(metrics) == {f"T{t}" for t in TINY_LENGTHS}
    for length in TINY_LENGTHS:
        scores = metrics[f"T{length}"]
        assert scores["baseline"]["mse_analytic"] == pytest.approx(1 / 6)
        for cell in TINY_CELLS:
            s = scores[cell]
            assert s["mse"] == pytest.approx(s["baseline_ratio"] * scores["baseline"]["mse"])
            assert s["epochs"] <= EPOCHS and s["gradient_ratio"] > 0
            grads = (project / f"plots/adding/{cell}_{length}_gradients.csv").read_text().splitlines()
            assert grads[0] == "distance,untrained,trained" and len(grads) == 1 + length - 1
    assert (project / "reports/figures/adding.png").stat().st_size > 10_000

    client = MlflowClient(tracking_uri=f"sqlite:///{project}/mlflow.db")
    experiment = client.get_experiment_by_name(adding.EXPERIMENT)
    found = client.search_runs([experiment.experiment_id])
    assert sorted((r.data.tags["lab.cell"], r.data.tags["lab.length"]) for r in found) == \
        sorted((c, str(t)) for c in TINY_CELLS for t in TINY_LENGTHS)
    for r in found:  # the same metric names in every run, so Compare lines them up
        assert {"loss", "train_seconds", "gradient_ratio", "eval_test_mse",
                "eval_test_baseline_ratio"} <= set(r.data.metrics)
        assert "**Result.**" in r.data.tags["mlflow.note.content"]

    edit_params(project, lambda p: p["adding_data"].update(lengths=[*TINY_LENGTHS, 6]))
    out = run([tool("dvc"), "repro", "adding_evaluate"], cwd=project).stdout
    assert ran(out) == {"adding_data@6", *(f"adding_train@{c}-6" for c in TINY_CELLS),
                        "adding_evaluate"}


def test_the_committed_lock_holds_the_stages_of_dvc_yaml_and_no_others():
    """dvc.lock records what each stage of dvc.yaml last ran with; DVC keeps the entry of a
    stage that has since gone (a renamed stage, a length no longer in params.yaml), whose
    hashes match nothing. The committed lock holds dvc.yaml's stages, every one, and no other."""
    root = Path(__file__).resolve().parent.parent
    locked = set(yaml.safe_load((root / "dvc.lock").read_text())["stages"])
    listed = set(run([tool("dvc"), "stage", "list", "--name-only"], cwd=root).stdout.split())
    assert locked == listed, {"gone from dvc.yaml": sorted(locked - listed),
                              "never run": sorted(listed - locked)}


def test_the_views_across_files_draw_columns_the_stages_write():
    """dvc.yaml's top-level plots (what `dvc plots show` and `dvc plots diff` draw beside each
    stage's own) name files some stage writes, and columns those files have."""
    root = Path(__file__).resolve().parent.parent
    outs = {out["path"] for stage in yaml.safe_load((root / "dvc.lock").read_text())["stages"]
            .values() for out in stage.get("outs", [])}
    for view in yaml.safe_load((root / "dvc.yaml").read_text())["plots"]:
        (title, spec), = view.items()
        for path, columns in spec["y"].items():
            columns = [columns] if isinstance(columns, str) else columns
            assert path in outs, f"{title!r}: {path} is no stage's output"
            header = (root / path).read_text().splitlines()[0].split(",")
            assert {spec["x"], *columns} <= set(header), f"{title!r}: {path} has {header}"
