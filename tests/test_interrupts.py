"""Ctrl-C and SIGTERM during a real training stage: one line, no outputs, the MLflow run KILLED
(never left RUNNING); a run left RUNNING by a process that died is marked KILLED by the next
run of its stage."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from tests.conftest import run

STOCK_OUTPUTS = ("models/stock.keras", "models/stock_untrained.keras",
                 "models/stock_transform.json", "plots/stock_history.csv", "runs/stock.json")


def set_params(project, section, **values):
    path = project / "params.yaml"
    p = yaml.safe_load(path.read_text())
    p[section].update(values)
    path.write_text(yaml.safe_dump(p, sort_keys=False))


def stage_env():
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return {**env, "MLFLOW_DISABLE_TELEMETRY": "true"}


def wait_for_training(client, timeout=120):
    """The run of the training stage, once it has logged its first epoch."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        experiment = client.get_experiment_by_name("msft")
        runs = client.search_runs([experiment.experiment_id]) if experiment else []
        if runs and client.get_metric_history(runs[0].info.run_id, "loss"):
            return runs[0]
        time.sleep(0.5)
    raise AssertionError(f"training logged no epoch within {timeout} s")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_training_leaves_no_output_and_a_killed_run(project, sig):
    set_params(project, "stock_train", epochs=500, patience=0)  # long enough to interrupt
    run([sys.executable, "-m", "stages.stock_data"], cwd=project)
    proc = subprocess.Popen([sys.executable, "-m", "stages.series_train", "stock"], cwd=project,
                            env=stage_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        client = MlflowClient(tracking_uri=f"sqlite:///{project}/mlflow.db")
        training = wait_for_training(client)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (f"error: interrupted ({sig.name}): no outputs written; "
                                            "its MLflow run, if any, is KILLED")
    assert client.get_run(training.info.run_id).info.status == "KILLED"
    for path in STOCK_OUTPUTS:
        assert not (project / path).exists(), path


def test_a_run_left_running_by_a_dead_process_is_marked_killed(project):
    set_params(project, "sine_train", epochs=1)
    run([sys.executable, "-m", "stages.sine_data"], cwd=project)
    train = [sys.executable, "-m", "stages.series_train", "sine"]
    run(train, cwd=project)  # the experiment exists now
    client = MlflowClient(tracking_uri=f"sqlite:///{project}/mlflow.db")
    experiment = client.get_experiment_by_name("sine").experiment_id
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process that opened a run and was killed before it could close it

    def left_running(pid):
        return client.create_run(experiment, tags={
            "dvc.stage.series_train": "series_train@sine", "lab.host": socket.gethostname(),
            "lab.pid": str(pid)}).info.run_id

    orphan, alive = left_running(gone.pid), left_running(os.getpid())
    again = run(train, cwd=project)
    assert client.get_run(orphan).info.status == "KILLED"
    assert client.get_run(alive).info.status == "RUNNING"  # its process is still there
    assert (f"MLflow run {orphan} was left RUNNING by process {gone.pid}, which no longer exists: "
            "marked KILLED") in again.stderr
    client.set_terminated(alive)
