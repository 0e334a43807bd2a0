"""Part 2b: the ratio of examples 1-3's cold repro to the lecture's scripts, taken in pairs.

One run of each is one sample of a shared machine, where the same script can take a third
longer a few minutes later. So the scripts (part 1's way) and the cold repro in one call
(part 2's way, each in a fresh copy) run in turn, ``--pairs`` times in all, parts 1 and 2's
own runs the first pair; the ratio is taken pair by pair, and the summary quotes the median.
"""
import statistics

from benchmarks.pipeline_parts.lecture import lecture_part
from benchmarks.pipeline_parts.repro import cold_once


def pairs_part(args, lab, tmp, logs, lec, rep):
    """Part 2b: ``args.pairs`` pairs (scripts, cold repro), the first part 1's and part 2's."""
    pairs = [(lec["total"], rep["once"]["wall"])]
    for i in range(2, args.pairs + 1):
        scripts = lecture_part(lab, logs, args.timeout, quiet=True, tag=f"_{i}")["total"]
        pairs.append((scripts, cold_once(args, tmp, logs, tag=f"_{i}")["wall"]))
    ratios = [repro / scripts for scripts, repro in pairs]
    print(f"2b. The lecture's scripts and the cold repro of examples 1-3 (in one call, a fresh "
          f"copy each), in turn: {len(pairs)} pairs, the first parts 1 and 2's", flush=True)
    for i, ((scripts, repro), ratio) in enumerate(zip(pairs, ratios), 1):
        print(f"   pair {i}: scripts {scripts:5.1f} s, cold repro {repro:5.1f} s, "
              f"ratio {ratio:.2f}x", flush=True)
    found = {"scripts": statistics.median(p[0] for p in pairs),
             "repro": statistics.median(p[1] for p in pairs),
             "ratio": statistics.median(ratios), "low": min(ratios), "high": max(ratios)}
    print(f"   medians: scripts {found['scripts']:.1f} s, cold repro {found['repro']:.1f} s; "
          f"ratio {found['ratio']:.2f}x (pairs {found['low']:.2f}x to {found['high']:.2f}x)\n",
          flush=True)
    return found
