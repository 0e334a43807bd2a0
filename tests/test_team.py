"""How a team outgrows one machine: a real MLflow tracking server, and failing fast without one.
Servers run on 127.0.0.1 only and are always stopped."""
import contextlib
import json
import socket
import threading
import time

import pytest
from mlflow import MlflowClient

from tests.conftest import (
    edit_params,
    free_port,
    git_commit,
    run,
    server,
    tiny_pipeline,
    tool,
)


@pytest.fixture
def tiny_project(project):
    # (every cell is a stage: one is enough)
    edit_params(project, lambda p: tiny_pipeline(p, epochs=1, cells=["gru"], served=False))
    git_commit(project, "tiny epochs")
    return project


@contextlib.contextmanager
def silent_listener():
    """A port on loopback that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    accepted, stop = [], threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(sock.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        sock.close()


def test_unreachable_tracking_server_fails_fast(tiny_project):
    """A closed port, then a server that accepts and never answers: one line each, quickly,
    nothing written (both on one project: the same sine data)."""
    run([tool("dvc"), "repro", "sine_data"], cwd=tiny_project)
    for kind in ("closed port", "silent server"):
        with contextlib.ExitStack() as stack:
            port = free_port() if kind == "closed port" else stack.enter_context(silent_listener())
            uri = f"http://127.0.0.1:{port}"
            started = time.monotonic()
            proc = run([tool("dvc"), "repro", "series_train@sine"], cwd=tiny_project, check=False,
                       env={"MLFLOW_TRACKING_URI": uri}, timeout=120)
            elapsed = time.monotonic() - started
        assert proc.returncode != 0, kind
        assert f"error: MLflow tracking server {uri} is unreachable" in proc.stderr, kind
        assert elapsed < 30, f"{kind}: took {elapsed:.0f} s to give up"
        for out in ("models/sine.keras", "runs/sine.json", "plots/sine_history.csv"):
            assert not (tiny_project / out).exists(), (kind, out)


def test_a_server_that_refuses_this_address_is_one_line(tmp_path):
    """A server whose --allowed-hosts does not list the address the stages use answers its API
    403 (its /health still 200): the stages' check (rnnlab/tracking/store.py) says so, not 'the account
    may not read experiments'."""
    from rnnlab.core.errors import LabError
    from rnnlab.tracking import store

    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    cmd = [tool("mlflow"), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
           "--backend-store-uri", f"sqlite:///{tmp_path}/server.db",
           "--allowed-hosts", "lab.example.edu:8080"]
    with server(cmd, f"{uri}/health", cwd=tmp_path, env=NO_JOBS):
        with pytest.raises(LabError) as err:
            store.check(uri)
    assert str(err.value) == (f"MLflow tracking server {uri} refused the request (HTTP 403): "
                              "its --allowed-hosts does not list this address")


# MLflow's job runner (background jobs of its GenAI features; nothing here uses them) off: three
# fewer processes importing MLflow while the server starts (~13 s of a loaded 2-core start).
NO_JOBS = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


@pytest.mark.slow
def test_queued_experiments_in_parallel_all_reach_the_root_store(tiny_project):
    """Two workers, and no mlflow.db yet: both create it, the experiment and the registered
    model at once, the worst case for SQLite. The text data stages run first, as
    docs/experiments.md advises: two workers that both run a stage from scratch can collide in
    DVC's shared cache ('unable to remove ... without a confirmation'), a DVC race, not the
    store's; with them in the run-cache, both workers restore them."""
    dvc = tool("dvc")
    run([dvc, "repro", "text_baselines"], cwd=tiny_project)
    assert not (tiny_project / "mlflow.db").exists()
    for units in (5, 7):
        run([dvc, "exp", "run", "--queue", "-n", f"units-{units}", "text_track@many_to_one",
             "-S", f"text_train.many_to_one.units={units}"], cwd=tiny_project)
    try:
        run([dvc, "queue", "start", "-j", "2"], cwd=tiny_project)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            status = run([dvc, "queue", "status"], cwd=tiny_project).stdout
            if not any(word in status for word in ("Queued", "Running")):
                break
            time.sleep(3)
        failed = [line.split()[1] for line in status.splitlines() if line.endswith("Failed")]
        logs = "\n".join(run([dvc, "queue", "logs", name], cwd=tiny_project, check=False).stdout
                         for name in failed)
        assert status.count("Success") == 2, f"{status}\n{logs}"
    finally:
        run([dvc, "queue", "stop", "--kill"], cwd=tiny_project, check=False)

    client = MlflowClient(tracking_uri=f"sqlite:///{tiny_project}/mlflow.db")
    runs = client.search_runs([client.get_experiment_by_name("sixpence").experiment_id])
    assert sorted((r.info.run_name, r.data.params["units"], r.info.status) for r in runs) == [
        ("units-5-many_to_one", "5", "FINISHED"), ("units-7-many_to_one", "7", "FINISHED")]
    head = run(["git", "rev-parse", "HEAD"], cwd=tiny_project).stdout.strip()
    for r in runs:
        assert "eval_train_accuracy" in r.data.metrics
        assert r.data.tags["dvc.baseline_rev"] == head
    versions = client.search_model_versions("name='sixpence-many-to-one'")
    assert sorted(v.run_id for v in versions) == sorted(r.info.run_id for r in runs)


@pytest.mark.slow
def test_two_machines_share_experiments_through_one_git_remote_one_dvc_remote_one_server(
        tiny_project, tmp_path):
    """The team workflow of docs/team.md: two clones (two machines: each its own DVC cache)
    run `dvc exp run` with different params, logging to one tracking server (every kind of
    stage that logs, train and track, for a series and a text model: runs,
    metrics, files, registered models, and nothing in a local store), and `dvc exp push` to
    one bare git remote and one DVC remote; a third clone pulls both experiments, sees their
    metrics and MLflow run ids, and restores a model without retraining."""
    dvc = tool("dvc")
    origin, shared = tmp_path / "origin.git", tmp_path / "dvc-remote"
    run([dvc, "remote", "add", "-d", "shared", str(shared)], cwd=tiny_project)
    git_commit(tiny_project, "a shared DVC remote")
    run(["git", "clone", "-q", "--bare", str(tiny_project), str(origin)], cwd=tmp_path)
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    cmd = [tool("mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
           "--backend-store-uri", f"sqlite:///{tmp_path}/server.db",
           "--artifacts-destination", str(tmp_path / "server-artifacts"), "--workers", "1"]
    machines = {name: tmp_path / name for name in ("laptop", "desktop", "reviewer")}
    for folder in machines.values():
        run(["git", "clone", "-q", str(origin), str(folder)], cwd=tmp_path)
    with server(cmd, f"{uri}/health", cwd=tmp_path, env=NO_JOBS):
        for name, units, text in (("laptop", 4, ["text_track@many_to_one"]),
                                  ("desktop", 6, [])):
            run([dvc, "exp", "run", "-n", f"{name}-units", "-S", f"series.sine.units={units}",
                 "series_track@sine", *text], cwd=machines[name], env={"MLFLOW_TRACKING_URI": uri})
            run([dvc, "exp", "push", "origin", f"{name}-units"], cwd=machines[name])
        laptop_logged_to_the_server(machines["laptop"], MlflowClient(tracking_uri=uri))
        reviewer = machines["reviewer"]
        run([dvc, "exp", "pull", "origin", "laptop-units", "desktop-units"], cwd=reviewer)
        shown = json.loads(run([dvc, "exp", "show", "--json"], cwd=reviewer).stdout)
        found = {}
        for baseline in shown:
            for exp in baseline.get("experiments") or []:
                for revision in exp.get("revs") or []:
                    data = revision.get("data") or {}
                    name = revision.get("name") or data.get("name")
                    if name in ("laptop-units", "desktop-units"):
                        found[name] = data
        assert set(found) == {"laptop-units", "desktop-units"}, json.dumps(shown)[:2000]
        client = MlflowClient(tracking_uri=uri)
        for name, units in (("laptop-units", 4), ("desktop-units", 6)):
            data = found[name]
            assert data["params"]["params.yaml"]["data"]["series"]["sine"]["units"] == units
            run_id = data["metrics"]["runs/sine.json"]["data"]["run_id"]
            assert "test" in data["metrics"]["metrics/sine.json"]["data"]
            logged = client.get_run(run_id)  # the run id DVC shows is the server's run
            assert logged.info.status == "FINISHED" and logged.data.params["units"] == str(units)
            assert logged.data.tags["dvc.exp_name"] == name
        # The experiment as a branch of its own (`dvc exp apply` would check out every stage
        # of dvc.yaml, and these experiments ran only the sine's), its files from the remote.
        run([dvc, "exp", "branch", "desktop-units", "desktop-units"], cwd=reviewer)
        run(["git", "checkout", "-q", "desktop-units"], cwd=reviewer)
        run([dvc, "pull", "--with-deps", "series_evaluate@sine"], cwd=reviewer)
        assert (reviewer / "models/sine.keras").exists()
        again = run([dvc, "repro", "series_evaluate@sine"], cwd=reviewer,
                    env={"MLFLOW_TRACKING_URI": uri}).stdout
        assert "Running stage" not in again  # restored, not retrained


def laptop_logged_to_the_server(laptop, client):
    """The laptop's experiment 'laptop-units' (sine and many_to_one, with every stage that
    logs) is on the server, whole, and nothing went to a local store."""
    runs = {r.info.run_name: r for exp in client.search_experiments()
            for r in client.search_runs([exp.experiment_id])
            if r.data.tags.get("dvc.exp_name") == "laptop-units"}
    assert set(runs) == {"laptop-units-sine", "laptop-units-many_to_one"}
    head = run(["git", "rev-parse", "HEAD"], cwd=laptop).stdout.strip()
    for r in runs.values():
        assert r.info.status == "FINISHED"
        assert r.data.tags["dvc.baseline_rev"] == r.data.tags["git.commit"] == head
        assert r.data.tags["git.dirty"] == "True"  # -S changed params.yaml
        assert len(r.data.tags["params.hash"]) == 12
        assert any(k.startswith("eval_") for k in r.data.metrics)
        assert client.get_metric_history(r.info.run_id, "loss")
    assert client.search_model_versions("name='sixpence-many-to-one'")
    assert client.search_model_versions("name='sine-forecaster'")
    assert runs["laptop-units-sine"].data.tags["lab.formulation"] == "lecture: the values as they are"
    assert "samples.txt" in {a.path for a in client.list_artifacts(
        runs["laptop-units-many_to_one"].info.run_id)}
    assert not (laptop / "mlflow.db").exists()
