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


def pairs_part(args, lab, tmp, logs, lec, rep):
    """Part 2b: ``args.pairs`` pairs (scripts, cold repro), the first part 1's and part 2's."""
    pairs, cpus = [(lec["total"], rep["once"]["wall"])], [(lec["cpu"], rep["once"]["cpu"])]
    for i in range(2, args.pairs + 1):
        scripts = lecture_part(lab, logs, args.timeout, quiet=True, tag=f"_{i}")
        repro = cold_once(args, tmp, logs, tag=f"_{i}")
        pairs.append((scripts["total"], repro["wall"]))
        cpus.append((scripts["cpu"], repro["cpu"]))
    ratios = [repro / scripts for scripts, repro in pairs]
    cpu_ratios = [repro / scripts for scripts, repro in cpus]
    print(f"2b. The lecture's scripts and the cold repro of examples 1-3 (in one call, a fresh "
          f"copy each), in turn: {len(pairs)} pairs, the first parts 1 and 2's", flush=True)
    for i, ((scripts, repro), ratio, cpu, cpu_ratio) in enumerate(
            zip(pairs, ratios, cpus, cpu_ratios), 1):
        print(f"   pair {i}: scripts {scripts:5.1f} s, cold repro {repro:5.1f} s, "
              f"ratio {ratio:.2f}x; CPU {cpu[0]:5.1f} s and {cpu[1]:5.1f} s, ratio "
              f"{cpu_ratio:.2f}x", flush=True)
    found = {"scripts": statistics.median(p[0] for p in pairs),
             "repro": statistics.median(p[1] for p in pairs),
             "ratio": statistics.median(ratios), "low": min(ratios), "high": max(ratios),
             "cpu_scripts": statistics.median(c[0] for c in cpus),
             "cpu_repro": statistics.median(c[1] for c in cpus),
             "cpu_ratio": statistics.median(cpu_ratios), "cpu_low": min(cpu_ratios),
             "cpu_high": max(cpu_ratios)}
    print(f"   medians: scripts {found['scripts']:.1f} s, cold repro {found['repro']:.1f} s; "
          f"ratio {found['ratio']:.2f}x (pairs {found['low']:.2f}x to {found['high']:.2f}x)\n"
          f"   CPU medians: scripts {found['cpu_scripts']:.1f} s, cold repro "
          f"{found['cpu_repro']:.1f} s; ratio {found['cpu_ratio']:.2f}x (pairs "
          f"{found['cpu_low']:.2f}x to {found['cpu_high']:.2f}x)\n", flush=True)
    return found
