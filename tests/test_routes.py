"""One reading of params.yaml on every route a user has (`make repro`, `dvc repro`, `dvc exp
run -S`, queued experiments): params.yaml written by hand, DVC's own `dvc`, one line before
anything trains (`make repro` checks first; every stage checks the whole file as its first
step, so whichever stage DVC runs first stops on it)."""
import re
from pathlib import Path

import pytest

from tests.conftest import add_makefile, copy_project, git_commit, run, tool

OUTPUTS = ("data/text", "data/stock", "data/sine", "models", "runs", "metrics", "mlflow.db")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    lab = copy_project(tmp_path_factory.mktemp("routes") / "lab")
    git_commit(lab, "copy")
    return lab


@pytest.fixture
def lab(pristine):
    yield pristine
    run(["git", "checkout", "-q", "HEAD", "--", "."], cwd=pristine)
    run(["git", "clean", "-qfdx", "-e", ".dvc"], cwd=pristine)


def replace_line(lab, start, line):
    """params.yaml with its (first) line that starts with ``start`` replaced, as a hand would."""
    path = lab / "params.yaml"
    lines = path.read_text().splitlines()
    i = next(i for i, text in enumerate(lines) if text.startswith(start))
    lines[i] = line
    path.write_text("\n".join(lines) + "\n")


def one_line(proc, *fragments):
    """Our one line, followed at most by DVC's own word that the stage failed and make's (and
    before it, for `dvc exp run` in a checkout with no outputs yet, DVC's warnings that it has
    none to check out)."""
    assert proc.returncode != 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines()  # not make's own word that a
             if not re.match(r"make(\[\d+\])?: \*\*\*", line)  # command failed (make[1] in make test)
             and not line.startswith("WARNING: No file hash info found for ")
             and not re.match(r"ERROR: failed to reproduce '\w+': failed to run: python -m stages"
                              r"\.\w+.*, exited with 1$", line)]
    assert len(lines) == 1 and lines[0].startswith("error: params.yaml"), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def nothing_ran(lab, proc):
    """No stage got past its check: no file under any output folder (DVC may make the empty
    folders of a stage's outs before it runs it), no MLflow store."""
    assert len(re.findall("Running stage", proc.stdout)) <= 1, proc.stdout
    for path in OUTPUTS:
        assert not (lab / path).is_file(), path
        assert not any(p.is_file() for p in (lab / path).rglob("*")), path


ROUTES = {  # `make repro` with the venv that runs the tests
    "make repro": lambda lab: run(["make", "repro", f"VENV={Path(tool('dvc')).parent.parent}"],
                                  cwd=lab, check=False),
    "dvc repro": lambda lab: run([tool("dvc"), "repro"], cwd=lab, check=False),
}

BAD = [  # (line start, the line written by hand, what the error names)
    ("  window: 10 ", "  window: ''", "'text_encode.window' must be an integer"),
    ("  target: Close", "  target: null", "'stock_data.target' must be a non-empty string, got None"),
    ("  lengths:", "  lengths: [abc]", "'adding_data.lengths' must be"),
    ("  many_to_one:", "  1:", "unknown model 'text_train.1'"),
    ("    epochs: 100", "    epochs: 1.5", "'series.sine.epochs' must be an integer"),
]


@pytest.fixture(scope="module")
def makefile(pristine):
    """The Makefile, its venv up to date (its lock older than the venv's stamp)."""
    add_makefile(pristine)
    git_commit(pristine, "Makefile")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("start,line,names", BAD, ids=[b[1].strip() for b in BAD])
def test_every_route_gives_the_same_line_before_anything_trains(lab, makefile, route, start, line, names):
    replace_line(lab, start, line)
    proc = ROUTES[route](lab)
    one_line(proc, names)
    nothing_ran(lab, proc)


def test_exp_run_checks_the_params_its_set_params_make(lab):
    """`dvc exp run -S` (the README's way to compare runs) and a queued experiment: DVC applies
    the overrides, and the first stage it runs stops on the check's line."""
    proc = run([tool("python"), "-m", "dvc", "exp", "run", "-S", "text_train.many_to_one.units=0"],
               cwd=lab, check=False)
    one_line(proc, "'text_train.many_to_one.units' must be an integer >= 1")
    nothing_ran(lab, proc)
    run([tool("dvc"), "exp", "run", "--queue", "-S", "series.sine.learning_rate=-1"], cwd=lab)
    proc = run([tool("dvc"), "exp", "run", "--run-all"], cwd=lab, check=False, timeout=300)
    said = proc.stdout + proc.stderr
    assert "error: params.yaml: 'series.sine.learning_rate' must be a number > 0" in said, said
    assert "Running stage 'series_train" not in said, said  # the first stage stopped it
    assert "Failed" in run([tool("dvc"), "queue", "status"], cwd=lab).stdout
    nothing_ran(lab, proc)


def test_no_params_file_is_one_line(lab, makefile):
    (lab / "params.yaml").unlink()
    one_line(ROUTES["make repro"](lab), "params.yaml is missing")


def test_yaml_as_dvc_reads_it_on_every_route(lab):
    """`1e-3` is a number to DVC (YAML 1.2): the check reads it so too, and the stages train."""
    replace_line(lab, "    learning_rate: 0.01", "    learning_rate: 1e-3")
    replace_line(lab, "    epochs: 100", "    epochs: 1")
    run([tool("dvc"), "repro", "series_train@sine"], cwd=lab)
    assert (lab / "models/sine.keras").is_file()


def test_sequences_too_large_for_the_machine_are_one_line_through_dvc(lab):
    """adding_data.lengths [10000] x train_size 1,000,000 (80 GB of float32) through `dvc
    repro`: the stage's one line names both params (not an out-of-memory line blaming the
    network's), DVC's own line follows, and no sequences are written."""
    from rnnlab.data import adding, limits

    if (limits.physical_memory() or 0) // 2 >= (1_000_000 + 1024) * 10_000 * 8 * adding.INPUT_COPIES:
        pytest.skip("this machine has the memory for them")
    replace_line(lab, "  lengths:", "  lengths: [10000]")
    replace_line(lab, "  train_size: 4096", "  train_size: 1000000")
    proc = run([tool("dvc"), "repro", "adding_data"], cwd=lab, check=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    ours = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert ours == [line for line in proc.stderr.splitlines() if not line.startswith("ERROR: ")]
    assert len(ours) == 1 and ours[0].startswith(
        "error: params.yaml: 'adding_data.lengths' item 10000 x 'adding_data.train_size' "
        "1,000,000 (+ test_size 1,024)"), proc.stderr
    assert "out of memory" not in proc.stderr
    assert not (lab / "data/adding").exists() or not any((lab / "data/adding").iterdir())
