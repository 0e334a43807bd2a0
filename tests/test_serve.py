"""`python -m rnnlab.serving.serve` (rnnlab/serving/serve.py), the documented way to serve a registered model,
as a user runs it: a store that is missing or broken, a model or version that is not
registered, its files removed, a port taken each end in one line naming what is missing
(exit 1, no server); a model that is all there is served, and answers."""
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import (
    assert_one_line_error,
    copy_project,
    free_port,
    invoke,
    run,
    server,
    tool,
    trained_copy,
)


def serve(lab, *args, env=None):
    return run([sys.executable, "-m", "rnnlab.serving.serve", *map(str, args)], cwd=lab, check=False,
               timeout=120, env=env)


def one_line(proc, *fragments):
    """Exit 1 and stderr one line 'error: ...' holding every fragment; no server started."""
    line = assert_one_line_error(proc, *fragments)
    assert "Serving" not in proc.stdout
    return line


# ---- without a trained store ----

@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A copy of the project that has never run: no mlflow.db, no mlartifacts/."""
    return copy_project(tmp_path_factory.mktemp("serve") / "lab")


def test_a_missing_store_is_one_line_naming_it(fresh):
    line = one_line(serve(fresh, "sixpence-many-to-one"),
                    f"sqlite:///{fresh}/mlflow.db: no MLflow store there ({fresh}/mlflow.db does "
                    "not exist)", "run make repro")
    assert not (fresh / "mlflow.db").exists(), line  # checking created nothing


def test_a_file_that_is_not_a_store_is_one_line(fresh):
    (fresh / "mlflow.db").write_text("not a database\n")
    try:
        one_line(serve(fresh, "msft-forecaster"), f"{fresh}/mlflow.db is not a SQLite database")
    finally:
        (fresh / "mlflow.db").unlink()


def test_a_tracking_server_that_does_not_answer_is_one_line(fresh):
    uri = f"http://127.0.0.1:{free_port()}"
    one_line(serve(fresh, "msft-forecaster", env={"MLFLOW_TRACKING_URI": uri}),
             f"MLflow tracking server {uri} is unreachable")


@pytest.mark.parametrize("args,fragment", [
    ([], "usage: python -m rnnlab.serving.serve <registered model>"),
    (["msft-forecaster", "v2"], "version 'v2': a version number >= 1 or 'latest'"),
    (["msft-forecaster", "0"], "version '0'"),
    (["msft-forecaster", "1", "70000"], "port '70000': a port number from 1 to 65535"),
    (["models:/msft-forecaster"], "version '': a version number"),
    (["msft-forecaster", "1", "5001", "extra"], "usage:"),
])
def test_a_wrong_command_line_is_its_usage(fresh, args, fragment):
    one_line(serve(fresh, *args), fragment)


def test_help_prints_what_it_checks(fresh):
    proc = serve(fresh, "--help")
    assert proc.returncode == 0 and "usage: python -m rnnlab.serving.serve" not in proc.stderr
    assert "python -m rnnlab.serving.serve <registered model>" in proc.stdout


# ---- with the session's trained store ----

@pytest.fixture(scope="module")
def trained(pipeline, tmp_path_factory):
    return trained_copy(pipeline, tmp_path_factory.mktemp("serve-trained") / "lab")


@pytest.mark.slow
def test_a_model_that_is_not_registered_lists_those_that_are(trained):
    one_line(serve(trained, "msft-forcaster"),
             "models:/msft-forcaster/latest: no registered model 'msft-forcaster' in the store "
             f"sqlite:///{trained}/mlflow.db; it has ", "msft-forecaster", "sixpence-many-to-one")


@pytest.mark.slow
def test_a_version_that_is_not_registered_lists_those_that_are(trained):
    one_line(serve(trained, "models:/msft-forecaster/7"),
             "models:/msft-forecaster/7: no version 7 of 'msft-forecaster' in "
             f"sqlite:///{trained}/mlflow.db; its versions: 1")


@pytest.mark.slow
def test_a_registered_model_is_served_and_a_taken_port_is_one_line(trained, monkeypatch):
    """The generator through the lab's command: it answers, and refuses a prompt of 10^7
    characters in one short line (MLflow's server would quote the prompt back)."""
    # the project's own store, as a user's shell has it (a test before may have set
    # MLFLOW_TRACKING_URI in this process: mlflow.set_tracking_uri does)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    port = free_port()
    cmd = [sys.executable, "-m", "rnnlab.serving.serve", "sixpence-many-to-one", "latest", str(port)]
    with server(cmd, f"http://127.0.0.1:{port}/ping", cwd=trained):
        status, answer = invoke(port, {"inputs": ["Sing a son"], "params": {"length": 13}})
        assert status == 200 and answer["predictions"] == ["Sing a song of sixpence"], answer
        status, answer = invoke(port, {"inputs": ["Sing a son" * 1_000_000 + "é"]})
        assert status == 400 and answer["message"] == (
            "the prompt has 10,000,001 characters: at most 10,000 a prompt (the model reads "
            "only its last 10)"), str(answer)[:300]
        one_line(serve(trained, "msft-forecaster", "1", port),
                 f"port {port} on 127.0.0.1 is taken")
    log = (trained / f"server-{Path(sys.executable).name}.log").read_text()
    assert log.startswith(f"Serving models:/sixpence-many-to-one/1 from sqlite:///{trained}/"
                          f"mlflow.db at http://127.0.0.1:{port}/invocations"), log[:500]


@pytest.mark.slow
def test_removed_files_name_the_stage_that_registers_them_again(pipeline, tmp_path, monkeypatch):
    """mlartifacts/ is neither in git nor in DVC: a version whose files are gone names them
    and the training stage to force, and forcing it registers a version that serves."""
    from mlflow import MlflowClient

    from rnnlab.serving import serve as lab_serve

    lab = trained_copy(pipeline, tmp_path / "lab")
    client = MlflowClient(tracking_uri=f"sqlite:///{lab}/mlflow.db")
    location = client.get_model_version_download_uri("sixpence-many-to-one", "1")
    assert location.startswith("checkout:/mlartifacts/sixpence/models/"), location
    folder = f"{lab}/{location.removeprefix('checkout:/')}"
    (Path(folder) / "artifacts" / "vocab.json").unlink()
    one_line(serve(lab, "sixpence-many-to-one"),
             f"models:/sixpence-many-to-one/1: its files are missing from {folder} "
             "(artifacts/vocab.json): train it again, which registers a new version: "
             "dvc repro -f -s text_train@many_to_one")
    shutil.rmtree(lab / "mlartifacts")
    one_line(serve(lab, "msft-forecaster", "latest"),
             f"models:/msft-forecaster/1: its files are missing from {lab}/mlartifacts/msft/",
             "(its folder): train it again, which registers a new version: "
             "dvc repro -f -s series_train@stock")
    # what the line says to run brings them back, as version 2
    run([tool("dvc"), "repro", "-f", "-s", "series_train@stock"], cwd=lab)
    monkeypatch.chdir(lab)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert lab_serve.check("msft-forecaster", "latest", free_port()) == (
        f"sqlite:///{lab}/mlflow.db", 2)
