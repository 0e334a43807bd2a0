"""A stage stops cleanly (one line, no outputs, its MLflow run KILLED, never left RUNNING) on
Ctrl-C, SIGTERM and SIGHUP, when what started it (dvc, make) is killed alone, and while
TensorFlow is inside a long call; a run left RUNNING by a process that died is marked KILLED
by the next stage that opens a run, whatever its experiment (rnnlab/core/errors.py,
rnnlab/core/lifeline.py, rnnlab/tracking/runs.py)."""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml
from mlflow import MlflowClient

from rnnlab.core.lifeline import process_alive, started
from rnnlab.tracking.store import prepare
from tests.conftest import run, stage_command, tool

STOCK_OUTPUTS = ("models/stock.keras", "models/stock_untrained.keras",
                 "models/stock_transform.json", "plots/stock_history.csv", "runs/stock.json")
LINE_END = ": no outputs written; its MLflow run is KILLED"  # a train stage's


def set_params(project, section, **values):
    """params.yaml's ``section`` (a dotted key: 'series.stock') updated with ``values``."""
    path = project / "params.yaml"
    p = yaml.safe_load(path.read_text())
    node = p
    for part in section.split("."):
        node = node[part]
    node.update(values)
    path.write_text(yaml.safe_dump(p, sort_keys=False))


def stage_env():
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return {**env, "MLFLOW_DISABLE_TELEMETRY": "true"}


def default_sighup():
    """In the child: SIGHUP as a terminal's process gets it (pytest may run under nohup)."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def store(project):
    """The project's store, its tables created under the stages' first-use lock (``prepare``,
    as `make ui` does): a test's client that creates them while a stage does (it opens its
    run before importing TensorFlow) fails one of the two."""
    uri = f"sqlite:///{project}/mlflow.db"
    prepare(uri)
    return MlflowClient(tracking_uri=uri)


def wait_for_run(client, proc, logged="loss", timeout=180):
    """The run of the training stage, once it has logged ``logged`` (its first epoch's loss;
    None: as soon as it exists), while ``proc`` (what started it) still runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            said = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"{proc.args} exited ({proc.returncode}) before training: {said}")
        experiment = client.get_experiment_by_name("msft")
        runs = client.search_runs([experiment.experiment_id]) if experiment else []
        if runs and (logged is None or client.get_metric_history(runs[0].info.run_id, logged)):
            return runs[0]
        time.sleep(0.5)
    raise AssertionError(f"training logged no epoch within {timeout} s")


def wait_gone(pid, timeout=60):
    """Whether process ``pid`` has ended within ``timeout`` seconds (a bound on a broken stage,
    which never ends by itself: not a measure of speed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        time.sleep(0.2)
    return False


def running(client):
    """The ids of the store's runs left RUNNING, in any experiment."""
    ids = [e.experiment_id for e in client.search_experiments()]
    return [r.info.run_id for r in client.search_runs(ids, "attributes.status = 'RUNNING'")]


@contextlib.contextmanager
def session(cmd, cwd, log):
    """``cmd`` in a new session (its own process group, no terminal) writing to ``log``; on
    leaving, every process of that group is killed and ``cmd`` waited for."""
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=stage_env(), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=default_sighup)
        try:
            yield proc
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def assert_stopped_cleanly(project, client, run_id, pid, line, log):
    """Stage ``pid`` has ended, saying ``line``, its run KILLED, none of its outputs left."""
    assert wait_gone(pid), f"the stage (pid {pid}) still runs:\n{log.read_text()}"
    text = log.read_text()
    assert line in text.splitlines(), text
    assert "Traceback" not in text
    assert client.get_run(run_id).info.status == "KILLED"
    for path in STOCK_OUTPUTS:
        assert not (project / path).exists(), path
    assert running(client) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=lambda sig: sig.name)
def test_an_interrupted_training_leaves_no_output_and_a_killed_run(project, sig):
    set_params(project, "series.stock", epochs=500, patience=0)  # long enough to interrupt
    run(stage_command(project, "stock_data"), cwd=project)
    proc = subprocess.Popen(stage_command(project, "series_train@stock"), cwd=project,
                            env=stage_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=default_sighup)
    try:
        client = store(project)
        training = wait_for_run(client, proc)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == f"error: interrupted ({sig.name}){LINE_END}"
    assert client.get_run(training.info.run_id).info.status == "KILLED"
    for path in STOCK_OUTPUTS:
        assert not (project / path).exists(), path
    assert running(client) == []


@pytest.mark.parametrize("starter,sig,gone", [
    # (SIGTERM to dvc ends dvc without a word to its stage: as SIGKILL for the stage; make
    # passes SIGTERM on to dvc, and waits for it to die: the same again.)
    ("dvc", signal.SIGKILL, "dvc"),
    ("make", signal.SIGKILL, "make"),  # dvc lives on: the stage sees make gone
], ids=["dvc-SIGKILL", "make-SIGKILL"])
def test_a_stage_ends_when_what_started_it_is_killed_alone(project, tmp_path, starter, sig, gone):
    """`kill <pid of dvc or make>` alone (a scheduler, an IDE's stop button): the stage, which
    nobody waits for any more, stops too rather than training on and registering a model."""
    set_params(project, "series.stock", epochs=500, patience=0)
    (project / "Makefile").write_text("train:\n\tdvc repro series_train@stock\n")
    cmd = [tool("dvc"), "repro", "series_train@stock"] if starter == "dvc" else ["make", "train"]
    log = tmp_path / "repro.log"
    with session(cmd, project, log) as proc:
        client = store(project)
        training = wait_for_run(client, proc)
        stage = int(training.data.tags["lab.pid"])
        pids = {}
        for parent in psutil.Process(stage).parents():  # nearest first (`make test` is a make too)
            pids.setdefault(parent.name(), parent.pid)
        assert pids[starter] == proc.pid
        os.kill(proc.pid, sig)  # that process alone, not its group
        proc.wait(timeout=60)
        assert_stopped_cleanly(project, client, training.info.run_id, stage,
                               f"error: stopped: {gone} (pid {pids[gone]}), which started this "
                               f"stage, is gone{LINE_END}", log)


SPIN = """
import sys
from rnnlab.tracking import runs
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing


def main():
    with all_or_nothing("models/spin.keras", "runs/spin.json"), \\
            runs.new_run("spin", "spin", "series_train@spin", "runs/spin.json", {}):
        open("models/spin.keras", "w").write("half of a model")
        import tensorflow as tf

        @tf.function
        def spin(a):  # hours of matrix products in one call into TensorFlow
            return tf.while_loop(lambda i, a: i < 10**9,
                                 lambda i, a: (i + 1, tf.linalg.matmul(a, a) / 1000.0), (0, a))

        print("spinning", file=sys.stderr, flush=True)
        spin(tf.ones((1000, 1000)))


run(main)
"""


@pytest.mark.parametrize("how", ["SIGTERM"])
def test_a_stage_answers_while_tensorflow_computes(project, tmp_path, how):
    """One call into TensorFlow that never returns (one training call of a large network
    takes minutes), during which Python runs no signal handler: the stage still ends, saying
    its line, its run KILLED and its outputs removed, by its lifeline's thread. (A parent
    gone is the same: the lifeline signals its own process; pass how="dvc gone" to see it.)"""
    log = tmp_path / "spin.log"
    cmd = [sys.executable, "-c", SPIN]
    if how == "dvc gone":  # the same under a shell that a test then kills, as it would dvc
        cmd = ["bash", "-c", f"{subprocess.list2cmdline(cmd)}; exit"]
    with session(cmd, project, log) as proc:
        deadline = time.monotonic() + 180
        while "spinning" not in log.read_text() and proc.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        time.sleep(1)  # inside the call
        client = store(project)
        (spinning,) = client.search_runs([client.get_experiment_by_name("spin").experiment_id])
        stage = int(spinning.data.tags["lab.pid"])
        if how == "SIGTERM":
            proc.send_signal(signal.SIGTERM)
            line = f"error: interrupted (SIGTERM){LINE_END}"
        else:
            proc.kill()
            line = (f"error: stopped: bash (pid {proc.pid}), which started this stage, is "
                    f"gone{LINE_END}")
        proc.wait(timeout=60)
        if how == "SIGTERM":
            assert proc.returncode == 128 + signal.SIGTERM, log.read_text()
        assert wait_gone(stage, 60), f"still computing:\n{log.read_text()}"
        assert log.read_text().splitlines()[-1] == line
        assert client.get_run(spinning.info.run_id).info.status == "KILLED"
        assert not (project / "models/spin.keras").exists()
        assert not (project / "runs/spin.json").exists()
        assert running(client) == []


def test_the_largest_network_answers_sigterm(project, tmp_path):
    """series.stock.units: 4096, the largest the check allows: building it (an orthogonal
    initializer over a 4096 x 16384 matrix) is one call into TensorFlow of a minute or more,
    and one training call of 32 batches many minutes; SIGTERM ends the stage all the same."""
    set_params(project, "series.stock", units=4096, epochs=500, patience=0)
    run(stage_command(project, "stock_data"), cwd=project)
    log = tmp_path / "train.log"
    with session(stage_command(project, "series_train@stock"), project, log) as proc:
        client = store(project)
        training = wait_for_run(client, proc, logged=None)
        time.sleep(10)  # building the network
        assert proc.poll() is None, log.read_text()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError("SIGTERM unanswered for 60 s") from None
        assert proc.returncode == 128 + signal.SIGTERM, log.read_text()
        assert_stopped_cleanly(project, client, training.info.run_id, proc.pid,
                               f"error: interrupted (SIGTERM){LINE_END}", log)


def test_runs_left_running_by_dead_processes_are_closed_anywhere(project):
    """A stage that opens a run (a train stage) first marks KILLED the runs of any experiment
    that a gone process of this machine left RUNNING: one DVC restores from its run-cache never
    runs again to close its own. A later stage opens none (it logs into the train stage's run
    as it is), so it leaves them to the next train stage or `dvc repro`."""
    set_params(project, "series.sine", epochs=1)
    run(stage_command(project, "sine_data"), cwd=project)
    train = stage_command(project, "series_train@sine")
    run(train, cwd=project)  # the store exists now
    client = store(project)
    elsewhere = client.create_experiment("elsewhere")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process that opened a run and was killed before it could close it

    def left_running(pid, since=None, host=None):
        tags = {"lab.host": host or socket.gethostname(), "lab.pid": str(pid)}
        if since is not None:
            tags["lab.pid_started"] = f"{since:.2f}"
        return client.create_run(elsewhere, tags=tags).info.run_id

    orphan = left_running(gone.pid)
    reused = left_running(os.getpid(), since=started() - 3600)  # its pid, now another's
    alive = left_running(os.getpid(), since=started())  # this test: it still runs
    remote = left_running(gone.pid, host=f"not-{socket.gethostname()}")  # not ours to judge
    again = run(train, cwd=project)
    for run_id, pid in ((orphan, gone.pid), (reused, os.getpid())):
        assert client.get_run(run_id).info.status == "KILLED"
        assert (f"MLflow run {run_id} ({client.get_run(run_id).info.run_name}) was left RUNNING "
                f"by process {pid}, which no longer exists: marked KILLED") in again.stderr
    assert client.get_run(alive).info.status == "RUNNING"
    assert client.get_run(remote).info.status == "RUNNING"

    # A later stage logs into the trained model's run: it opens none, and sweeps none (the next
    # stage that opens a run does, as above).
    last = left_running(gone.pid)
    run(stage_command(project, "series_evaluate@sine"), cwd=project)  # (it logs nothing)
    run(stage_command(project, "series_track@sine"), cwd=project)
    assert client.get_run(last).info.status == "RUNNING"
    client.set_terminated(last)
    assert sorted(running(client)) == sorted([alive, remote])
    client.set_terminated(alive)
    client.set_terminated(remote)


CONVERTED = """
import os, signal, time
from rnnlab.core.errors import run

def main():
    try:  # as Keras' import does: `try: import optree except ImportError` in a lazy module
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        except BaseException:
            raise ImportError("To use Keras, you need to have `optree` installed")
    except ImportError as err:
        raise RuntimeError("keras unusable") from err

run(main)
"""


def test_an_interrupt_that_code_turns_into_another_error_still_reads_as_the_interrupt(tmp_path):
    """A signal that lands inside a library's import may come out as another exception (Ctrl-C
    in Keras' import read as "optree is not installed"): once a signal arrived, what unwinds is
    the interrupt, one line and the signal's status, not a traceback."""
    script = tmp_path / "stage.py"
    script.write_text(CONVERTED)
    env = {**stage_env(), "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    assert proc.stderr.strip().splitlines() == ["error: interrupted (SIGTERM): no outputs written"]


def test_an_interrupted_later_stage_leaves_the_trained_run_finished(pipeline, tmp_path):
    """Ctrl-C in a later stage (here the walk-forward, under the real `dvc repro`) tags the
    train stage's run with what happened and leaves it FINISHED; the `make repro` that
    recovers restores the stage from DVC's run-cache without running it, and takes the tag
    back (rnnlab/tracking/failures.py)."""
    from rnnlab.tracking import failures
    from tests.conftest import add_makefile, trained_copy

    lab = trained_copy(pipeline, tmp_path / "lab")
    venv = add_makefile(lab)
    client = MlflowClient(tracking_uri=f"sqlite:///{lab}/mlflow.db")
    run_id = yaml.safe_load((lab / "runs/stock.json").read_text())["run_id"]
    client.delete_tag(run_id, "dvc.stage.series_walkforward")  # set again once the stage logs
    log = tmp_path / "repro.log"
    with session([tool("dvc"), "repro", "--force", "--single-item", "series_walkforward@stock"],
                 lab, log) as proc:
        deadline = time.monotonic() + 180
        while "dvc.stage.series_walkforward" not in client.get_run(run_id).data.tags:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the terminal's whole foreground group
        assert proc.wait(timeout=60) != 0
    text = log.read_text()
    assert "Traceback" not in text, text
    assert ("error: interrupted (SIGINT): no outputs written; the trained model's MLflow run "
            "stays FINISHED, tagged lab.failure.series_walkforward/stock") in text.splitlines()
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED", text
    assert got.data.tags[failures.tag("series_walkforward@stock")].endswith(
        "UTC: interrupted (SIGINT)")
    assert not (lab / "metrics/stock_walkforward.json").exists()

    again = run(["make", "repro", f"VENV={venv}"], cwd=lab, env={"PATH": stage_env()["PATH"]})
    assert "Running stage 'series_walkforward@stock'" not in again.stdout  # restored, not run
    assert (lab / "metrics/stock_walkforward.json").exists()
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert not [key for key in got.data.tags if key.startswith("lab.failure.")], got.data.tags
    assert "lab.failure.series_walkforward/stock taken back" in again.stderr
