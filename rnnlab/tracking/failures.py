"""A later stage's failure, on the trained model's run: a tag that says what happened, taken
back once the stage's outputs are in place again.

A later stage (track, walk-forward, strategy, adding_evaluate) logs into the train stage's run
(rnnlab/tracking/runs.py: ``same_run``). When it fails, or Ctrl-C or SIGTERM stop it, it tags that run
``lab.failure.<stage>`` with when and why ('2026-12-07 03:41:07 UTC: interrupted (SIGINT)'),
and never changes the run's status: the training ended it, and only a train stage ends its own
run KILLED. The stage's next success removes the tag (``clear``).

DVC may also put the stage's outputs back without running it (from its run-cache, when the
stage's deps and params are those of an earlier run), and then no code of the lab runs to take
the tag back. So each failure is also noted on this machine, in ``.lab/failures/<stage>.json``
beside the project (the run, the tag, the store, the link file), and ``make repro``, once
``dvc repro`` has brought every stage up to date, takes back the tags noted there
(``python -m rnnlab.tracking.failures``). That costs nothing when no note exists: MLflow is imported only
when one does. Written here because neither DVC nor MLflow has a hook for "restored from the
run-cache".
"""
import contextlib
import glob
import json
import os
import sys
import time

from rnnlab.core.errors import LabError, first_line, stop_line, stopping

NOTES = os.path.join(".lab", "failures")
"""The notes' folder, below the project root (rnnlab/tracking/store.py: project_root)."""


def tag(stage):
    """The tag a later stage that failed leaves on the training run, its value the time and the
    error line: 'lab.failure.series_track/sine' (a tag key has no '@')."""
    return f"lab.failure.{stage.replace('@', '/')}"


def line(err, now=None):
    """What the tag says of ``err``: the time (UTC) and its one line, 500 characters at most."""
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(now))
    err = stopping() or err  # once a signal arrived, what unwinds is the interrupt
    if isinstance(err, KeyboardInterrupt):
        what = stop_line(err)
    else:
        first = first_line(err, default="")
        what = first if isinstance(err, LabError) else f"{type(err).__name__}: {first}"
    return f"{when}: {what}"[:500]


def _note_path(stage):
    from rnnlab.tracking import store

    return os.path.join(store.project_root(), NOTES, f"{stage.replace('@', '--')}.json")


def record(client, run_id, link_file, stage, err):
    """Note that ``stage`` failed with ``err`` while logging into run ``run_id`` (linked in
    ``link_file``), then tag the run; the store or the disk may be what failed, so neither
    raises."""
    from rnnlab.tracking import store

    with contextlib.suppress(OSError):
        path = _note_path(stage)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"run_id": run_id, "tag": tag(stage), "store": store.tracking_uri(),
                       "link": os.path.abspath(link_file)}, f)
    with contextlib.suppress(Exception):
        client.set_tag(run_id, tag(stage), line(err))


def clear(client, run, stage):
    """``stage`` succeeded in ``run`` (as MLflow read it): its failure tag and note go."""
    if tag(stage) in run.data.tags:
        client.delete_tag(run.info.run_id, tag(stage))
    with contextlib.suppress(FileNotFoundError):
        os.remove(_note_path(stage))


def noted():
    """The failure notes of this machine's project, oldest name first."""
    from rnnlab.tracking import store

    return sorted(glob.glob(os.path.join(store.project_root(), NOTES, "*.json")))


def settle():
    """After a `dvc repro` that ended well, every stage's outputs are in place: take back the
    failure tags noted on this machine from the runs that their link files still name (a run
    that a new training replaced keeps its record), and remove the notes."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from rnnlab.tracking import links, store

    for path in noted():
        try:
            with open(path, encoding="utf-8") as f:
                note = json.load(f)
            linked = links.read(note["link"]).run_id == note["run_id"]
        except (OSError, ValueError, KeyError, LabError):
            linked = False  # no note to act on, or no run linked any more
        if linked:
            with store.errors_of(note["store"]):
                client = MlflowClient(note["store"])
                try:
                    if note["tag"] in client.get_run(note["run_id"]).data.tags:
                        client.delete_tag(note["run_id"], note["tag"])
                        print(f"MLflow run {note['run_id']}: {note['tag']} taken back, the "
                              "stage's outputs are in place", file=sys.stderr)
                except MlflowException as err:
                    if err.error_code != "RESOURCE_DOES_NOT_EXIST":
                        raise
        os.remove(path)


if __name__ == "__main__" and noted():  # `make repro`, after `dvc repro` ended well
    from rnnlab.core.errors import run

    run(settle)
