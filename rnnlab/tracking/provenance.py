"""Where a run comes from: the tags that lead from an MLflow run back to the code and the DVC
experiment that made it (``provenance_tags``: the commit, whether the checkout was dirty, the
DVC experiment and its baseline, the stage), and the fingerprint of its training params
(``params_hash``). rnnlab/tracking/runs.py tags every run it opens with them.
"""
import hashlib
import json
import os
import subprocess


def params_hash(params):
    """A short, stable fingerprint of a params dict: equal hashes, equal training params."""
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]


PIPELINE_OUTPUTS = ("dvc.lock", "metrics", "plots", "predictions", "reports", "runs")


def provenance_tags(stage):
    """Tags that lead from an MLflow run back to the code and the DVC experiment."""
    tags = {stage_tag(stage): stage}
    commit = _git("rev-parse", "HEAD")
    if commit:
        tags["git.commit"] = commit
        # Dirty: uncommitted changes to anything but what the pipeline itself writes.
        changes = _git("status", "--porcelain", "--untracked-files=no", "--", ".",
                       *(f":!{out}" for out in PIPELINE_OUTPUTS))
        tags["git.dirty"] = str(bool(changes))
    # Under `dvc exp run` DVC names the experiment and its baseline; a plain `dvc repro`
    # works in the workspace, on top of HEAD.
    tags["dvc.exp_name"] = os.environ.get("DVC_EXP_NAME") or "workspace"
    baseline = os.environ.get("DVC_EXP_BASELINE_REV") or commit
    if baseline:
        tags["dvc.baseline_rev"] = baseline
    return tags


def stage_tag(stage):
    """'series_track@sine' -> 'dvc.stage.series_track': the tag naming the stage of
    that family which last wrote into the run."""
    return f"dvc.stage.{stage.split('@')[0]}"


def _git(*args):
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                             check=True).stdout
        return out.strip()
    except (OSError, subprocess.SubprocessError):
        return None
