"""Part 2b: the ratio of examples 1-3's cold repro to the lecture's scripts, taken in pairs.

One run of each is one sample of a shared machine, where the same script can take a third
longer a few minutes later. So the scripts (part 1's way) and the cold repro in one call
(part 2's way, each in a fresh copy) run in turn, ``--pairs`` times in all, parts 1 and 2's
own runs the first pair; the ratio is taken pair by pair, and the summary quotes the median.
The same for their CPU time (user + system, each process with the ones it waited for: the
training's threads on both cores count twice), which tells a pair that waited for the cores
(its wall time up, its CPU time not) from one that ran on a slower machine (both up).
"""
import statistics

from benchmarks.pipeline_parts.lecture import lecture_part
from benchmarks.pipeline_parts.repro import cold_once


def spread(pairs):
    """The medians of ``pairs`` ((scripts, repro) figures), and the median, lowest and highest
    of their ratios pair by pair."""
    ratios = [repro / scripts for scripts, repro in pairs]
    return {"scripts": statistics.median(p[0] for p in pairs),
            "repro": statistics.median(p[1] for p in pairs),
            "ratio": statistics.median(ratios), "low": min(ratios), "high": max(ratios),
            "ratios": ratios}


def pairs_part(args, lab, tmp, logs, lec, rep):
    """Part 2b: ``args.pairs`` pairs (scripts, cold repro), the first part 1's and part 2's;
    their wall time's figures (``spread``), and their CPU time's under the keys ``cpu_...``."""
    runs = [(lec, rep["once"])]
    for i in range(2, args.pairs + 1):
        runs.append((lecture_part(lab, logs, args.timeout, quiet=True, tag=f"_{i}"),
                     cold_once(args, tmp, logs, tag=f"_{i}")))
    wall = spread([(scripts["total"], repro["wall"]) for scripts, repro in runs])
    cpu = spread([(scripts["cpu"], repro["cpu"]) for scripts, repro in runs])
    print(f"2b. The lecture's scripts and the cold repro of examples 1-3 (in one call, a fresh "
          f"copy each), in turn: {len(runs)} pairs, the first parts 1 and 2's", flush=True)
    for i, ((scripts, repro), ratio, cpu_ratio) in enumerate(
            zip(runs, wall["ratios"], cpu["ratios"]), 1):
        print(f"   pair {i}: scripts {scripts['total']:5.1f} s, cold repro {repro['wall']:5.1f} "
              f"s, ratio {ratio:.2f}x; CPU {scripts['cpu']:5.1f} s and {repro['cpu']:5.1f} s, "
              f"ratio {cpu_ratio:.2f}x", flush=True)
    for what, found in (("medians", wall), ("CPU medians", cpu)):
        print(f"   {what}: scripts {found['scripts']:.1f} s, cold repro {found['repro']:.1f} s; "
              f"ratio {found['ratio']:.2f}x (pairs {found['low']:.2f}x to {found['high']:.2f}x)",
              flush=True)
    print(flush=True)
    return {**wall, **{f"cpu_{key}": value for key, value in cpu.items()}}
