import contextlib
import os
import signal
import sqlite3
import subprocess
import time

import mlflow
import psutil
import pytest

from rnnlab.core.errors import LabError
from rnnlab.core.outputs import read_json
from rnnlab.tracking import (
    claims,
    experiments,
    failures,
    links,
    orphans,
    provenance,
    runs,
)
from rnnlab.tracking.store import first_use_lock, tracking_uri
from tests.conftest import add_makefile, free_port, wait_http


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    os.environ.pop("MLFLOW_TRACKING_URI", None)  # mlflow.set_tracking_uri exports it


def test_store_is_at_dvc_root(store, monkeypatch):
    assert tracking_uri() == f"sqlite:///{store}/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    assert tracking_uri() == "http://127.0.0.1:5999"


def test_runs_are_shared_and_a_later_failure_is_tagged_not_failed(store, monkeypatch):
    monkeypatch.setenv("DVC_EXP_NAME", "exp-abc")
    run_file = store / "runs/x.json"
    run_file.parent.mkdir()
    with runs.new_run("demo", "model", "demo_train", run_file, {"units": 3}) as link:
        mlflow.log_metric("loss", 1.0)
        run = mlflow.active_run()
    info = read_json(run_file)
    assert info["run_id"] == run.info.run_id and info["run_name"] == "exp-abc-model"
    assert (link.run_id, link.run_name, link.experiment_name) == (run.info.run_id, "exp-abc-model", "demo")
    with pytest.raises(RuntimeError):
        with runs.same_run(run_file, "demo_evaluate"):
            runs.log_metrics({"eval_loss": 2.0})
            raise RuntimeError("boom")
    got = mlflow.get_run(info["run_id"])
    # The trained model stays FINISHED; the run says which later stage failed and why.
    assert got.info.status == "FINISHED"
    assert said(got, "demo_evaluate") == "RuntimeError: boom"
    assert got.data.metrics == {"loss": 1.0, "eval_loss": 2.0}
    assert got.data.tags["dvc.exp_name"] == "exp-abc"
    assert got.data.params == {"units": "3"}
    assert got.data.tags["params.hash"] == provenance.params_hash({"units": 3})
    assert provenance.params_hash({"units": 3}) != provenance.params_hash({"units": 4})
    assert got.data.tags["dvc.stage.demo_train"] == "demo_train"
    assert got.data.tags["dvc.stage.demo_evaluate"] == "demo_evaluate"
    assert (store / "mlflow.db").exists()
    assert mlflow.get_experiment_by_name("demo").artifact_location == "checkout:/mlartifacts/demo"
    # Each stage's failure is its own tag: another stage failing, then succeeding, leaves the
    # first on record; the failed stage succeeding clears its own.
    with pytest.raises(RuntimeError):
        with runs.same_run(run_file, "demo_generate"):
            raise RuntimeError("bang")
    tags = mlflow.get_run(info["run_id"]).data.tags
    assert said(tags, "demo_generate") == "RuntimeError: bang"
    with runs.same_run(run_file, "demo_generate"):
        pass
    tags = mlflow.get_run(info["run_id"]).data.tags
    assert failures.tag("demo_generate") not in tags
    assert said(tags, "demo_evaluate") == "RuntimeError: boom"
    with runs.same_run(run_file, "demo_evaluate"):
        pass
    got = mlflow.get_run(info["run_id"])
    assert got.info.status == "FINISHED"
    assert not [key for key in got.data.tags if key.startswith("lab.failure.")]
    assert not (store / ".lab/failures").exists() or not list((store / ".lab/failures").iterdir())


def said(run_or_tags, stage):
    """What the failure tag of ``stage`` says, without its time ('2026-12-07 03:41:07 UTC: ')."""
    tags = getattr(getattr(run_or_tags, "data", None), "tags", run_or_tags)
    when, _, what = tags[failures.tag(stage)].partition(" UTC: ")
    assert time.strptime(when, "%Y-%m-%d %H:%M:%S")
    return what


def test_an_interrupted_later_stage_tags_the_run_and_leaves_it_finished(store):
    """Only a train stage ends its own run KILLED: Ctrl-C in a later stage (a track stage)
    leaves the trained model's run FINISHED, tagged with what happened, and noted for `make
    repro`."""
    run_file = store / "runs/x.json"
    run_file.parent.mkdir()
    with runs.new_run("demo", "model", "demo_train", run_file, {"units": 3}):
        pass
    with pytest.raises(KeyboardInterrupt):
        with runs.same_run(run_file, "demo_evaluate@x"):
            raise KeyboardInterrupt
    got = mlflow.get_run(read_json(run_file)["run_id"])
    assert got.info.status == "FINISHED"
    assert said(got, "demo_evaluate@x") == "interrupted (SIGINT)"
    assert read_json(store / ".lab/failures/demo_evaluate--x.json")["run_id"] == got.info.run_id


def test_make_repro_takes_back_the_failure_of_a_stage_dvc_restored(store, capsys):
    """DVC may restore a failed stage's outputs from its run-cache without running it: the
    settling step `make repro` runs after `dvc repro` takes its tag back, from the run its link
    still names only (a run a new training replaced keeps its record)."""
    (store / "runs").mkdir()
    for name in ("x", "y"):
        with runs.new_run("demo", name, "demo_train", store / f"runs/{name}.json", {}):
            pass
        with pytest.raises(RuntimeError):
            with runs.same_run(store / f"runs/{name}.json", f"demo_evaluate@{name}"):
                raise RuntimeError("boom")
    old_y = read_json(store / "runs/y.json")["run_id"]
    with runs.new_run("demo", "y", "demo_train", store / "runs/y.json", {}):
        pass  # y trained again: a new run
    failures.settle()
    x = mlflow.get_run(read_json(store / "runs/x.json")["run_id"])
    assert failures.tag("demo_evaluate@x") not in x.data.tags and x.info.status == "FINISHED"
    assert said(mlflow.get_run(old_y), "demo_evaluate@y") == "RuntimeError: boom"
    assert not list((store / ".lab/failures").iterdir())
    assert "lab.failure.demo_evaluate/x taken back" in capsys.readouterr().err
    failures.settle()  # nothing noted: nothing to do


def test_a_later_stage_logs_into_the_run_as_it_is(store):
    """A later stage (a track stage) does not reopen the train stage's run: it stays FINISHED, with the
    training's duration, while the stage logs into it (so no close_orphans can take it for an
    orphan of the train stage's process, long gone)."""
    run_file = store / "runs/x.json"
    run_file.parent.mkdir()
    with runs.new_run("demo", "model", "demo_train", run_file, {"units": 3}):
        pass
    train = subprocess.Popen(["true"])  # the train stage's process, now gone
    train.wait()
    run_id = read_json(run_file)["run_id"]
    mlflow.MlflowClient().set_tag(run_id, "lab.pid", str(train.pid))
    trained = mlflow.get_run(run_id).info
    with runs.same_run(run_file, "demo_evaluate"):
        runs.log_metrics({"eval_loss": 0.5})
        runs.log_text("a page\n", "samples.txt")
        orphans.close_orphans()
        assert mlflow.get_run(run_id).info.status == "FINISHED"
        assert mlflow.active_run() is None
    after = mlflow.get_run(run_id)
    assert (after.info.status, after.info.end_time) == ("FINISHED", trained.end_time)
    assert after.data.metrics["eval_loss"] == 0.5
    assert after.data.tags["dvc.stage.demo_evaluate"] == "demo_evaluate"
    assert "samples.txt" in {a.path for a in mlflow.MlflowClient().list_artifacts(run_id)}


def test_a_deleted_experiment_is_one_line_and_no_run(store):
    with runs.new_run("demo", "model", "demo_train", store / "a.json", {}):
        pass
    mlflow.delete_experiment(mlflow.get_experiment_by_name("demo").experiment_id)
    with pytest.raises(LabError, match=r"^the MLflow experiment 'demo' of sqlite:.* is deleted "
                                       r"\(in the UI's trash\): restore it there"):
        with runs.new_run("demo", "model", "demo_train", store / "b.json", {}):
            raise AssertionError("trained in a deleted experiment")
    assert not (store / "b.json").exists()


def test_a_store_that_fails_while_a_failure_is_recorded_keeps_the_stage_error(store, monkeypatch):
    run_file = store / "runs/x.json"
    run_file.parent.mkdir()
    with runs.new_run("demo", "model", "demo_train", run_file, {"units": 3}):
        pass

    def store_down(*args, **kwargs):
        raise mlflow.exceptions.MlflowException("API request to endpoint failed")

    with pytest.raises(LabError, match="the real cause"):
        with runs.same_run(run_file, "demo_evaluate"):
            monkeypatch.setattr(mlflow, "set_tag", store_down)
            raise LabError("the real cause")
    assert mlflow.active_run() is None  # ended all the same


def test_a_failing_train_stage_writes_no_run_file(store):
    run_file = store / "run.json"
    with pytest.raises(ValueError):
        with runs.new_run("demo", "model", "demo_train", run_file, {"units": 3}):
            raise ValueError("bad")
    assert not run_file.exists()
    found = mlflow.search_runs(experiment_names=["demo"], output_format="list")
    assert [r.info.status for r in found] == ["FAILED"]


def test_unreachable_server_is_one_clear_error(store, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    with pytest.raises(LabError, match=r"MLflow tracking server http://127.0.0.1:9 is unreachable"):
        experiments.use_experiment("demo")


def test_a_run_missing_from_the_store_is_one_clear_error(store, monkeypatch):
    run_file = store / "run.json"
    with runs.new_run("demo", "model", "demo_train", run_file, {"units": 3}):
        pass
    (store / "fresh").mkdir()
    monkeypatch.setenv("DVC_ROOT", str(store / "fresh"))  # a new store, as in a fresh clone
    monkeypatch.delenv("MLFLOW_TRACKING_URI")  # exported by mlflow.set_tracking_uri
    with pytest.raises(LabError, match=r"not in sqlite:.*dvc repro --force --downstream demo_train"):
        with runs.same_run(run_file, "demo_evaluate"):
            pass


def test_the_link_names_the_stage_that_trained_the_model(store):
    """A later stage's hint to retrain names the train stage the link file records, whatever
    the stages are called (adding_evaluate reads the links of adding_train@<cell>-<length>)."""
    run_file = store / "run.json"
    with runs.new_run("demo", "model", "adding_train@gru-100", run_file, {}):
        pass
    assert read_json(run_file)["stage"] == "adding_train@gru-100"
    assert links.read(run_file).stage == "adding_train@gru-100"


def test_a_copied_checkout_keeps_its_runs_files_in_the_copy(store, monkeypatch, capfd):
    """`cp -a lab lab2`: the experiment's location is relative to the store
    (checkout:/mlartifacts/demo), so the copy's runs, old and new, keep their files in the
    copy, with no edit of the copy's store (tests/test_checkout.py: the real commands)."""
    import shutil

    with runs.new_run("demo", "model", "demo_train", store / "a.json", {"units": 3}) as old:
        mlflow.log_text("trained in the original", "a.txt")
    copy = store.parent / f"{store.name}-copy"
    shutil.copytree(store, copy, symlinks=True)
    monkeypatch.setenv("DVC_ROOT", str(copy))
    monkeypatch.chdir(copy)
    monkeypatch.delenv("MLFLOW_TRACKING_URI")  # exported by mlflow.set_tracking_uri
    capfd.readouterr()
    with runs.new_run("demo", "model", "demo_train", copy / "b.json", {"units": 4}) as new:
        mlflow.log_text("trained in the copy", "b.txt")
    assert "artifact locations" not in capfd.readouterr().err  # nothing to convert
    assert (copy / f"mlartifacts/demo/{new.run_id}/artifacts/b.txt").is_file()
    assert not (store / f"mlartifacts/demo/{new.run_id}").exists()
    assert mlflow.get_run(old.run_id).info.artifact_uri == f"checkout:/mlartifacts/demo/{old.run_id}/artifacts"
    shutil.rmtree(store / "mlartifacts")  # the original deleted: the copy keeps everything
    assert mlflow.artifacts.load_text(f"runs:/{old.run_id}/a.txt") == "trained in the original"
    original = f"sqlite:///{store}/mlflow.db"
    assert mlflow.MlflowClient(original).get_experiment_by_name("demo").artifact_location == \
        "checkout:/mlartifacts/demo"  # the same in both stores: relative to each


def test_an_example_cannot_log_into_another_examples_experiment_or_model(store):
    """The store remembers names an earlier params.yaml made: data/foo.csv as the prices made
    the experiment 'foo'; data/foo.txt as the corpus now must not log its runs into it."""
    with runs.new_run("foo", "stock", "series_train@stock", store / "a.json", {}, example="stock",
                      registers=["foo-forecaster"]):
        pass
    assert mlflow.get_experiment_by_name("foo").tags[claims.EXAMPLE] == "stock"
    with pytest.raises(LabError, match=r"the MLflow experiment 'foo' holds the stock example's "
                                       r"runs and models .* the text example's would land"):
        with runs.new_run("foo", "many_to_one", "text_train@many_to_one", store / "b.json", {},
                          example="text"):
            raise AssertionError("trained although refused")
    client = mlflow.MlflowClient()
    client.create_registered_model("bar-many-to-one", tags={claims.EXAMPLE: "stock"})
    with pytest.raises(LabError, match=r"registered model 'bar-many-to-one' holds the stock"):
        with runs.new_run("bar", "many_to_one", "text_train@many_to_one", store / "c.json", {},
                          example="text", registers=["bar-many-to-one"]):
            raise AssertionError("trained although refused")
    assert not (store / "b.json").exists() and not (store / "c.json").exists()
    client.create_registered_model("baz-many-to-one")  # made by an older lab: no tag yet
    with runs.new_run("baz", "many_to_one", "text_train@many_to_one", store / "d.json", {},
                      example="text", registers=["baz-many-to-one"]):
        pass
    assert client.get_registered_model("baz-many-to-one").tags[claims.EXAMPLE] == "text"


def register(name, run_id=None):
    """A version of registered model ``name``, of run ``run_id`` (the active run's by default)."""
    import mlflow.pyfunc

    info = mlflow.pyfunc.log_model(name="served", python_model=Echo(), registered_model_name=name,
                                   **({"run_id": run_id} if run_id else {}))
    return info.registered_model_version


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        return model_input


def test_no_model_adds_a_version_to_another_models_registered_model(store):
    """With data/msft.csv the tutorials' model registers 'msft-tutorial-forecaster'; with the
    prices in data/msft-tutorial.csv the lab's model would register the same name: refused
    before it trains, naming both models, and the tutorials' versions stay alone."""
    tutorial = {"example": "stock", "registers": ["msft-tutorial-forecaster"],
                "formulation": "tutorial: prices min-max scaled on the training part"}
    with runs.new_run("msft", "stock_tutorial", "series_train@stock_tutorial", store / "a.json",
                      {}, **tutorial):
        assert register("msft-tutorial-forecaster") == 1
    made = mlflow.MlflowClient().get_registered_model("msft-tutorial-forecaster").tags
    assert (made[claims.MODEL], made[claims.EXAMPLE]) == ("stock_tutorial", "stock")
    assert made[claims.FORMULATION].startswith("tutorial")
    with runs.new_run("msft", "stock_tutorial", "series_train@stock_tutorial", store / "a.json",
                      {}, **tutorial):  # the same model again: its version 2
        assert register("msft-tutorial-forecaster") == 2
    with pytest.raises(LabError, match=r"registered model 'msft-tutorial-forecaster' holds the "
                                       r"versions of model 'stock_tutorial' \(tutorial: .*\): "
                                       r"model 'stock' \(scale-free: .*\) would add"):
        with runs.new_run("msft-tutorial", "stock", "series_train@stock", store / "b.json", {},
                          example="stock", registers=["msft-tutorial-forecaster"],
                          formulation="scale-free: the next log return"):
            raise AssertionError("trained although refused")
    assert not (store / "b.json").exists()
    versions = mlflow.MlflowClient().search_model_versions("name = 'msft-tutorial-forecaster'")
    assert len(versions) == 2


def test_a_registered_model_an_older_lab_made_is_known_by_its_versions_run(store):
    """An older lab tagged a registered model with its example only: the run of its newest
    version names the model that made it ('<experiment or commit>-<model>')."""
    with runs.new_run("msft", "stock_tutorial", "series_train@stock_tutorial", store / "a.json", {}):
        register("msft-tutorial-forecaster")
    client = mlflow.MlflowClient()  # after new_run has pointed MLflow at this test's store
    client.set_registered_model_tag("msft-tutorial-forecaster", claims.EXAMPLE, "stock")
    with pytest.raises(LabError, match=r"versions of model 'stock_tutorial'"):
        with runs.new_run("msft-tutorial", "stock", "series_train@stock", store / "b.json", {},
                          example="stock", registers=["msft-tutorial-forecaster"]):
            raise AssertionError("trained although refused")
    with runs.new_run("msft", "stock_tutorial", "series_train@stock_tutorial", store / "a.json",
                      {}, example="stock", registers=["msft-tutorial-forecaster"]):
        pass  # its own model: adopted, and tagged from now on
    assert client.get_registered_model("msft-tutorial-forecaster").tags[claims.MODEL] == "stock_tutorial"


@contextlib.contextmanager
def make_ui(project, **env):
    """`make ui` in ``project`` with the tests' venv, on a free port, in its own session:
    (its process, the UI's address); on leaving, the UI is stopped, whatever happened."""
    port = free_port()
    venv = add_makefile(project)
    base = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    proc = subprocess.Popen(["make", "ui", f"VENV={venv}", f"UI_PORT={port}"], cwd=project,
                            env={**base, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def waits_on(proc, path, timeout=60):
    """Whether a process of ``proc``'s group has ``path`` open within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for child in psutil.Process(proc.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if any(f.path == str(path) for f in child.open_files()):
                    return True
        time.sleep(0.2)
    return False


def test_make_ui_sets_up_a_new_store_under_the_stages_lock(project):
    """`make ui` opened beside a first `make repro`: MLflow's UI would create the tables of the
    new mlflow.db while the first stage does, and one of the two fails ('table
    _alembic_tmp_tags already exists'). The UI waits for the stage's first-use lock instead,
    then creates them itself (rnnlab/tracking/store.py, ``prepare``)."""
    db = project / "mlflow.db"
    with make_ui(project) as (proc, address):
        with first_use_lock(f"sqlite:///{db}"):  # a stage creating the store's tables
            assert waits_on(proc, f"{db}.lock"), proc.stdout.read() if proc.poll() is not None else ""
            assert not db.exists()
        wait_http(address + "/health", timeout=120, proc=proc)
        with contextlib.closing(sqlite3.connect(db)) as c:
            tables = {name for (name,) in c.execute("SELECT name FROM sqlite_master")}
        assert {"experiments", "runs", "logged_models"} <= tables


def test_make_ui_on_a_store_that_cannot_work_is_one_line(project):
    with make_ui(project, MLFLOW_TRACKING_URI=f"sqlite:///{project}/gone/mlflow.db") as (proc, _):
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert f"error: sqlite:///{project}/gone/mlflow.db: the folder of {project}/gone/mlflow.db " \
           "does not exist" in out.splitlines(), out
    assert "Traceback" not in out
