"""An optional diagnostic uses as much as the data holds: the fed-back forecast's horizon, the
n-gram baseline's order and the gradient measurement's test sequences are lowered to what the
data allows (said in a line, recorded beside the result, said in the report), and only a
test part with no value to forecast stops a stage, in one line. (The walk-forward's folds:
tests/test_walkforward.py.)"""
import csv
import json

import numpy as np
import pytest
import yaml

from rnnlab.core.errors import LabError
from tests.conftest import (
    assert_one_line_error,
    edit_params,
    git_commit,
    run,
    stage_command,
    tiny_adding,
)


def stage(project, name):
    """Stage ``name`` (``sine_data``, ``adding_data@100``) run by hand, as dvc.yaml runs it."""
    return run(stage_command(project, name), cwd=project, check=False)


def params_of(project):
    return yaml.safe_load((project / "params.yaml").read_text())


# ---- the fed-back forecast: <data>_evaluate.horizon ----

KEYS = ("series.sine.horizon", "sine_data.held_out")


def test_forecast_steps_are_the_horizon_or_the_whole_test_part():
    from stages.series_evaluate import forecast_steps

    assert forecast_steps(50, 20, KEYS) == (20, None)
    assert forecast_steps(20, 20, KEYS) == (20, None)
    used, why = forecast_steps(7, 20, KEYS)
    assert used == 7
    assert "'series.sine.horizon' asks for 20 steps" in why and "holds 7 values" in why
    assert forecast_steps(1, 20, KEYS)[0] == 1
    with pytest.raises(LabError, match=r"no values.*'series\.sine\.horizon'.*'sine_data\.held_out'"):
        forecast_steps(0, 20, KEYS)


def test_a_test_part_shorter_than_the_horizon_is_forecast_whole(project):
    asked = params_of(project)["series"]["sine"]["horizon"]
    held = asked // 4  # a test part too short for the default horizon
    assert held >= 1

    def short(p):
        p["sine_data"]["held_out"] = held
        p["series"]["sine"]["epochs"] = 2  # the forecast is the point, not the fit

    edit_params(project, short)
    git_commit(project, "a short test part")
    for name in ("sine_data", "series_train@sine"):
        assert stage(project, name).returncode == 0, name
    done = stage(project, "series_evaluate@sine")
    assert done.returncode == 0, done.stderr
    assert (f"series_evaluate@sine: 'series.sine.horizon' asks for {asked} steps, but the test "
            f"part holds {held} values: forecasting {held}") in done.stdout
    assert f"forecast of {held}:" in done.stdout
    metrics = json.loads((project / "metrics/sine.json").read_text())
    assert metrics["forecast"]["horizon"] == {"asked": asked, "used": held, "test_values": held}
    with open(project / "plots/sine_forecast.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == held
    test_values = np.load(project / "data/sine/test.npz")["values"][:, 0]
    np.testing.assert_allclose([float(r["target"]) for r in rows], test_values,
                               rtol=1e-5, atol=1e-6)  # the CSV's 6 digits


def test_a_test_part_without_values_is_one_line(project):
    """Not even one step fits: refused before anything is loaded or written."""
    assert stage(project, "sine_data").returncode == 0
    path = project / "data/sine/test.npz"
    with np.load(path) as data:
        parts = {key: data[key] for key in data.files}
    np.savez(path, **{key: value[:0] if key != "columns" else value for key, value in parts.items()})
    assert_one_line_error(stage(project, "series_evaluate@sine"),
                          "data/sine/test.npz has no values", "'series.sine.horizon'",
                          "'sine_data.held_out'")
    assert not (project / "metrics/sine.json").exists()
    assert not (project / "plots/sine_forecast.csv").exists()


def test_the_report_says_when_the_forecast_is_shorter_than_asked():
    from rnnlab.report.markdown import horizon_note

    assert horizon_note({"asked": 20, "used": 20, "test_values": 300}, "series.stock.horizon") == ""
    note = horizon_note({"asked": 20, "used": 6, "test_values": 6}, "series.stock.horizon")
    assert "6 steps" in note and "`series.stock.horizon` asks for 20" in note
    assert "holds only 6 values" in note


# ---- the n-gram baseline: text_baselines.ngram_order (its stage: tests/test_stage_errors.py) ----
# ---- the gradient measurement: adding_train.gradient_sequences ----

def test_the_report_says_over_how_many_sequences_the_gradients_are_averaged():
    from rnnlab.report.adding import gradient_sequences

    p = {"adding_train": {"gradient_sequences": 256}, "adding_data": {"test_size": 1024}}
    assert gradient_sequences(p) == "the first 256 test sequences"
    p["adding_data"]["test_size"] = 100
    said = gradient_sequences(p)
    assert said.startswith("all 100 test sequences")
    assert "`adding_train.gradient_sequences` asks for 256" in said


def gradients(project, length):
    with open(project / f"plots/adding/simple_rnn_{length}_gradients.csv", newline="") as f:
        return [float(row["untrained"]) for row in csv.DictReader(f)]


def test_gradient_sequences_beyond_the_test_set_average_over_all_of_it(project):
    """A test set smaller than adding_train.gradient_sequences: the stage averages over all of
    it, says so and records the count; the untrained network's gradient norms are those of
    asking for exactly that many."""
    from mlflow import MlflowClient

    def tiny(p):
        tiny_adding(p, cells=["simple_rnn"])
        p["adding_data"]["test_size"] = p["adding_train"]["gradient_sequences"] // 2

    edit_params(project, tiny)
    git_commit(project, "a small test set")
    p = params_of(project)
    length, = p["adding_data"]["lengths"]
    asked, size = p["adding_train"]["gradient_sequences"], p["adding_data"]["test_size"]
    assert stage(project, f"adding_data@{length}").returncode == 0
    done = stage(project, f"adding_train@simple_rnn-{length}")
    assert done.returncode == 0, done.stderr
    assert (f"'adding_train.gradient_sequences' asks for {asked} test sequences, but "
            f"'adding_data.test_size' makes {size}: averaging the gradient norms over {size}"
            ) in done.stdout
    run_id = json.loads((project / f"runs/adding/simple_rnn_{length}.json").read_text())["run_id"]
    logged = MlflowClient(tracking_uri=f"sqlite:///{project}/mlflow.db").get_run(run_id).data.params
    assert logged["gradient_sequences"] == str(asked)
    assert logged["gradient_sequences_used"] == str(size)
    clamped = gradients(project, length)

    edit_params(project, lambda p: p["adding_train"].update(gradient_sequences=size))
    done = stage(project, f"adding_train@simple_rnn-{length}")
    assert done.returncode == 0, done.stderr
    assert "averaging the gradient norms over" not in done.stdout
    assert gradients(project, length) == clamped
