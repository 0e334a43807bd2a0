"""Part 6: the summary, a table of the figures the parts measured beside the targets of the
project's issue (met / NOT met), then the longest stage and the largest peak of part 2."""
import os
import resource

from benchmarks.pipeline_parts.generate import REQUEST_LENGTH
from benchmarks.pipeline_parts.processes import MB, fmt_ratio

TARGET = {"whole_s": 210.0, "adding_s": 90.0,  # the whole default repro, and what example 5 adds
          "walkforward_s": 60.0,  # what example 4's walk-forward adds
          "cold": 2.0, "noop_s": 2.0, "stage_s": 3.0, "stage_mb": 300.0, "speedup": 500.0,
          "request_s": 2.0}


def verdict(ok):
    return "–" if ok is None else "met" if ok else "NOT met"


def summary(lec, rep, gen, par, load_start, whole=None):
    """Part 6: one row per figure measured, beside the target of the project's issue."""
    rows = []
    if rep:
        pairs = rep.get("pairs")
        if pairs:  # the medians of the pairs (part 2b)
            ratio, scripts, repro = pairs["ratio"], f"{pairs['scripts']:.1f}", pairs["repro"]
        else:
            ratio = rep["once"]["wall"] / lec["total"] if lec else None
            scripts, repro = (f"{lec['total']:.1f}" if lec else "–"), rep["once"]["wall"]
        rows.append(("cold repro ex. 1-3 (s)" + (", medians" if pairs else ""), scripts,
                     f"{repro:.1f}", fmt_ratio(ratio), f"<= {TARGET['cold']}x",
                     None if ratio is None else ratio <= TARGET["cold"]))
        if pairs:  # information: the same pairs' CPU time (user + system)
            rows.append(("cold repro ex. 1-3, CPU (s), medians", f"{pairs['cpu_scripts']:.1f}",
                         f"{pairs['cpu_repro']:.1f}", fmt_ratio(pairs["cpu_ratio"]), "", None))
        rows.append(("no-op repro (s)", "–", f"{rep['noop']['wall']:.1f}", "–",
                     f"<= {TARGET['noop_s']:g} s", rep["noop"]["wall"] <= TARGET["noop_s"]))
        for stage, r in rep["stages"].items():
            if "_track@" in stage:  # information: what logging into the run takes
                rows.append((f"{stage} (s, peak MB)", "–", f"{r['wall']:.1f}, {r['peak_mb']:.0f}",
                             "–", "", None))
            elif "evaluate" in stage or "generate" in stage:
                rows.append((f"{stage} (s)", "–", f"{r['wall']:.1f}", "–",
                             f"<= {TARGET['stage_s']:g} s", r["wall"] <= TARGET["stage_s"]))
                if "alone" in r:  # information: the same without DVC's start-up and checks
                    rows.append((f"{stage}: its command alone (s)", "–", f"{r['alone']:.1f}",
                                 "–", "", None))
                rows.append((f"{stage} (peak MB)", "–", f"{r['peak_mb']:.0f}", "–",
                             f"<= {TARGET['stage_mb']:g} MB", r["peak_mb"] <= TARGET["stage_mb"]))
        rows.append(("units=64 repro (s)", "–", f"{rep['change']['wall']:.1f}", "–",
                     f"({len(rep['changed'])} stages ran)", None))
    elif lec:
        rows.append(("lecture scripts (s)", f"{lec['total']:.1f}", "–", "–", "", None))
    if gen:
        lcps, speedup = gen["lecture_cps"], gen["pipeline_cps"] / gen["lecture_cps"]
        rows += [("greedy chars/s", f"{lcps:,.1f}", f"{gen['pipeline_cps']:,.0f}",
                  fmt_ratio(speedup), f">= {TARGET['speedup']:g}x", speedup >= TARGET["speedup"]),
                 (f"{REQUEST_LENGTH:,}-char request (s)", f"~{REQUEST_LENGTH / lcps:,.0f} (est.)",
                  f"{gen['request_s']:.2f}", fmt_ratio(gen["request_s"] / (REQUEST_LENGTH / lcps)),
                  f"< {TARGET['request_s']:g} s", gen["request_s"] < TARGET["request_s"])]
    if par and par["ratio"] is not None:
        m = par["median"]
        rows.append(("params: dvc.api / rnnlab.params (s)", "–", f"{m['dvc']:.2f} / {m['lab']:.2f}",
                     fmt_ratio(par["ratio"]), f"({par['reading']} of {par['stages']} stages read params)",
                     None))
    if whole:
        rows += [("cold repro, every stage (s)", "–", f"{whole['whole']['wall']:.1f}", "–",
                  f"<= {TARGET['whole_s']:g} s", whole["whole"]["wall"] <= TARGET["whole_s"]),
                 ("cold repro, example 5 alone (s)", "–", f"{whole['adding']['wall']:.1f}", "–",
                  f"<= {TARGET['adding_s']:g} s", whole["adding"]["wall"] <= TARGET["adding_s"]),
                 ("example 4's walk-forward stage (s)", "–",
                  f"{whole['walkforward']['wall']:.1f}", "–", f"<= {TARGET['walkforward_s']:g} s",
                  whole["walkforward"]["wall"] <= TARGET["walkforward_s"]),
                 ("example 4's strategy stage (s)", "–", f"{whole['strategy']['wall']:.1f}", "–",
                  "–", None)]
    if rows:
        header = ("figure", "lecture", "pipeline", "ratio", "target", "")
        widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(5)]
        print("6. Summary (ratio = pipeline / lecture; lecture's request time extrapolated from "
              "its chars/s; the params row: dvc.api's time / rnnlab.params')")
        print("   " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " | ")
        print("   " + "-|-".join("-" * w for w in widths) + "-|--------")
        for *cells, ok in rows:
            print("   " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " | "
                  + ("" if ok is None else verdict(ok)))
    if rep:
        stages, cold = rep["stages"], rep["cold"]
        biggest = max(stages, key=lambda s: stages[s]["wall"])
        heaviest = max(stages, key=lambda s: stages[s]["peak_mb"])
        print(f"\n   longest stage: {biggest} ({stages[biggest]['wall']:.1f} s, "
              f"{stages[biggest]['wall'] / cold:.0%} of the cold total); largest peak: {heaviest} "
              f"({stages[heaviest]['peak_mb']:.0f} MB). The {len(stages)} separate dvc calls each "
              f"pay DVC's start-up and checks (the no-op repro, {rep['noop']['wall']:.1f} s, is a "
              f"rough measure of one), which a single `dvc repro` pays once.")
    launcher = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB
    print(f"   (this launcher's own peak RSS: {launcher:.1f} MB, the floor of every child's "
          f"figure; load average at the start {load_start:.1f}, at the end "
          f"{os.getloadavg()[0]:.1f})", flush=True)
