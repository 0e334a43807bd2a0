"""End to end: the real `dvc repro` on a fresh copy of the project, with tiny epochs."""
import json
import sys

import mlflow
import pytest
import yaml
from mlflow import MlflowClient

from tests.conftest import git_commit, run, tool

EPOCHS = 2
SINE_STAGES = {"sine_data", "sine_train", "sine_evaluate"}
TEXT_STAGES = {"text_encode", *(f"text_{s}@{v}" for s in ("train", "evaluate", "generate")
                                for v in ("many_to_one", "many_to_many"))}


def ran(output):
    """The stages a `dvc repro` output says it ran."""
    return {line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")}


def edit_params(project, change):
    path = project / "params.yaml"
    p = yaml.safe_load(path.read_text())
    change(p)
    path.write_text(yaml.safe_dump(p, sort_keys=False))


@pytest.fixture(scope="module")
def repro(tmp_path_factory):
    from tests.conftest import copy_project

    project = copy_project(tmp_path_factory.mktemp("e2e") / "lab")

    def tiny(p):
        p["sine_train"]["epochs"] = EPOCHS
        for variant in p["text_train"].values():
            variant["epochs"] = EPOCHS

    edit_params(project, tiny)
    git_commit(project, "tiny epochs")
    first = run([tool("dvc"), "repro"], cwd=project)
    return project, first.stdout


@pytest.mark.slow
def test_every_stage_runs_and_every_output_exists(repro):
    project, out = repro
    assert ran(out) == SINE_STAGES | TEXT_STAGES | {"report"}
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    declared = [o["path"] for st in lock["stages"].values() for o in st.get("outs", [])]
    assert len(declared) >= 20
    for path in declared:
        assert (project / path).exists(), path
    samples = (project / "reports/samples/many_to_one.txt").read_text()
    assert samples.startswith("'Sing a son' -> 'Sing a son")
    page = (project / "reports/README.md").read_text()
    for needle in ("figures/sine.png", "many_to_many", "'king was i' ->"):
        assert needle in page


@pytest.mark.slow
def test_dvc_metrics_show_lists_every_model(repro):
    project, _ = repro
    shown = json.loads(run([tool("dvc"), "metrics", "show", "--json"], cwd=project).stdout)
    files = next(iter(shown.values()))["data"]
    assert {"metrics/sine.json", "metrics/text_many_to_one.json",
            "metrics/text_many_to_many.json"} <= set(files)
    sine = files["metrics/sine.json"]["data"]
    assert set(sine) == {"mse", "mae", "untrained_mse", "untrained_mae"}
    text = files["metrics/text_many_to_many.json"]["data"]
    assert {"loss", "accuracy", "bits_per_char", "sequence_accuracy"} <= set(text)


@pytest.mark.slow
def test_mlflow_holds_one_run_per_model(repro):
    project, _ = repro
    mlflow.set_tracking_uri(f"sqlite:///{project}/mlflow.db")
    client = MlflowClient()
    for name, run_file, evals in [("sine", "runs/sine.json", {"eval_mse", "eval_mae"}),
                                  ("sixpence", "runs/text_many_to_one.json", {"eval_accuracy"}),
                                  ("sixpence", "runs/text_many_to_many.json", {"eval_accuracy"})]:
        info = json.loads((project / run_file).read_text())
        r = client.get_run(info["run_id"])
        assert r.info.status == "FINISHED"
        assert client.get_experiment(r.info.experiment_id).name == name
        history = client.get_metric_history(r.info.run_id, "loss")
        assert [m.step for m in history] == list(range(EPOCHS))
        assert evals <= set(r.data.metrics)
        assert r.data.params["epochs"] == str(EPOCHS)
        assert r.data.tags["git.commit"]
        logged = client.search_logged_models([r.info.experiment_id])
        assert any(m.source_run_id == r.info.run_id for m in logged)
    text_run = client.get_run(json.loads((project / "runs/text_many_to_one.json").read_text())["run_id"])
    assert "accuracy" in text_run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(text_run.info.run_id)}
    model_id = next(m.model_id for m in client.search_logged_models([text_run.info.experiment_id])
                    if m.source_run_id == text_run.info.run_id)
    portable = ("import sys, numpy as np, mlflow.keras; m = mlflow.keras.load_model(sys.argv[1]); "
                "print(m.predict(np.array([[8, 19, 23, 17]], dtype='int32'), verbose=0).shape)")
    loaded = run([sys.executable, "-c", portable, f"models:/{model_id}"], cwd=project.parent,
                 env={"MLFLOW_TRACKING_URI": f"sqlite:///{project}/mlflow.db"})
    assert loaded.stdout.strip().endswith("(1, 34)")  # loads without the project's code
    assert {"vocab.json", "samples", "figures"} <= artifacts


@pytest.mark.slow
def test_second_repro_runs_nothing_and_sine_params_rerun_only_sine(repro):
    project, _ = repro
    git_commit(project, "outputs of the first run")
    assert ran(run([tool("dvc"), "repro"], cwd=project).stdout) == set()

    edit_params(project, lambda p: p["sine_data"].update(n_samples=30))
    again = ran(run([tool("dvc"), "repro"], cwd=project).stdout)
    assert again == SINE_STAGES | {"report"}
    with open(project / "data/sine.npz", "rb") as f:
        import numpy as np
        assert np.load(f)["X"].shape == (27, 3, 1)


@pytest.mark.slow
def test_failing_stage_leaves_no_output(repro):
    project, _ = repro
    edit_params(project, lambda p: p["text_generate"].update(prompts=["Sing ж"]))
    proc = run([tool("dvc"), "repro", "text_generate@many_to_one"], cwd=project, check=False)
    assert proc.returncode != 0
    assert "error: params.yaml: text_generate.prompts: 'Sing ж' has characters not in" in proc.stderr
    assert not (project / "reports/samples/many_to_one.txt").exists()
