"""Part 4: what reading its params costs a stage, through DVC (dvc.api.params_show) beside the
lab's own reading of params.yaml (python -m rnnlab.params), and how many stages read them."""
import statistics
import sys

from benchmarks.pipeline_parts.processes import check, dvc, fmt_ratio, measure

PARAMS_STAGE = "text_train@many_to_one"
PARAMS_RUNS = 5  # fresh processes of each way of reading params; the median is shown


def params_part(args, lab, logs, order):
    """Part 4: a stage's params read through DVC beside the lab's own reading of params.yaml,
    each a fresh process; how many stages read params."""
    ways = {
        "dvc": ("import dvc.api; dvc.api.params_show(stages=[...])",
                [sys.executable, "-c",
                 f"import dvc.api; dvc.api.params_show(stages=[{PARAMS_STAGE!r}])"]),
        "lab": ("python -m rnnlab.params (reads and checks all of params.yaml)",
                [sys.executable, "-m", "rnnlab.params"]),
        "floor": ("python -c pass (Python's start-up: the floor of both)",
                  [sys.executable, "-c", "pass"]),
    }
    walls, failed = {name: [] for name in ways}, {}
    for i in range(PARAMS_RUNS):
        for name, (_, cmd) in ways.items():  # in turn: a busy moment of the machine hits all
            if name in failed:
                continue
            r = measure(cmd, lab, logs / f"params_{name}_{i}.log", args.timeout)
            if r["rc"] or r["timed_out"]:  # shown in its row; the other parts still count
                why = "timed out" if r["timed_out"] else f"exit {r['rc']}"
                last = next((ln for ln in reversed(r["out"].splitlines()) if ln.strip()), "")
                failed[name] = f"failed ({why}): {last}"
            else:
                walls[name].append(r["wall"])
    median = {name: statistics.median(w) for name, w in walls.items() if name not in failed}

    listed = check(measure(dvc("stage", "list", "--name-only"), lab, logs / "stage_list.log",
                           args.timeout), "dvc stage list")
    import yaml

    definitions = yaml.safe_load((lab / "dvc.yaml").read_text())["stages"]
    names = [ln.strip() for ln in listed["out"].splitlines()
             if ln.strip().split("@")[0] in definitions]

    def declares_params(stage):
        d = definitions[stage.split("@")[0]]
        return bool(d.get("do", d).get("params"))

    reading = [n for n in names if declares_params(n)]
    uses_dvc = "import dvc.api" in (lab / "rnnlab" / "params.py").read_text()

    print(f"4. Reading a stage's params, each way a fresh process from the copy's root, run in "
          f"turn {PARAMS_RUNS} times (median):", flush=True)
    for name, (label, _) in ways.items():
        shown = failed.get(name) or f"{median[name]:.3f} s"
        label = label.replace("[...]", f"[{PARAMS_STAGE!r}]")
        print(f"   {label:<78} {shown}")
    result = {"median": median, "reading": len(reading), "stages": len(names), "ratio": None}
    if "dvc" in median and "lab" in median:
        extra = median["dvc"] - median["lab"]
        result.update(ratio=median["dvc"] / median["lab"], extra=extra)
        floor = median.get("floor", 0.0)
        print(f"   params_show / rnnlab.params = {fmt_ratio(result['ratio'])}: {extra:.3f} s more "
              f"per stage ({median['dvc'] - floor:.3f} s vs {median['lab'] - floor:.3f} s above "
              f"Python's start-up)")
        print(f"   stages that declare params in dvc.yaml: {len(reading)} of {len(names)}; a cold "
              f"repro of all of them pays the difference {len(reading)} times: "
              f"~{len(reading) * extra:.1f} s", end="")
        if order:
            in_order = sum(declares_params(s) for s in order if s.split("@")[0] in definitions)
            print(f"; part 2's cold repro (examples 1-3) runs {len(order)} stages, "
                  f"{in_order} of them with params: ~{in_order * extra:.1f} s", end="")
        print()
    print(f"   (the copy's rnnlab/params.py {'calls' if uses_dvc else 'does not call'} "
          f"dvc.api.params_show)\n", flush=True)
    return result
