"""A new model is one section of params.yaml (docs/add-a-model.md), end to end: a GRU on the
sine, added to a copy of the session's pipeline, is trained, scored, logged, registered and on
the results page after one real `dvc repro`, with no change to dvc.yaml or the code, and only
its own stages (and the report) run."""
import json

import pytest
from mlflow import MlflowClient

from tests.conftest import edit_params, ran, run, tool, trained_copy

NEW = {"series_train@sine_gru", "series_evaluate@sine_gru", "series_track@sine_gru", "report"}


@pytest.mark.slow
def test_a_params_section_adds_a_model_end_to_end(pipeline, tmp_path):
    project = trained_copy(pipeline, tmp_path / "lab")
    sine = json.loads((project / "runs/sine.json").read_text())

    def add(p):  # the page's first example: the sine's section copied, another layer
        p["series"]["sine_gru"] = {**p["series"]["sine"], "layer": "gru", "epochs": 2}

    edit_params(project, add)
    out = run([tool("dvc"), "repro"], cwd=project).stdout
    assert ran(out) == NEW, ran(out)

    metrics = json.loads((project / "metrics/sine_gru.json").read_text())
    assert set(metrics["test"]["rmse"]) >= {"model", "persistence", "drift", "ar"}
    for path in ("models/sine_gru.keras", "plots/sine_gru_history.csv",
                 "predictions/sine_gru_test.csv",
                 "reports/figures/sine_gru.png"):
        assert (project / path).is_file(), path

    client = MlflowClient(f"sqlite:///{project}/mlflow.db")
    link = json.loads((project / "runs/sine_gru.json").read_text())
    assert link["experiment_name"] == sine["experiment_name"] == "sine"  # its data's experiment
    logged = client.get_run(link["run_id"])
    assert logged.info.status == "FINISHED" and logged.data.params["layer"] == "gru"
    assert any(key.startswith("eval_") for key in logged.data.metrics)  # the evaluation's too
    model = client.get_registered_model("sine-gru-forecaster")  # '<experiment>-<rest>-forecaster'
    assert model.tags["lab.model"] == "sine_gru"
    assert client.search_model_versions("name='sine-gru-forecaster'")

    page = (project / "reports/README.md").read_text(encoding="utf-8")
    assert "### `sine_gru`: a GRU(10) on the same sine\n" in page
    assert "(figures/sine_gru.png)" in page and link["run_id"] in page
    assert json.loads((project / "runs/sine.json").read_text()) == sine  # the others as they were
