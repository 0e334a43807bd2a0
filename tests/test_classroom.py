"""A class on one server (classroom/server.py, `make server`): a real PostgreSQL and a real
`mlflow server` with accounts, started in a temporary folder on 127.0.0.1 and stopped at the
end. A student's repro logs through it under their own names; another student cannot delete
it or write into it; missing or wrong credentials are one line. The module's server runs on
the PostgreSQL `make server` picks (the system's where installed); one more test starts one on
the PostgreSQL that pip installs (pgserver), as on a machine without the system's."""
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from classroom.postgres import pip_pg_bin, system_pg_bin
from rnnlab.core.errors import LabError
from rnnlab.tracking import orphans, store
from tests.conftest import (
    ROOT,
    copy_project,
    edit_params,
    free_port,
    git_commit,
    run,
    stage_command,
    tool,
)

pytestmark = pytest.mark.skipif(system_pg_bin() is None and pip_pg_bin() is None,
                                reason="no PostgreSQL server on this machine, nor pgserver")


def classroom(*args, check=True):
    return run([sys.executable, "-m", "classroom.server", *args], cwd=ROOT, check=check,
               timeout=300)


def class_folder():
    """A new folder for a class server. Not pytest's tmp_path: its folders are root's own
    (0700), and PostgreSQL runs as another user when the tests run as root."""
    base = Path(tempfile.mkdtemp(prefix="lab-class-"))
    base.chmod(0o755)
    return base


@contextlib.contextmanager
def account(env):
    """MLFLOW_TRACKING_* of ``env`` in this process's environment for a block (MlflowClient
    reads the credentials there)."""
    os.environ.update(env)
    try:
        yield
    finally:
        for key in env:
            os.environ.pop(key, None)


@pytest.fixture(scope="module")
def server():
    base = class_folder()
    folder = base / "class"
    port, pg_port = free_port(), free_port()
    try:
        # the README's recipe (`make server SERVER_NAME=...`) with the name students type;
        # here 'localhost' on 127.0.0.1 (tests bind no other address)
        started = classroom("start", "--dir", str(folder), "--name", "localhost", "--host",
                            "127.0.0.1", "--port", str(port), "--pg-port", str(pg_port),
                            "--workers", "2")
        state = json.loads((folder / "classroom.json").read_text())
        students = base / "students.txt"  # as Excel saves "Unicode text": UTF-16, tabs
        students.write_text("name\temail\nAlice\talice@example.edu\nbob\tbob@example.edu\n",
                            encoding="utf-16", newline="\r\n")  # Python's utf-16: the mark first
        made = classroom("accounts", str(students), "--dir", str(folder))
        lines = made.stdout.strip().splitlines()
        assert lines[0] == "username,password"
        passwords = dict(line.split(",") for line in lines[1:])
        # the students' address is the one the server printed for them
        said = next(line for line in started.stdout.splitlines() if line.startswith("students:"))
        uri = said.split("MLFLOW_TRACKING_URI=")[1].split()[0]
        yield {"folder": folder, "uri": uri, "state": state, "port": port,
               "started": started.stdout, "passwords": passwords, "pg_port": pg_port,
               "students": students}
    finally:
        classroom("stop", "--dir", str(folder), check=False)
        shutil.rmtree(base, ignore_errors=True)


def student(server, name, password=None):
    return {"MLFLOW_TRACKING_URI": server["uri"], "MLFLOW_TRACKING_USERNAME": name,
            "MLFLOW_TRACKING_PASSWORD": server["passwords"][name] if password is None else password}


@pytest.fixture(scope="module")
def alice_project(server, tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("alice") / "lab")
    edit_params(project, lambda p: p["series"]["sine"].update(epochs=2))
    git_commit(project, "tiny")
    out = run([tool("dvc"), "repro", "series_track@sine"], cwd=project,
              env=student(server, "alice"))
    return project, out


def listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_the_name_students_type_is_printed_and_the_only_host_answered(server):
    """`--name` (make server SERVER_NAME=...): the line for students says that name, and the
    server answers it, and this machine's own names, but no other Host (MLflow's
    --allowed-hosts: a page of another site cannot reach it by DNS rebinding)."""
    import requests

    port = server["port"]
    assert server["uri"] == f"http://localhost:{port}"
    assert f"class server: http://localhost:{port} (MLflow, accounts on, listening on 127.0.0.1)" \
        in server["started"]
    assert f"runs, in a browser: http://localhost:{port}/#/experiments?workflowType=" \
        "machine_learning" in server["started"]
    assert server["state"]["allowed_hosts"].split(",") == [
        "localhost", f"localhost:{port}", "127.0.0.1", f"127.0.0.1:{port}"]
    # an API call (MLflow exempts /health from the Host check), as the teacher
    api = f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search?max_results=1"
    admin = ("admin", server["state"]["admin_password"])
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        assert requests.get(api, headers={"Host": host}, auth=admin,
                            timeout=30).status_code == 200, host
    other = requests.get(api, headers={"Host": "evil.example"}, auth=admin, timeout=30)
    assert other.status_code in (400, 403), other.status_code


def test_start_makes_a_postgresql_backed_server_with_a_new_admin(server):
    state = server["state"]
    assert "admin account: admin / " in server["started"]
    assert state["admin_password"] in server["started"]  # printed at the first start
    assert state["admin_password"] != "password1234"
    assert os.stat(server["folder"] / "classroom.json").st_mode & 0o077 == 0
    assert listening(server["pg_port"])
    admin = MlflowClient(tracking_uri=server["uri"])
    os.environ.update(MLFLOW_TRACKING_USERNAME="admin", MLFLOW_TRACKING_PASSWORD=state["admin_password"])
    try:
        assert admin.search_experiments()  # the backend store answers (PostgreSQL)
    finally:
        del os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"]
    import psycopg2  # the backend really is PostgreSQL: MLflow's tables are in it
    with psycopg2.connect(host="127.0.0.1", port=server["pg_port"], user="lab",
                          password=state["pg_password"], dbname="mlflow") as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM experiments")
            assert cur.fetchone()[0] >= 1


def test_accounts_from_a_list_and_passwords_printed_once(server):
    assert set(server["passwords"]) == {"alice", "bob"}
    assert all(len(p) >= 12 for p in server["passwords"].values())
    again = classroom("accounts", str(server["students"]), "--dir", str(server["folder"]))
    assert again.stdout.strip() == "username,password"  # nobody new; no password shown again
    assert "already there, unchanged: alice, bob" in again.stderr
    assert not any(p in (server["folder"] / "classroom.json").read_text()
                   for p in server["passwords"].values())


def test_a_students_repro_logs_through_the_server_under_their_names(server, alice_project):
    project, _ = alice_project
    link = json.loads((project / "runs/sine.json").read_text())
    assert link["experiment_name"] == "alice-sine"
    for key, value in student(server, "alice").items():
        os.environ[key] = value
    try:
        client = MlflowClient(tracking_uri=server["uri"])
        r = client.get_run(link["run_id"])
        assert r.info.status == "FINISHED"
        assert len(client.get_metric_history(r.info.run_id, "loss")) == 2  # per epoch
        assert "eval_test_rmse_model" in r.data.metrics or client.get_logged_model(
            link["models"]["keras"]).metrics
        assert {a.path for a in client.list_artifacts(r.info.run_id, "figures")} >= {
            "figures/evaluation.png"}
        assert client.search_model_versions("name='alice-sine-forecaster'")
        assert client.get_experiment_by_name("alice-sine").tags["mlflow.note.content"]
    finally:
        for key in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
            os.environ.pop(key, None)
    stored = list((server["folder"] / "artifacts").rglob("evaluation.png"))
    assert stored, "the server keeps the artifacts (proxied), not the student's machine"


def test_another_student_can_neither_delete_nor_write_into_it(server, alice_project):
    project, _ = alice_project
    link = json.loads((project / "runs/sine.json").read_text())
    for key, value in student(server, "bob").items():
        os.environ[key] = value
    try:
        client = MlflowClient(tracking_uri=server["uri"])
        before = client.get_run(link["run_id"])
        assert before.info.status == "FINISHED"  # bob reads it
        with pytest.raises(MlflowException, match="403|PERMISSION_DENIED"):
            client.delete_run(link["run_id"])
        with pytest.raises(MlflowException, match="403|PERMISSION_DENIED"):
            client.delete_registered_model("alice-sine-forecaster")
        # A stage of bob's that would log into alice's run: one line, and her run as it was.
        proc = run(stage_command(project, "series_track@sine"), cwd=project, check=False,
                   env=student(server, "bob"))
        assert proc.returncode == 1
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            f"error: MLflow tracking server {server['uri']}: permission denied to 'bob' (HTTP 403)"), \
            proc.stderr
        after = client.get_run(link["run_id"])
        assert (after.data.tags, after.data.metrics) == (before.data.tags, before.data.metrics)
    finally:
        for key in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
            os.environ.pop(key, None)


def test_a_students_orphans_are_closed_by_that_student_alone(server, alice_project):
    """A run alice's stage left RUNNING (its process gone): bob's stages, on the same machine,
    leave it alone (they may not change it, and do not look for it); alice's next stage marks
    it KILLED."""
    project, _ = alice_project
    experiment = json.loads((project / "runs/sine.json").read_text())["experiment_name"]
    gone = subprocess.Popen(["true"])
    gone.wait()
    with account(student(server, "alice")):
        client = MlflowClient(tracking_uri=server["uri"])
        orphan = client.create_run(client.get_experiment_by_name(experiment).experiment_id,
                                   tags={**orphans.owner_tags(), "lab.pid": str(gone.pid)})
    with account(student(server, "bob")):
        orphans.close_orphans()
        assert MlflowClient(tracking_uri=server["uri"]).get_run(
            orphan.info.run_id).info.status == "RUNNING"
    with account(student(server, "alice")):
        orphans.close_orphans()
        assert MlflowClient(tracking_uri=server["uri"]).get_run(
            orphan.info.run_id).info.status == "KILLED"


def test_a_name_a_classmate_took_first_is_one_line_and_the_teacher_gives_it_back(server, tmp_path):
    """Alice makes 'bob-sine' and 'bob-sine-forecaster' before bob's first repro: bob's train
    stage stops in one line naming the name, alice where readable, and the teacher's command;
    the teacher runs it (`make grant`'s command) and bob's stage goes through."""
    project = copy_project(tmp_path / "lab")
    edit_params(project, lambda p: p["series"]["sine"].update(epochs=2))
    run(stage_command(project, "sine_data"), cwd=project)
    with account(student(server, "alice")):
        client = MlflowClient(tracking_uri=server["uri"])
        client.create_experiment("bob-sine", tags={"lab.account": "alice"})
        client.create_registered_model("bob-sine-forecaster")

    def train():
        return run(stage_command(project, "series_train@sine"), cwd=project,
                   check=False, env=student(server, "bob"))

    for kind, name, maker in [("experiment", "bob-sine", "'alice'"),
                              ("registered model", "bob-sine-forecaster", "another account")]:
        proc = train()
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.strip().splitlines() == [
            f"error: MLflow tracking server {server['uri']}: the {kind} '{name}' was made by "
            f"{maker} before 'bob' first logged into it, and only its maker may change it (HTTP "
            f"403): the teacher gives it to 'bob' with `make grant ACCOUNT=bob NAME={name}` "
            f"(docs/team.md)"]
        assert not (project / "runs/sine.json").exists()
        given = classroom("grant", "bob", name, "--dir", str(server["folder"]))
        assert f"bob may now change the {kind} '{name}'" in given.stdout
    proc = train()
    assert proc.returncode == 0, proc.stderr
    assert json.loads((project / "runs/sine.json").read_text())["experiment_name"] == "bob-sine"
    nobody = classroom("grant", "bob", "bob-nothing", "--dir", str(server["folder"]), check=False)
    assert nobody.returncode == 1 and nobody.stderr.strip().splitlines() == [
        f"error: http://127.0.0.1:{server['port']}: no experiment or registered model is named "
        "'bob-nothing'"]  # the address the teacher's command reaches the server by


def test_missing_or_wrong_credentials_are_one_line_before_anything_is_written(server, tmp_path):
    project = copy_project(tmp_path / "lab")
    run(stage_command(project, "sine_data"), cwd=project)
    proc = run(stage_command(project, "series_train@sine"), cwd=project, check=False,
               env=student(server, "alice", password="not-it"))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0] == (
        f"error: MLflow tracking server {server['uri']} refused the account 'alice' (HTTP 401): "
        "a wrong MLFLOW_TRACKING_PASSWORD, or no such user"), proc.stderr
    assert not (project / "models/sine.keras").exists() and not (project / "runs/sine.json").exists()
    # No account at all: the same check, the other line (what the stage above calls first).
    with pytest.raises(LabError, match=r"needs an account: set MLFLOW_TRACKING_USERNAME and "
                                       r"MLFLOW_TRACKING_PASSWORD$"):
        store.check(server["uri"])


def test_stop_stops_both(server):
    folder, state = server["folder"], server["state"]
    stopped = classroom("stop", "--dir", str(folder))
    assert "mlflow server stopped" in stopped.stdout and "PostgreSQL stopped" in stopped.stdout
    assert not listening(state["port"]) and not listening(server["pg_port"])
    assert "server_pid" not in json.loads((folder / "classroom.json").read_text())


@pytest.mark.skipif(pip_pg_bin() is None, reason="pgserver (PostgreSQL from pip) not installed")
def test_start_on_the_postgresql_pip_installs_logs_a_run_and_stops(tmp_path):
    """`make server` on a machine without the system's PostgreSQL: pgserver's binaries from the
    venv (forced here with --postgres pip, the system's being installed), as another user when
    run as root; an account logs in, a run with a file is logged, and stop stops both."""
    base = class_folder()
    folder = base / "class"
    port, pg_port = free_port(), free_port()
    try:
        started = classroom("start", "--dir", str(folder), "--port", str(port),
                            "--pg-port", str(pg_port), "--workers", "1", "--postgres", "pip")
        assert "PostgreSQL 16" in started.stdout and "pip-installed" in started.stdout
        state = json.loads((folder / "classroom.json").read_text())
        assert state["pg_source"] == "pip" and state["pg_bin"] == pip_pg_bin()
        postmaster = int((folder / "postgres/postmaster.pid").read_text().split()[0])
        if Path("/proc").is_dir():  # (Linux) the running server is pgserver's binary
            running = os.path.realpath(f"/proc/{postmaster}/exe")
            assert running.startswith(os.path.realpath(pip_pg_bin()))
            if os.geteuid() == 0:  # PostgreSQL refuses root: pgserver's own user runs it
                assert Path(f"/proc/{postmaster}").stat().st_uid != 0
        uri = f"http://127.0.0.1:{port}"
        with pytest.raises(LabError, match="refused the account 'admin' .HTTP 401."), \
                account({"MLFLOW_TRACKING_USERNAME": "admin", "MLFLOW_TRACKING_PASSWORD": "x"}):
            store.check(uri)
        with account({"MLFLOW_TRACKING_USERNAME": "admin",
                      "MLFLOW_TRACKING_PASSWORD": state["admin_password"]}):
            store.check(uri)  # the login
            client = MlflowClient(tracking_uri=uri)
            experiment = client.create_experiment("pip-postgres")
            r = client.create_run(experiment)
            client.log_metric(r.info.run_id, "loss", 0.5, step=0)
            note = tmp_path / "note.txt"
            note.write_text("through the server\n")
            client.log_artifact(r.info.run_id, str(note))
            client.set_terminated(r.info.run_id)
            r = client.get_run(r.info.run_id)
            assert r.info.status == "FINISHED" and r.data.metrics["loss"] == 0.5
            assert [a.path for a in client.list_artifacts(r.info.run_id)] == ["note.txt"]
        assert list((folder / "artifacts").rglob("note.txt"))
        stopped = classroom("stop", "--dir", str(folder))
        assert "mlflow server stopped" in stopped.stdout and "PostgreSQL stopped" in stopped.stdout
        assert not listening(port) and not listening(pg_port)
    finally:
        classroom("stop", "--dir", str(folder), check=False)
        shutil.rmtree(base, ignore_errors=True)
