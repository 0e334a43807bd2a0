"""Part 2: a cold `dvc repro` of examples 1-3, in one call (what a user runs) and stage by
stage (each `dvc repro --single-item`, in dependency order); then a no-op repro and one after a
param changed."""
import shlex
import shutil

from benchmarks.pipeline_parts.processes import (
    check,
    copy_project,
    dvc,
    measure,
    stage_order,
    stages_run,
)

TARGETS = ["series_track@sine", "text_track@many_to_one", "text_track@many_to_many"]
"""Examples 1-3 to the end: each model's track stage, after its evaluate (and generate) stage."""
LATER = ("_evaluate@", "_generate@", "_track@")
"""The stages timed once more alone: those after a training that import no TensorFlow."""


def stage_cmd(output):
    """The command `dvc repro` printed for the stage it ran ('> python -m stages...'), as a list."""
    line = next(line for line in output.splitlines() if line.startswith("> "))
    return shlex.split(line[2:])


def cold_once(args, tmp, logs, tag=""):
    """A cold `dvc repro` of examples 1-3 in one call (what a user runs), in a fresh copy."""
    once_lab = tmp / f"lab-once{tag}"
    copy_project(once_lab, args.source)
    once = check(measure(dvc("repro", *TARGETS), once_lab, logs / f"cold_once{tag}.log",
                         args.timeout), "cold dvc repro")
    shutil.rmtree(once_lab, ignore_errors=True)
    return once


def repro_part(args, lab, tmp, logs, lecture_total):
    """Part 2: a cold repro in one call (what a user runs) in one fresh copy, stage by stage
    in ``lab``; then a no-op repro and one with a param changed, in ``lab``."""
    once = cold_once(args, tmp, logs)
    against = (f"; the lecture's scripts {lecture_total:.1f} s; cold repro / lecture scripts = "
               f"{once['wall'] / lecture_total:.2f}x" if lecture_total else "")
    print(f"2. Cold `dvc repro {' '.join(TARGETS)}` (examples 1-3; `report` is left out: it "
          f"depends on example 4's stock stages), in one call: {once['wall']:.1f} s (peak RSS "
          f"{once['peak_mb']:.1f} MB){against}", flush=True)
    print("   The same in a second fresh copy, one `dvc repro --single-item <stage>` per "
          "stage, each after the stages it depends on (from `dvc dag`: `dvc repro --dry` fails in "
          "a cold copy, on the missing data of the stages after the first):", flush=True)
    dag = check(measure(dvc("dag", "--dot"), lab, logs / "dag.log", args.timeout), "dvc dag")
    order = stage_order(dag["out"], TARGETS)
    print(f"   order: {' -> '.join(order)}", flush=True)
    print(f"   {'#':>2}  {'stage':<28} {'wall s':>7} {'peak RSS MB':>12} {'its command alone s':>20}",
          flush=True)
    stages = {}
    for i, stage in enumerate(order, 1):
        r = stages[stage] = check(measure(dvc("repro", "--single-item", stage), lab,
                                          logs / f"cold_{i:02d}_{stage}.log", args.timeout),
                                  f"dvc repro --single-item {stage}")
        ran = stages_run(r["out"])
        note = "" if ran == [stage] else f"   (ran: {ran})"
        alone = ""
        if any(kind in stage for kind in LATER):
            # again without DVC: the stage's own process, as dvc.yaml runs it
            r["alone"] = check(measure(stage_cmd(r["out"]), lab,
                                       logs / f"cold_{i:02d}_{stage}_alone.log", args.timeout),
                               f"{stage}'s command")["wall"]
            alone = f"{r['alone']:20.1f}"
        print(f"   {i:>2}  {stage:<28} {r['wall']:7.1f} {r['peak_mb']:12.1f} {alone:>20}{note}",
              flush=True)
    cold = sum(r["wall"] for r in stages.values())
    more = cold - once["wall"]
    print(f"   sum of the {len(order)}: {cold:.1f} s (" + (
        f"{more:.1f} s more than one call: DVC's start-up and checks, paid once per call)"
        if more >= 0 else f"{-more:.1f} s less than one call: the machine's load changed "
                          f"between the two)"), flush=True)
    bench_dir = tmp / "bench"  # the trained model of the cold repro (units 75), for part 3
    bench_dir.mkdir()
    model_path = shutil.copy2(lab / "models" / "text_many_to_one.keras", bench_dir)
    vocab_path = shutil.copy2(lab / "data" / "text" / "vocab.json", bench_dir)

    noop = check(measure(dvc("repro", *TARGETS), lab, logs / "noop.log", args.timeout),
                 "no-op dvc repro")
    print(f"   No-op `dvc repro` of the same targets: {noop['wall']:.1f} s, stages run: "
          f"{stages_run(noop['out']) or 'none'}", flush=True)

    import yaml

    params_file = lab / "params.yaml"
    saved = params_file.read_text()
    params = yaml.safe_load(saved)
    params["text_train"]["many_to_one"]["units"] = 64
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    change = check(measure(dvc("repro", *TARGETS), lab, logs / "units64.log", args.timeout),
                   "dvc repro after text_train.many_to_one.units=64")
    params_file.write_text(saved)  # the copy's params as they were, for part 4
    changed = stages_run(change["out"])
    print(f"   `dvc repro` after text_train.many_to_one.units=64: {change['wall']:.1f} s "
          f"(peak RSS {change['peak_mb']:.1f} MB), stages run: {', '.join(changed) or 'none'}\n",
          flush=True)
    return {"once": once, "order": order, "stages": stages, "cold": cold, "noop": noop,
            "change": change, "changed": changed, "model": model_path, "vocab": vocab_path}
