"""Runs left RUNNING: a stage killed with SIGKILL (out of memory, a power cut) never ends its
run, and a stage that DVC restores from its run-cache never runs again to end it. Each run
carries the process that opened it (``owner_tags``); ``close_orphans`` marks KILLED those whose
process of this machine is gone. rnnlab/tracking/runs.py's ``new_run`` calls it before it
opens a run: the next stage that logs closes what an earlier one left.
"""
import os
import socket
import sys

from rnnlab.core.lifeline import process_alive, started
from rnnlab.tracking import names, store

OWNER_TAGS = ("lab.host", "lab.pid", "lab.pid_started")
"""The process that last opened a run: its machine, pid and start time (a pid that a new process
got later is not that process)."""


def owner_tags():
    """This process as the one that holds a run open (``OWNER_TAGS``)."""
    return dict(zip(OWNER_TAGS, (socket.gethostname(), str(os.getpid()), f"{started():.2f}")))


def close_orphans():
    """Mark KILLED every run of the store, in any experiment, that is RUNNING although the
    process of this machine that opened it is gone (killed with SIGKILL, out of memory, a
    power cut, or a stage whose run DVC then restored from its run-cache, so that it never ran
    again to close it); say so in one line each. Called by every stage that opens a run. A
    missing SQLite store has nothing to close: none is created.

    One search across all experiments; on a class's server (MLFLOW_TRACKING_USERNAME set: an
    account), across the account's own ('alice-...'), the only runs it may change: the same
    two requests, where listing the whole class's experiments (each checked against the
    account's permissions) and their runs made this the costliest call of a stage
    (benchmarks/server_load.py). A run found is read again before it is marked: its process
    may have ended it in between."""
    uri = store.tracking_uri()
    if uri.startswith("sqlite:") and not os.path.exists(store.sqlite_path(uri)):
        return
    import mlflow

    running = f"attributes.status = 'RUNNING' and tags.`lab.host` = '{socket.gethostname()}'"
    with store.errors_of(store.connect()):
        owner = os.environ.get(names.OWNER, "").strip()
        if owner:
            prefix = names.owned("")  # 'alice-': its own experiments ('_' in LIKE is any one)
            mine = [e.experiment_id for e in mlflow.search_experiments(
                filter_string=f"name LIKE '{prefix}%'") if e.name.startswith(prefix)]
            found = mlflow.search_runs(experiment_ids=mine, filter_string=running,
                                       output_format="list") if mine else []
        else:
            found = mlflow.search_runs(search_all_experiments=True, filter_string=running,
                                       output_format="list")
        for orphan in found:
            tags = orphan.data.tags
            pid, since = int(tags.get("lab.pid") or 0), tags.get("lab.pid_started")
            if pid and process_alive(pid, float(since) if since else None):
                continue
            if mlflow.get_run(orphan.info.run_id).info.status != "RUNNING":
                continue  # ended by its process since the search
            mlflow.MlflowClient().set_terminated(orphan.info.run_id, status="KILLED")
            print(f"MLflow run {orphan.info.run_id} ({orphan.info.run_name}) was left RUNNING by "
                  f"process {pid}, which no longer exists: marked KILLED", file=sys.stderr)
