"""Fault injection against a trained copy of the lab: values the params check accepts but that
are extreme, params files of the wrong shape, a broken tracking store or run link, missing or
corrupt files. Each ends in one line naming the cause ('error: ...'), a non-zero exit, no
traceback, within the time bound of every command here, with nothing half-written and no NaN in
any metrics file; or it works. (Interrupts are in test_interrupts.py.)"""
import contextlib
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from rnnlab.tracking import failures
from tests.conftest import (
    free_port,
    git_commit,
    read_only,
    run,
    server,
    stage_command,
    tool,
    trained_copy,
)

BOUND = 120  # seconds: no command here may take longer (a hang fails the test, it does not wait)
WATCHED = ("data", "models", "runs", "metrics", "plots", "predictions", "reports")


def edit_params(lab, dotted, value):
    path = lab / "params.yaml"
    p = yaml.safe_load(path.read_text())
    *parents, key = dotted.split(".")
    node = p
    for part in parents:
        node = node[part]
    node[key] = value
    path.write_text(yaml.safe_dump(p, sort_keys=False))


@pytest.fixture(scope="module")
def trained(pipeline, tmp_path_factory):
    """A copy of the session's pipeline (every model trained a few epochs), committed."""
    lab = trained_copy(pipeline, tmp_path_factory.mktemp("faults") / "lab")
    git_commit(lab, "trained")
    shutil.copy(lab / "mlflow.db", lab.parent / "mlflow.db.good")
    return lab


@pytest.fixture
def lab(trained):
    """The trained lab; whatever a test breaks is put back afterwards: the committed files,
    the store, and every output as it was (from the snapshot: faster than `dvc checkout`,
    which would hash them all)."""
    before = snapshot(trained)
    yield trained
    run(["git", "checkout", "-q", "HEAD", "--", "."], cwd=trained)
    target = trained / "mlflow.db"
    if target.is_dir():
        shutil.rmtree(target)
    shutil.copy(trained.parent / "mlflow.db.good", target)
    put_back(trained, before)
    assert snapshot(trained) == before, "a test left the lab changed"


def snapshot(lab):
    """{path: bytes} of every output file."""
    files = {}
    for top in WATCHED:
        for path in sorted((lab / top).rglob("*")):
            if path.is_file():
                files[str(path.relative_to(lab))] = path.read_bytes()
    return files


def put_back(lab, files):
    """Every output as in ``files`` (a ``snapshot``): new ones removed, changed or missing ones
    written back."""
    for top in WATCHED:
        for path in list((lab / top).rglob("*")):
            if path.is_file() and str(path.relative_to(lab)) not in files:
                path.unlink()
    for name, data in files.items():
        path = lab / name
        if not path.is_file() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def stage(lab, *args, env=None, **values):
    """``python -m <args>`` in the lab, or, given a stage's name alone, that stage as dvc.yaml
    runs it (with ``values`` for its vars: ``corpus="data"``)."""
    cmd = stage_command(lab, args[0], **values) if len(args) == 1 and "." not in args[0] \
        else [sys.executable, "-m", *args]
    return run(cmd, cwd=lab, check=False, timeout=BOUND, env=env)


def assert_clean_error(proc, *fragments):
    """Non-zero exit and one line on stderr, 'error: ...', naming the cause."""
    err = proc.stderr
    assert proc.returncode != 0, proc.stdout + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    last = lines[0]
    assert last.startswith("error: "), err
    for fragment in fragments:
        assert fragment in last, last
    return last


def assert_nothing_half_written(lab, before):
    """Every output is as it was or gone (a failed stage removes its own); none is new or
    changed, and no metrics file holds NaN or Infinity."""
    after = snapshot(lab)
    changed = [p for p, data in after.items() if before.get(p) != data]
    assert changed == [], changed
    for path in (lab / "metrics").glob("*.json"):
        text = path.read_text()
        assert "NaN" not in text and "Infinity" not in text, path


# ---- 1. values the params check accepts: they work or fail cleanly ----

@pytest.mark.parametrize("edits,commands,fragments", [
    # A sine so large that training diverges at once: stopped, named, nothing written.
    ({"sine_data.amplitude": 1e30}, [["sine_data"], ["series_train@sine"]],
     ["training diverged", "'series.sine.learning_rate'", "'series.sine.target: price'"]),
    # sin() of an argument that overflows, a sine too large for float32 even when scaled:
    # refused by the data stage.
    ({"sine_data.frequency": 1e308}, [["sine_data"]],
     ["not a finite float32 number", "'sine_data.amplitude'"]),
    ({"sine_data.amplitude": 1e160, "series.sine.target": "price"}, [["sine_data"]],
     ["not a finite float32 number", "'sine_data.amplitude'"]),
    ({"sine_data.amplitude": 10**400}, [["sine_data"]],
     ["'sine_data.amplitude' must be a number > 0"]),
    ({"sine_data.n_samples": 10**400}, [["sine_data"]],
     ["'sine_data.n_samples' + 'sine_data.held_out'", "GiB"]),
    # More samples than this machine could train on: said before allocating them.
    ({"sine_data.held_out": 10**12}, [["sine_data"]],
     ["'sine_data.held_out'", "GiB", "more than half of this machine's"]),
    ({"series.sine.batch_size": 10**20}, [["series_train@sine"]],
     ["'series.sine.batch_size' must be an integer >= 1 and <= 1000000"]),
])
def test_extreme_values_fail_in_one_line(lab, edits, commands, fragments):
    for dotted, value in edits.items():
        edit_params(lab, dotted, value)
    *setup, last = commands
    for command in setup:
        assert stage(lab, *command).returncode == 0
    before = snapshot(lab)  # (a data stage that ran first rewrote its own outputs)
    assert_clean_error(stage(lab, *last), *fragments)  # within BOUND: stage() times out
    assert_nothing_half_written(lab, before)


# A diagnostic's count far beyond the data (a horizon of 10**9 steps, an n-gram order of 10**6
# characters): lowered to what the data holds at once, said in a line and recorded, and the
# stage completes within BOUND.
@pytest.mark.parametrize("key,value,command,metrics,record,used_key,line", [
    ("series.sine.horizon", 10**9, ["series_evaluate@sine"], "metrics/sine.json",
     lambda m: (m["forecast"]["horizon"]["asked"], m["forecast"]["horizon"]["used"]),
     "sine_data.held_out", "'series.sine.horizon' asks for 1000000000 steps"),
    ("text_baselines.ngram_order", 10**6, ["text_baselines"], "metrics/text_ngram.json",
     lambda m: (m["order_asked"], m["order"]),
     "text_encode.window", "'text_baselines.ngram_order' asks for 1000000 characters"),
])
def test_extreme_diagnostic_counts_are_lowered_to_the_data(lab, key, value, command, metrics,
                                                          record, used_key, line):
    import json

    p = yaml.safe_load((lab / "params.yaml").read_text())
    section, name = used_key.split(".")
    edit_params(lab, key, value)
    done = stage(lab, *command)
    assert done.returncode == 0, done.stderr
    assert line in done.stdout
    asked, used = record(json.loads((lab / metrics).read_text()))
    assert (asked, used) == (value, p[section][name])


def test_no_metrics_file_can_hold_nan(tmp_path):
    from rnnlab.core.errors import LabError
    from rnnlab.core.outputs import write_json

    with pytest.raises(LabError, match="NaN or infinite"):
        write_json(tmp_path / "m.json", {"test": {"rmse": float("nan")}})
    assert not (tmp_path / "m.json").exists()


def test_an_integer_learning_rate_is_a_float(lab):
    edit_params(lab, "series.sine.learning_rate", 1)
    proc = stage(lab, "series_train@sine")
    assert proc.returncode == 0, proc.stderr
    assert "series_train@sine: loss" in proc.stdout


@pytest.mark.parametrize("temperature", [5e-324, 1e308])
def test_any_positive_temperature_samples(lab, temperature):
    edit_params(lab, "text_generate.temperatures", [temperature])
    proc = stage(lab, "text_generate@many_to_one")
    assert proc.returncode == 0, proc.stderr
    samples = (lab / "reports/samples/many_to_one.txt").read_text()
    assert samples.startswith("T=") and samples.count(" -> ") == 3, samples


# ---- 2. params.yaml of the wrong shape: `make repro` checks it first (python -m rnnlab.params),
# ---- and every stage checks it too

WRONG_SHAPES = [
    ("sine_data: abc\n", "section 'sine_data' must be a mapping of keys, got 'abc'"),
    ("series: [1, 2]\n", "section 'series' must be a mapping of keys, got [1, 2]"),
    ("series: {sine: [1, 2]}\n", "section 'series.sine' must be a mapping of keys, got [1, 2]"),
    ("text_train: foo\n", "section 'text_train' must be a mapping of keys, got 'foo'"),
    ("text_train: {1: {units: 3}}\n", "unknown model 'text_train.1'"),
    ("sine_data: {1: 2}\n", "unknown key 'sine_data.1'"),
    ("1: 2\n", "unknown section '1'"),
    # the files moved to dvc.yaml's vars: an older params.yaml naming them is told the keys
    ("text_encode: {corpus: '', window: 10, val: 0.0}\n", "unknown key 'text_encode.corpus' (known: val, window)"),
    ("stock_data: {csv: null}\n", "unknown key 'stock_data.csv'"),
]


def replace_sections(lab, text):
    p = yaml.safe_load((lab / "params.yaml").read_text())
    p.update(yaml.safe_load(text))
    (lab / "params.yaml").write_text(yaml.safe_dump(p, sort_keys=False))


@pytest.mark.parametrize("text,fragment", WRONG_SHAPES)
def test_wrong_shapes_are_named_by_the_check(lab, text, fragment):
    replace_sections(lab, text)
    before = snapshot(lab)
    assert_clean_error(run([sys.executable, "-m", "rnnlab.params"], cwd=lab, check=False,
                           timeout=BOUND), "params.yaml", fragment)
    assert_nothing_half_written(lab, before)


@pytest.mark.parametrize("content,fragment", [
    (None, "params.yaml is missing"),
    ("a: [\n", "params.yaml: not valid YAML at line 2"),
    ("", "params.yaml must be a mapping of sections"),
    ("- 1\n- 2\n", "params.yaml must be a mapping of sections (sine_data:, text_train:, ...), got list"),
])
@pytest.mark.parametrize("command", [["rnnlab.params"], ["sine_data"]])
def test_a_missing_or_unreadable_params_file(lab, content, fragment, command):
    path = lab / "params.yaml"
    if content is None:
        path.unlink()
    else:
        path.write_text(content)
    assert_clean_error(stage(lab, *command), fragment)


def test_a_corpus_that_is_a_folder(lab):
    assert_clean_error(stage(lab, "text_encode", corpus="data"), "corpus data is a folder")


def test_a_bad_text_param_stops_dvc_before_it_touches_the_sine_stages(lab):
    """params.yaml is checked whole on every route (`make repro` first, every stage as its first
    step): a sine stage that DVC runs stops on a bad text section's one line, and the sine
    stages' outputs stay as they were (tests/test_routes.py has the other routes). One that
    DVC need not run is not run: nothing changes."""
    before = snapshot(lab)
    replace_sections(lab, "text_generate: {length: 0}\n")
    target = [tool("dvc"), "repro", "series_evaluate@sine"]
    assert run(target, cwd=lab, timeout=BOUND).returncode == 0  # up to date: nothing to run
    proc = run([*target, "--force", "--single-item"], cwd=lab, check=False, timeout=BOUND)
    *ours, dvcs = proc.stderr.strip().splitlines()  # DVC's own word that the stage failed last
    assert dvcs.startswith("ERROR: failed to reproduce 'series_evaluate@sine'"), proc.stderr
    proc.stderr = "\n".join(ours)
    assert_clean_error(proc, "params.yaml: 'text_generate.length'")
    assert_nothing_half_written(lab, before)


# ---- 3. the tracking store and the run links, broken ----

def break_db(lab, how):
    db = lab / "mlflow.db"
    if how == "garbage":
        db.write_bytes(os.urandom(50_000))
    elif how == "text":
        db.write_text("hello\n")
    elif how == "truncated":
        with open(db, "r+b") as f:
            f.truncate(db.stat().st_size // 2)
    elif how == "folder":
        db.unlink()
        db.mkdir()


@pytest.mark.parametrize("how,fragment", [
    ("garbage", "mlflow.db is not a SQLite database"),
    ("text", "mlflow.db is not a SQLite database"),
    ("truncated", "MLflow store sqlite:///"),
    ("folder", "mlflow.db: cannot read the MLflow store (Is a directory)"),
])
def test_a_broken_store(lab, how, fragment):
    before = snapshot(lab)
    break_db(lab, how)
    assert_clean_error(stage(lab, "series_track@sine"), fragment)
    assert_nothing_half_written(lab, before)


def test_a_read_only_store(lab):
    before = snapshot(lab)
    with read_only(lab / "mlflow.db"):
        proc = stage(lab, "series_track@sine")
    assert_clean_error(proc, "mlflow.db: the MLflow store is read-only")
    assert_nothing_half_written(lab, before)


@contextlib.contextmanager
def not_mlflow():
    """A web server that answers HTTP but is not MLflow."""
    port = free_port()
    with server([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                f"http://127.0.0.1:{port}/", cwd=Path(os.environ.get("TMPDIR", "/tmp"))):
        yield f"http://127.0.0.1:{port}"


def test_tracking_uris_that_cannot_work(lab):
    before = snapshot(lab)
    closed = f"http://127.0.0.1:{free_port()}"
    with not_mlflow() as web:
        for uri, fragment in [("foo://bar", "MLFLOW_TRACKING_URI=foo://bar: not a tracking store"),
                              ("file:///tmp/mlruns", "MLFLOW_TRACKING_URI=file:///tmp/mlruns: not a tracking store"),
                              (closed, f"MLflow tracking server {closed} is unreachable"),
                              (web, f"{web} did not answer as an MLflow tracking server")]:
            proc = stage(lab, "series_track@sine", env={"MLFLOW_TRACKING_URI": uri})
            assert_clean_error(proc, fragment)
    assert_nothing_half_written(lab, before)


CONFLICT = "<<<<<<< HEAD\n{\"run_id\": \"a\"}\n=======\n{\"run_id\": \"b\"}\n>>>>>>> theirs\n"


@pytest.mark.parametrize("path,content,command,fragment", [
    ("runs/sine.json", CONFLICT, ["series_track@sine"], "runs/sine.json has merge-conflict markers"),
    ("runs/sine.json", "", ["series_track@sine"], "runs/sine.json is unreadable or corrupt"),
    ("runs/sine.json", "[1]", ["series_track@sine"], "runs/sine.json is unreadable or corrupt"),
    ("runs/sine.json", '{"run_id": "abc", "experiment_name": "sine"}', ["series_track@sine"],
     "MLflow run abc named in runs/sine.json is not in"),
    ("runs/sine.json", None, ["series_track@sine"], "runs/sine.json is missing"),
    ("models/sine.keras", None, ["series_evaluate@sine"], "models/sine.keras is missing"),
    ("models/sine.keras", "PK\x03\x04junk", ["series_evaluate@sine"], "models/sine.keras is unreadable or corrupt"),
    ("models/text_many_to_one.keras", "junk", ["text_generate@many_to_one"],
     "models/text_many_to_one.keras is unreadable or corrupt"),
    ("data/sine/meta.json", None, ["series_train@sine"], "data/sine/meta.json is missing"),
    ("data/sine/train.npz", "junk", ["series_train@sine"], "data/sine/train.npz is unreadable or corrupt"),
    ("data/text/vocab.json", "{}", ["text_generate@many_to_one"], "data/text/vocab.json is unreadable or corrupt"),
    ("data/text/train.npy", "junk", ["text_baselines"], "data/text/train.npy is unreadable or corrupt"),
    ("plots/sine_history.csv", "epoch,loss\n1,abc\n", ["series_evaluate@sine"],
     "plots/sine_history.csv is unreadable or corrupt"),
    ("metrics/sine.json", "[1]", ["series_track@sine"], "metrics/sine.json is unreadable or corrupt"),
    ("metrics/text_many_to_one.json",  # a figure of its headline fine, another not a number
     '{"train": {"accuracy": 0.5, "bits_per_char": 1.0, "windows": 3, "loss": "abc"}}',
     ["text_track@many_to_one"], "metrics/text_many_to_one.json is unreadable or corrupt (TypeError"),
    ("metrics/text_many_to_one.json", '{"train": []}', ["text_track@many_to_one"],
     "metrics/text_many_to_one.json is unreadable or corrupt"),
    ("metrics/text_many_to_one.json", "{}", ["text_track@many_to_one"],
     "metrics/text_many_to_one.json is unreadable or corrupt"),
    ("metrics/text_ngram.json", '{"val": {}}', ["text_track@many_to_one"],
     "metrics/text_ngram.json is unreadable or corrupt"),
    ("reports/samples/many_to_one.txt", None, ["text_track@many_to_one"],
     "reports/samples/many_to_one.txt is missing"),
])
def test_a_missing_or_corrupt_file(lab, path, content, command, fragment):
    target = lab / path
    target.unlink()
    if content is not None:
        target.write_text(content)
    before, store = snapshot(lab), (lab / "mlflow.db").read_bytes()
    assert_clean_error(stage(lab, *command), fragment)
    assert_nothing_half_written(lab, before)
    assert (lab / "mlflow.db").read_bytes() == store  # no run touched, no failure tagged
    assert not list((lab / ".lab/failures").glob("*"))


# ---- 4. a later stage that fails does not make a good trained model look FAILED ----

def test_a_failing_track_stage_tags_the_run_and_a_rerun_clears_it(lab):
    """The artifact store refuses the figure (an unwritable file of it): series_track fails with
    one line, and the run stays FINISHED, tagged with why; the next success takes the tag back.
    An input of its own that is missing fails before the run is touched."""
    run_id = yaml.safe_load((lab / "runs/sine.json").read_text())["run_id"]
    client = MlflowClient(tracking_uri=f"sqlite:///{lab}/mlflow.db")
    logged = lab / f"mlartifacts/sine/{run_id}/artifacts/figures/evaluation.png"
    with read_only(logged.parent):  # (MLflow writes a file there first, then renames it)
        assert_clean_error(stage(lab, "series_track@sine"), str(logged.parent))
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert str(logged.parent) in got.data.tags[failures.tag("series_track@sine")]
    assert stage(lab, "series_track@sine").returncode == 0
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert failures.tag("series_track@sine") not in got.data.tags
    (lab / "reports/figures/sine.png").unlink()
    assert_clean_error(stage(lab, "series_track@sine"), "reports/figures/sine.png is missing")
    assert client.get_run(run_id).data.tags == got.data.tags


def test_bad_params_of_a_later_stage_never_touch_the_run(lab):
    run_id = yaml.safe_load((lab / "runs/sine.json").read_text())["run_id"]
    client = MlflowClient(tracking_uri=f"sqlite:///{lab}/mlflow.db")
    before = client.get_run(run_id)
    edit_params(lab, "series.sine.horizon", 0)
    assert_clean_error(stage(lab, "series_evaluate@sine"), "'series.sine.horizon'")
    assert_clean_error(stage(lab, "series_track@sine"), "'series.sine.horizon'")
    after = client.get_run(run_id)
    assert (after.info.status, after.info.end_time, after.data.tags) == \
        (before.info.status, before.info.end_time, before.data.tags)



# ---- the stage wrapper: what the machine did is one line, a bug keeps its traceback ----

@pytest.mark.parametrize("raised,line", [
    (MemoryError("Unable to allocate 7.28 TiB"), "error: out of memory (Unable to allocate 7.28 TiB)"),
    (PermissionError(13, "Permission denied", "mlartifacts/x"), "error: mlartifacts/x: Permission denied"),
])
def test_what_the_machine_did_is_one_line(raised, line):
    from rnnlab.core.errors import run as run_stage

    def main():
        raise raised

    with pytest.raises(SystemExit) as stopped:
        run_stage(main)
    assert str(stopped.value).startswith(line)


def test_a_bug_keeps_its_traceback():
    from mlflow.exceptions import MlflowException

    from rnnlab.core.errors import run as run_stage

    def main():
        raise MlflowException("Changing param values is not allowed")

    with pytest.raises(MlflowException):
        run_stage(main)
