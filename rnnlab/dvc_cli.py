"""`dvc` as the project's venv runs it: DVC's own command line, with params.yaml checked
first for the commands that run stages (`dvc repro`, `dvc exp run`).

DVC substitutes params.yaml into dvc.yaml (``${text_encode.corpus}``, ``foreach:
${text_train}``) before any stage starts, so a value the stages would refuse in one line
(``text_encode.corpus: ''``, ``null``, ``123``, an integer key in a section, no params.yaml)
ends instead in DVC's "ERROR: unexpected error" or a Python type error, and the check each
stage runs never gets a turn. DVC has no hook to run a check of its own before that parse, so
`make venv` writes ``.venv/bin/dvc`` as a three-line script calling ``main`` here (``--install``),
in place of pip's, which calls ``dvc.cli.main`` directly. ``main`` does the same after the check
(rnnlab/params.py: the one the stages and `make repro` use): `dvc exp run -S key=value`'s
overrides are applied first, by DVC's own functions (``to_path_overrides``,
``apply_overrides``), to a copy of params.yaml, so the check sees the params the experiment
will run with. Every other command is DVC's alone: `dvc exp show` or `dvc metrics show` still
work while params.yaml has a mistake.

The same entry point closes, in the default store, the MLflow runs that a stage killed with
SIGKILL left RUNNING (rnnlab/tracking/orphans.py: ``close_orphans``), since a `dvc repro` that restores
every stage from DVC's run-cache starts no stage process that would.
"""
import os
import shutil
import sys
import tempfile
from pathlib import Path

from rnnlab.core.errors import LabError

CHECKED = {"repro", "run"}
"""The commands that run stages: `dvc repro` and `dvc exp run` (its parser names it 'run')."""


def _args(argv):
    """DVC's own reading of ``argv``, or None where DVC itself will answer (help, a typo)."""
    from dvc.cli.parser import get_main_parser

    try:
        import contextlib
        import io

        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return get_main_parser().parse_args(argv)
    except SystemExit:
        return None


def check(argv):
    """Raise LabError (params.yaml's one line) if ``argv`` is a `dvc repro` or `dvc exp run` of
    this lab whose params the stages would refuse; nothing for any other command."""
    args = _args(argv)
    if args is None or getattr(args, "cmd", None) not in CHECKED:
        return None
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    try:
        root = Path(Repo.find_root(args.cd))
    except NotDvcRepoError:
        return None  # DVC says so itself
    if not (root / "rnnlab" / "params.py").is_file():
        return None  # another project run with this venv
    from rnnlab import params

    path = root / params.PARAMS_FILE
    overrides = _overrides(getattr(args, "set_param", None) or [])
    if overrides and path.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / params.PARAMS_FILE
            shutil.copyfile(path, copy)
            from dvc.utils.hydra import apply_overrides

            try:
                apply_overrides(copy, overrides)
            except Exception:  # noqa: BLE001 (a malformed -S: DVC's own error says it best)
                return root
            params.check(params.read(copy, name=params.PARAMS_FILE))
    else:
        params.check(params.read(path, name=params.PARAMS_FILE))
    return root


def _overrides(set_params):
    """The `-S` overrides of params.yaml (not of another params file), as DVC groups them."""
    from dvc.utils.cli_parse import to_path_overrides

    return to_path_overrides(set_params).get("params.yaml", [])


def main(argv=None):
    """`dvc ...`: the check, then DVC's main with the same arguments."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        root = check(argv)
    except LabError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if root is not None:
        _close_orphans(root)
    from dvc.cli import main as dvc_main

    return dvc_main(argv)


def _close_orphans(root):
    """Close the runs a dead stage left RUNNING in the project's own store (a tracking server's
    are closed by the stages that open runs on it: MLflow's import and a server's answer are
    not worth a wait on every `dvc` command). ``orphans.close_orphans`` reads the SQLite file
    alone while nothing is RUNNING; a store that cannot be read is left to the stages, which
    say what is wrong with it."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return
    from rnnlab.tracking import orphans

    before = os.environ.get("DVC_ROOT")
    os.environ["DVC_ROOT"] = str(root)  # the store rnnlab/tracking/store.py finds
    try:
        orphans.close_orphans()
    except LabError:
        pass
    finally:
        if before is None:
            del os.environ["DVC_ROOT"]
        else:
            os.environ["DVC_ROOT"] = before


SCRIPT = '''#!{python}
# DVC's command line with params.yaml checked first: written by `make venv` (rnnlab/dvc_cli.py).
import sys
sys.path.insert(0, {project!r})
from rnnlab.dvc_cli import main
sys.exit(main())
'''


def install(bin_dir):
    """Write ``bin_dir``/dvc (the venv's) as the script calling ``main``."""
    target = Path(bin_dir) / "dvc"
    project = str(Path(__file__).resolve().parent.parent)
    text = SCRIPT.format(python=str(Path(bin_dir).absolute() / "python"), project=project)
    tmp = target.with_name(".dvc.tmp")
    tmp.write_text(text)
    tmp.chmod(0o755)
    os.replace(tmp, target)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--install"] and len(sys.argv) == 3:
        install(sys.argv[2])
    else:
        sys.exit("usage: python -m rnnlab.dvc_cli --install <venv>/bin")
