"""Benchmark: the lecture's two Keras examples (lecture/) against the DVC pipeline of
examples 1-3 (prints figures and ratios side by side, asserts nothing).

In one invocation, everything in a temporary directory (removed at the end unless --keep):

1. lecture: the lecture's scripts as lecture/ holds them (lecture/sine.py, then
   lecture/sixpence_train.py and lecture/sixpence_generate.py, the slide's training and
   generation scripts; see lecture/README.md), run in the copy of the project from its root,
   each its own fresh Python process timed as a whole, TensorFlow import included: wall time
   and peak RSS of each, and their sum. What they print is read with lecture/run.py's own
   parsers (imported from the copy), so the figures shown are those `make lecture` records.
2. repro: a cold `dvc repro` of examples 1-3 (series_track@sine and text_track@*, and
   everything they depend on: the evaluate and generate stages before them; not `report`, which
   needs example 4's stock stages) in a fresh copy of the project: a new git repo with no
   outputs, no DVC cache and its own mlflow.db. The stages run one by one in dependency order
   (`dvc repro --single-item`, each a process waited for with os.wait4, whose ru_maxrss covers
   its largest descendant, i.e. the stage's Python process): wall time and peak RSS per stage;
   each evaluate, generate and track stage's command (the line `dvc repro` printed) is then run
   again alone, without DVC's start-up and checks, and timed (it rewrites the same files). The
   cold repro's figure is one `dvc repro` of the targets in another fresh copy, as a user runs
   it; the ratio cold repro / lecture scripts is taken from it. Then a no-op `dvc repro` of the
   same targets (wall time), and `dvc repro` after setting text_train.many_to_one.units=64 in
   params.yaml (wall time and the stages that ran). Then (2b) the scripts and the cold repro in
   one call again, in turn, for --pairs pairs in all (3 by default; parts 1 and 2's runs the
   first): the ratio pair by pair and its median, which the summary quotes
   (pipeline_parts/pairs.py), and the same for their CPU time (user + system, from os.wait4 as
   the peak RSS).
3. generate: greedy generation characters/s on the same trained model (the cold repro's
   models/text_many_to_one.keras, units 75): the lecture's loop (one model.predict per
   character, one prompt at a time) beside the pipeline's rnnlab.forward.textgen.generate (all
   prompts per step, on rnnlab.forward.inference.load_model's model where the copy has that
   function, else Keras'), whether their first 20 characters agree, and the time of one
   10,000-character request. The lecture's loop is lecture/sixpence_generate.py's generate_seq
   written out again, given ids (pipeline_parts/generate.py says why).
4. params: what reading its params costs a stage, each a fresh process from the copy's root:
   `import dvc.api; dvc.api.params_show(stages=["text_train@many_to_one"])` (how a stage reads
   them through DVC) beside `python -m rnnlab.params` (the lab's own check, which reads
   params.yaml directly) and `python -c pass` (Python's start-up, the floor of both), run in
   turn PARAMS_RUNS times each, medians printed with the ratio; and how many stages declare
   params in dvc.yaml (`dvc stage list` for the stage names, dvc.yaml for their params), i.e.
   pay the difference once each in a cold repro.
5. whole: a cold `dvc repro` of every stage in one call in a fresh copy (what a user's first
   `make repro` runs), and of example 5 alone (`dvc repro adding_evaluate`) in another: what
   the adding problem adds (its size: adding_data.lengths, adding_train.cells); in a third,
   example 4's two models, then its walk-forward stage alone (its size: series_walkforward.stock.folds
   and .epochs), then its strategy stage alone.
6. A summary table: figure | lecture | pipeline | ratio | target, with the targets of the
   project's issue marked met / not met.

Run from the repository root:  .venv/bin/python benchmarks/pipeline.py [--source head|worktree]
    [--only PART[,PART...]] [--keep] [--timeout 900] [--time-limit 3600]

--source head (the default) benchmarks the last commit (`git archive HEAD`); --source worktree
copies the working tree's files as they are now (those git tracks plus untracked, not ignored
ones, such as a new module), to measure uncommitted work. Either way the outputs git tracks
(dvc.lock, metrics/, plots/, runs/, reports/) are left out, and the copy is committed to a new
git repo inside the temporary directory. --only lecture,params (any of lecture, repro,
generate, params, whole; generate needs repro and runs it) measures those parts only, and the
summary then has their rows.

--timeout bounds each process it runs, --time-limit the whole benchmark: past it, as on Ctrl-C,
SIGTERM or an error, what it started that still runs (a `dvc repro`, its stages) is stopped, the
temporary directory removed, and it exits with one `error:` line (benchmarks/lifetime.py).

Reading it: every figure but the examples 1-3 ratio (the median of --pairs pairs) is one run on
a possibly shared machine (load averages are printed); the per-stage figures include DVC's own
start-up and checks for every stage (about what the no-op repro costs), which a single `dvc
repro` pays once. Peak RSS is in MB (2**20 bytes).

Its parts are in benchmarks/pipeline_parts/: processes.py (running and measuring a process, the
copy of the project), then one module a part: lecture.py, repro.py, pairs.py, generate.py,
params.py, whole.py and summary.py.
"""
import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import lifetime  # noqa: E402
from benchmarks.pipeline_parts.generate import generate_part, generation_child  # noqa: E402
from benchmarks.pipeline_parts.lecture import lecture_part  # noqa: E402
from benchmarks.pipeline_parts.pairs import pairs_part  # noqa: E402
from benchmarks.pipeline_parts.params import params_part  # noqa: E402
from benchmarks.pipeline_parts.processes import BIN, copy_project, describe_source  # noqa: E402
from benchmarks.pipeline_parts.repro import repro_part  # noqa: E402
from benchmarks.pipeline_parts.summary import summary  # noqa: E402
from benchmarks.pipeline_parts.whole import whole_part  # noqa: E402

PARTS = ["lecture", "repro", "generate", "params", "whole"]
TIME_LIMIT = 3600  # seconds: every part takes about fifteen minutes


def bench(args, tmp):
    parts = set(args.only)
    if "generate" in parts:
        parts.add("repro")  # generation runs on the cold repro's trained model
    lab, logs = tmp / "lab", tmp / "logs"
    logs.mkdir()
    copy_project(lab, args.source)
    sys.path.insert(0, str(lab))
    import rnnlab  # noqa: F401  (the copy's TensorFlow environment defaults, inherited by every
    # child: the lecture's scripts get the same kernels (oneDNN off) and quiet logs as the stages)

    load_start = os.getloadavg()[0]
    print(f"Project: {describe_source(args.source)}.\n"
          f"Parts: {', '.join(p for p in PARTS if p in parts)}.\n"
          f"Temporary copy: {lab} (a new git repo, no outputs, no DVC cache, its own mlflow.db; "
          f"MLFLOW_TRACKING_URI unset, {BIN} first on PATH). Every figure is one run of a fresh "
          f"process; peak RSS = its ru_maxrss from os.wait4, the largest of it and its "
          f"descendants, in MB. {os.cpu_count()} CPUs, load average at start "
          f"{load_start:.1f}.\n", flush=True)

    lec = lecture_part(lab, logs, args.timeout) if "lecture" in parts else None
    rep = repro_part(args, lab, tmp, logs, lec and lec["total"]) if "repro" in parts else None
    if lec and rep:
        rep["pairs"] = pairs_part(args, lab, tmp, logs, lec, rep)
    gen = generate_part(args, lab, logs, rep) if "generate" in parts else None
    par = params_part(args, lab, logs, rep and rep["order"]) if "params" in parts else None
    whole = whole_part(args, tmp, logs) if "whole" in parts else None
    summary(lec, rep, gen, par, load_start, whole)


def parts_list(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in PARTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"parts are {', '.join(PARTS)} (comma-separated)")
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=["head", "worktree"], default="head",
                        help="benchmark the last commit (default) or the working tree as it is")
    parser.add_argument("--only", type=parts_list, default=PARTS, metavar="PART[,PART...]",
                        help=f"run only these parts ({', '.join(PARTS)}; generate needs repro "
                             f"and runs it); default: all")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--pairs", type=int, default=3, choices=range(1, 11), metavar="N",
                        help="runs of the lecture's scripts and of the cold repro of examples "
                             "1-3, in turn, for their ratio (1-10; default 3)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per subprocess")
    parser.add_argument("--child-generate", nargs=3, metavar=("LAB", "MODEL", "VOCAB"),
                        help=argparse.SUPPRESS)
    lifetime.add_time_limit(parser, TIME_LIMIT)
    args = parser.parse_args()
    if args.child_generate:
        generation_child(*args.child_generate)
        return
    lifetime.limit(args.time_limit)
    with lifetime.scratch("pipeline_bench_", keep=args.keep) as tmp:
        try:
            bench(args, tmp)
        except RuntimeError as e:
            sys.exit(f"pipeline benchmark: {e}" + ("" if args.keep else "\n(--keep keeps the logs)"))
        finally:
            if args.keep:
                print(f"(kept {tmp}: the copy in lab/, every process's output in logs/)")


if __name__ == "__main__":
    lifetime.run(main)
