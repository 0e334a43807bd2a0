"""Part 5: what a user's first `make repro` costs, and what examples 5 and 4 add to it."""
import shutil

from benchmarks.pipeline_parts.processes import (
    check,
    copy_project,
    dvc,
    measure,
    stages_run,
)


def whole_part(args, tmp, logs):
    """Part 5: what a user's first `make repro` costs: one cold `dvc repro` of every stage in a
    fresh copy, and of example 5 alone (`dvc repro adding_evaluate`) in another, with each
    stage's own line of time from DVC's output order."""
    result = {}
    for name, targets in (("whole", []), ("adding", ["adding_evaluate"])):
        copy = tmp / f"lab-{name}"
        copy_project(copy, args.source)
        r = check(measure(dvc("repro", *targets), copy, logs / f"{name}.log", args.timeout),
                  f"cold dvc repro {' '.join(targets)}".strip())
        shutil.rmtree(copy, ignore_errors=True)
        result[name] = r
        print(f"5. Cold `dvc repro {' '.join(targets) or '(every stage)'}` in one call, a fresh "
              f"copy: {r['wall']:.1f} s (peak RSS {r['peak_mb']:.1f} MB), "
              f"{len(stages_run(r['out']))} stages", flush=True)
    share = result["adding"]["wall"] / result["whole"]["wall"]
    print(f"   example 5 (the adding problem, adding_data.lengths and adding_train.cells its "
          f"size) is {share:.0%} of the whole", flush=True)
    # Example 4 step by step in a third copy: its two models, then what each later stage adds.
    copy = tmp / "lab-stock"
    copy_project(copy, args.source)
    # (the models' track stages too: their evaluations logged, as a repro does)
    for name, targets in (("stock_models", ["series_track@stock", "series_track@stock_tutorial"]),
                          ("walkforward", ["series_walkforward@stock"]),
                          ("strategy", ["series_strategy@stock"])):
        r = check(measure(dvc("repro", *targets), copy, logs / f"{name}.log", args.timeout),
                  f"dvc repro {' '.join(targets)}")
        result[name] = r
        print(f"   example 4, `dvc repro {' '.join(targets)}` after the stages before it: "
              f"{r['wall']:.1f} s (peak RSS {r['peak_mb']:.1f} MB), "
              f"{len(stages_run(r['out']))} stages", flush=True)
    shutil.rmtree(copy, ignore_errors=True)
    print(f"   walk-forward (series_walkforward.stock.folds x .epochs its size) is "
          f"{result['walkforward']['wall'] / result['whole']['wall']:.0%} of the whole\n",
          flush=True)
    return result
