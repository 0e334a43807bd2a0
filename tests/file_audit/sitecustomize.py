"""Which files each pipeline stage opens: with this folder on PYTHONPATH and LAB_OPENED_LOG
naming a folder, every process started as ``python -m stages.<name> [<item>]`` writes the
files it opens, one ``r <path>`` or ``w <path>`` line each, to
LAB_OPENED_LOG/<name>[@<item>].<pid>.txt (tests/test_pipeline.py compares them with dvc.yaml).
Every other process, and every process without LAB_OPENED_LOG, is left alone."""
import os
import sys

WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _stage():
    """'text_train@many_to_one' for `python -m stages.text_train many_to_one`, 'adding_train@gru-100'
    for `python -m stages.adding_train gru 100`; else None."""
    argv = list(getattr(sys, "orig_argv", []))
    if "-m" not in argv or len(argv) <= argv.index("-m") + 1:
        return None
    module, rest = argv[argv.index("-m") + 1], argv[argv.index("-m") + 2:]
    if not module.startswith("stages."):
        return None
    return module.split(".", 1)[1] + (f"@{'-'.join(rest)}" if rest else "")  # DVC names a matrix item a-b


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
