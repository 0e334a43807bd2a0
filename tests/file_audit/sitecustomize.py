"""Which files each pipeline stage opens: with this folder on PYTHONPATH and LAB_OPENED_LOG
naming a folder, every process that `dvc repro` starts as ``python -m stages.<name> ...``
writes the files it opens, one ``r <path>`` or ``w <path>`` line each, to
LAB_OPENED_LOG/<stage>.<pid>.txt, <stage> as DVC names it (its DVC_STAGE: text_train@many_to_one,
adding_train@gru-100; tests/test_pipeline.py compares them with dvc.yaml). Every other
process, and every process without LAB_OPENED_LOG, is left alone."""
import os
import sys

WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _stage():
    """DVC's name of the stage this process runs, 'text_train@many_to_one' for
    `python -m stages.text_train many_to_one ...` run by `dvc repro` (which names the stage
    in DVC_STAGE); else None."""
    argv = list(getattr(sys, "orig_argv", []))
    if "-m" not in argv or len(argv) <= argv.index("-m") + 1:
        return None
    module = argv[argv.index("-m") + 1]
    stage = os.environ.get("DVC_STAGE", "")
    if not module.startswith("stages.") or stage.split("@")[0] != module.split(".", 1)[1]:
        return None
    return stage


def _record(folder, stage):
    log = open(os.path.join(folder, f"{stage}.{os.getpid()}.txt"), "w", encoding="utf-8")
    seen = set()

    def hook(event, args):
        if event != "open" or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        path, mode, flags = (list(args) + [None, None])[:3]
        if isinstance(mode, str):
            writes = any(c in mode for c in "wax+")
        else:
            writes = bool((flags or 0) & WRITING)
        line = f"{'w' if writes else 'r'} {os.path.abspath(os.fsdecode(path))}"
        if line not in seen:
            seen.add(line)
            log.write(line + "\n")
            log.flush()

    sys.addaudithook(hook)


if os.environ.get("LAB_OPENED_LOG") and _stage():
    _record(os.environ["LAB_OPENED_LOG"], _stage())
