"""A copied or moved checkout never touches the original's files: the lab's artifact locations
are relative to the SQLite store (``checkout:/mlartifacts/<experiment>``, resolved by the
plugin plugin/rnnlab_checkout.py), and an older store's absolute ones are converted once
(rnnlab/tracking/relocation.py). The real commands: a stage, `cp -a`, `mv`, `mlflow runs
delete`, `mlflow gc`, `make ui`."""
import json
import os
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import mlflow
import pytest

from rnnlab.core.errors import LabError
from rnnlab.core.outputs import read_json
from rnnlab.tracking import relocation, store
from tests.conftest import (
    ROOT,
    assert_one_line_error,
    copy_project,
    edit_params,
    run,
    stage_command,
    tool,
    wait_http,
)
from tests.test_tracking import make_ui


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A project whose store holds one real run of series_train@sine (2 epochs), its models
    logged and registered; never changed by a test (take a copy)."""
    project = copy_project(tmp_path_factory.mktemp("checkout") / "lab")
    edit_params(project, lambda p: p["series"]["sine"].update(epochs=2))
    run(stage_command(project, "sine_data"), cwd=project)
    run(stage_command(project, "series_train@sine"), cwd=project)
    return project


def cp_a(src, dest):
    subprocess.run(["cp", "-a", str(src), str(dest)], check=True)
    return Path(dest)


def files(folder):
    """{path under ``folder``: bytes} of every file in it."""
    return {p.relative_to(folder): p.read_bytes() for p in Path(folder).rglob("*") if p.is_file()}


def test_gc_in_a_copy_deletes_the_copys_files_and_leaves_the_originals(trained, tmp_path):
    """`cp -a lab lab2; cd lab2; mlflow runs delete ...; mlflow gc`: the run's files go from the
    copy, the original keeps every file byte for byte; so for a logged model."""
    lab = cp_a(trained, tmp_path / "lab")
    lab2 = cp_a(lab, tmp_path / "lab2")
    before = files(lab / "mlartifacts")
    link = read_json(lab2 / "runs/sine.json")
    run_id, model_id = link["run_id"], link["models"]["keras"]
    assert files(lab2 / f"mlartifacts/sine/{run_id}") and files(lab2 / f"mlartifacts/sine/models/{model_id}")
    env = {"MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"}  # the copy's store, as a user names it
    run([tool("mlflow"), "runs", "delete", "--run-id", run_id], cwd=lab2, env=env)
    mlflow.MlflowClient(f"sqlite:///{lab2}/mlflow.db").delete_logged_model(model_id)
    out = run([tool("mlflow"), "gc", "--backend-store-uri", "sqlite:///mlflow.db"], cwd=lab2, env=env)
    assert f"Run with ID {run_id} has been permanently deleted" in out.stdout, out.stdout
    assert f"Logged model with ID {model_id} has been permanently deleted" in out.stdout, out.stdout
    assert not files(lab2 / f"mlartifacts/sine/{run_id}")
    assert not files(lab2 / f"mlartifacts/sine/models/{model_id}")
    assert files(lab / "mlartifacts") == before


def test_a_moved_checkout_shows_its_files_in_make_ui_and_logs_beside_itself(trained, tmp_path):
    """`mv lab lab3`: `make ui` lists the run's files and sends them, and the logged model's;
    a stage run in lab3 logs its figures under lab3/mlartifacts/."""
    lab = cp_a(trained, tmp_path / "lab")
    moved = tmp_path / "lab3"
    subprocess.run(["mv", str(lab), str(moved)], check=True)
    link = read_json(moved / "runs/sine.json")
    run_id, model_id = link["run_id"], link["models"]["forecaster"]
    summary = moved / f"mlartifacts/sine/{run_id}/artifacts/model_summary.txt"
    mlmodel = moved / f"mlartifacts/sine/models/{model_id}/artifacts/MLmodel"
    with make_ui(moved) as (proc, address):
        wait_http(address + "/health", timeout=120, proc=proc)
        with urllib.request.urlopen(f"{address}/ajax-api/2.0/mlflow/artifacts/list?run_id={run_id}") as r:
            listed = {f["path"] for f in json.loads(r.read()).get("files", [])}
        assert "model_summary.txt" in listed
        with urllib.request.urlopen(f"{address}/get-artifact?path=model_summary.txt&run_uuid={run_id}") as r:
            assert r.read() == summary.read_bytes()
        with urllib.request.urlopen(f"{address}/ajax-api/2.0/mlflow/logged-models/{model_id}/"
                                    "artifacts/files?artifact_file_path=MLmodel") as r:
            assert r.read() == mlmodel.read_bytes()
    before = set(files(moved / "mlartifacts"))
    run(stage_command(moved, "series_evaluate@sine"), cwd=moved)  # its files, then into the run
    run(stage_command(moved, "series_track@sine"), cwd=moved)
    new = set(files(moved / "mlartifacts")) - before
    assert any(str(p).startswith(f"sine/{run_id}/artifacts/") and p.suffix == ".png" for p in new), new
    assert not lab.exists()


def old_store(folder, monkeypatch):
    """A store as the lab made it before: the experiment 'demo' at the absolute location
    file://<folder>/mlartifacts/demo (through MLflow's public API), a run with a file and a
    logged, registered model under it; MLflow's Default experiment at <folder>/mlruns/0."""
    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input

    folder.mkdir()
    uri = f"sqlite:///{folder}/mlflow.db"
    monkeypatch.chdir(folder)
    mlflow.set_tracking_uri(uri)  # the process's store (a test before may have set another)
    client = mlflow.MlflowClient(uri)
    experiment = client.create_experiment("demo", artifact_location=f"file://{folder}/mlartifacts/demo")
    with mlflow.start_run(experiment_id=experiment) as active:
        mlflow.log_text("trained in the original", "a.txt")
        mlflow.pyfunc.log_model(name="echo", python_model=Echo(), registered_model_name="demo-echo")
    return active.info.run_id


def locations(db):
    """Every location the four columns of the store ``db`` hold."""
    with sqlite3.connect(db) as c:
        return sorted(v for table, column, _ in relocation.COLUMNS
                      for (v,) in c.execute(f"SELECT {column} FROM {table}"))  # noqa: S608


def test_an_older_stores_absolute_locations_are_made_relative_once(tmp_path, monkeypatch, capfd):
    original = tmp_path / "lab"
    run_id = old_store(original, monkeypatch)
    kept = locations(original / "mlflow.db")
    copy = cp_a(original, tmp_path / "lab2")
    capfd.readouterr()
    store.relocate(f"sqlite:///{copy}/mlflow.db")
    lines = capfd.readouterr().err.strip().splitlines()
    assert lines == [f"{copy}/mlflow.db: its artifact locations were absolute paths under "
                     f"{original}; they are now relative to its folder (checkout:/...), once: "
                     "2 experiments, 1 runs, 1 logged models, 1 model versions"], lines
    assert all(v.startswith("checkout:/") for v in locations(copy / "mlflow.db"))
    assert locations(original / "mlflow.db") == kept  # the original's store is its own
    client = mlflow.MlflowClient(f"sqlite:///{copy}/mlflow.db")
    assert client.get_experiment_by_name("demo").artifact_location == "checkout:/mlartifacts/demo"
    assert client.get_experiment("0").artifact_location == "checkout:/mlruns/0"
    assert client.get_run(run_id).info.artifact_uri == f"checkout:/mlartifacts/demo/{run_id}/artifacts"
    assert client.get_model_version_download_uri("demo-echo", "1").startswith("checkout:/mlartifacts/demo/models/")
    subprocess.run(["rm", "-r", str(original)], check=True)  # the copy keeps everything
    mlflow.set_tracking_uri(f"sqlite:///{copy}/mlflow.db")
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/a.txt") == "trained in the original"
    assert "MLmodel" in os.listdir(mlflow.artifacts.download_artifacts("models:/demo-echo/1",
                                                                      dst_path=str(tmp_path / "d")))
    store.relocate(f"sqlite:///{copy}/mlflow.db")
    assert capfd.readouterr().err == ""  # once


def test_a_store_at_another_schema_revision_is_refused_in_one_line_unchanged(tmp_path, monkeypatch):
    original = tmp_path / "lab"
    old_store(original, monkeypatch)
    db = original / "mlflow.db"
    with sqlite3.connect(db) as c:
        c.execute("UPDATE alembic_version SET version_num = '0123456789ab'")
    kept = locations(db)
    with pytest.raises(LabError, match=rf"^{db}: its artifact locations are absolute paths under "
                                       rf"{original}, .* revision {relocation.REVISION} .* this "
                                       r"store's is 0123456789ab: .*mlflow db upgrade"):
        store.relocate(f"sqlite:///{db}")
    proc = run([str(Path(tool("python"))), "-m", "rnnlab.tracking.store"], cwd=ROOT, check=False,
               env={"MLFLOW_TRACKING_URI": f"sqlite:///{db}"})  # `make ui`'s first step
    assert_one_line_error(proc, str(db), "0123456789ab")
    assert locations(db) == kept


def test_the_revision_converted_is_the_head_of_the_installed_mlflow():
    """``relocation.REVISION`` is the schema the conversion was written for: upgrading MLflow in
    requirements.lock fails this until someone checks its four columns again."""
    from alembic.script import ScriptDirectory

    migrations = Path(mlflow.__file__).parent / "store" / "db_migrations"
    assert ScriptDirectory(str(migrations)).get_heads() == [relocation.REVISION]


def test_the_venv_runs_this_checkouts_plugin():
    """MLflow finds the scheme checkout: through the venv's entry point, and the installed
    module is plugin/'s (`make venv` reinstalls it when plugin/ changes)."""
    from importlib.metadata import entry_points

    import rnnlab_checkout

    (point,) = entry_points(group="mlflow.artifact_repository", name="checkout")
    assert point.value == "rnnlab_checkout:CheckoutArtifactRepository"
    assert Path(rnnlab_checkout.__file__).read_bytes() == (ROOT / "plugin/rnnlab_checkout.py").read_bytes()


def test_the_plugin_resolves_beside_the_store_it_is_given(tmp_path, monkeypatch):
    from mlflow.exceptions import MlflowException
    from rnnlab_checkout import local_path

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert local_path("checkout:/mlartifacts/x/r/artifacts", f"sqlite:///{tmp_path}/s/mlflow.db?timeout=5") \
        == f"{tmp_path}/s/mlartifacts/x/r/artifacts"
    named = run([tool("python"), "-c", "import rnnlab_checkout as c; print(c.local_path('checkout:/x'))"],
                cwd=tmp_path, env={"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/e/mlflow.db"})
    assert named.stdout.strip() == f"{tmp_path}/e/x"  # a bare MLflow command's store
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/p/mlflow.db")  # the process's own first
    assert local_path("checkout:/mlartifacts/x") == f"{tmp_path}/p/mlartifacts/x"
    monkeypatch.chdir(tmp_path)
    assert local_path("checkout:/m", "sqlite:///mlflow.db") == f"{tmp_path}/m"
    with pytest.raises(MlflowException, match="leaves the folder of its store"):
        local_path("checkout:/../elsewhere", "sqlite:///mlflow.db")
    with pytest.raises(MlflowException, match="the tracking URI http://127.0.0.1:5999 is none"):
        local_path("checkout:/mlartifacts/x", "http://127.0.0.1:5999")


def test_a_venv_without_the_plugin_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(relocation, "plugin_missing", lambda: True)
    with pytest.raises(LabError, match=r"lacks the lab's MLflow plugin .*`make venv`"):
        store.check(f"sqlite:///{tmp_path}/mlflow.db")
