"""The figures of a part (``summarise``, printed by ``print_part``) and the parts side by side
(``print_summary``): wall time, runs/s, latencies per call kind and over all calls, HTTP
requests, CPU seconds, errors, and what was lost, not logged or extra (verify.py's counts
against ``plan``'s); then the goal, met or not.
"""
import collections
import os

from benchmarks.server_load_parts.repro import MORE_STAGES, epochs_note
from benchmarks.server_load_parts.servers import PARTS, TITLES
from benchmarks.server_load_parts.student import EPOCHS

GOAL_P95 = 1.0


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))]


LOG_CALLS = ("log_params", EPOCHS, "log_metrics (train)", "log_metrics (eval)",
             *(f"log_metrics ({stage})" for more in MORE_STAGES.values() for stage in more),
             "log_text", "log_artifact (png)", "set_tag")
"""The calls that log into a run (a row of their own): not log_model (a model saved, checked
and uploaded file by file), nor the calls that find, open, close or register."""
WHAT = ["runs", "finished", "points", "run_files", "logged_models", "model_files", "versions"]


def summarise(load, v, users, planned):
    calls = [c for r in load["results"] for c in r["calls"]]
    requests = [x for r in load["results"] for x in r["request_seconds"]]
    errors = [e for r in load["results"] for e in r["errors"]]
    latencies = [c[2] for c in calls]
    kinds = collections.defaultdict(list)
    for c in calls:
        kinds[c[0]].append(c[2])
    examples_ = {}
    for e in errors:
        examples_.setdefault((e[0], e[1]), e)
    n = len(users)
    s = {
        "students": n, "reported": len(load["results"]), "killed": load["killed"],
        "stopped": load["stopped"], "wall": load["wall"], "cpu": load["cpu"],
        "requests": sum(r["requests"] for r in load["results"]),
        "retries": [sum(r["retries"][i] for r in load["results"]) for i in (0, 1)],
        "calls": sum(c[0] != EPOCHS for c in calls), "sends": sum(c[0] == EPOCHS for c in calls),
        "calls_planned": planned["calls"] * n,
        "request_p50": pct(requests, 50), "request_p95": pct(requests, 95),
        "p50": pct(latencies, 50), "p95": pct(latencies, 95),
        "p95_no_model": pct([c[2] for c in calls if not c[0].startswith("log_model")], 95),
        "p95_log": pct([c[2] for c in calls if c[0] in LOG_CALLS], 95),
        "max": max(latencies, default=float("nan")),
        "kinds": {k: (len(x), pct(x, 50), pct(x, 95), max(x)) for k, x in kinds.items()},
        "errors": len(errors), "errors_by": collections.Counter((e[0], e[1]) for e in errors),
        "examples": examples_, "error_times": sorted(e[3] for e in errors),
        "slow": sorted(((c[2], c[0], c[1]) for c in calls), reverse=True)[:5],
        "restart": load["restart"], "server_errors": load["server_errors"],
        "extra": {k: v[f"extra_{k}"] for k in ("runs", "points", "versions")},
    }
    for what in WHAT:
        plan_key = "runs" if what == "finished" else what
        s[what] = {"planned": planned[plan_key] * n, "acked": v[f"{what}_acked"],
                   "found": v[f"{what}_found"]}
        s[what]["lost"] = s[what]["acked"] - s[what]["found"]
        s[what]["not_logged"] = s[what]["planned"] - s[what]["acked"]
    s["runs_per_s"] = s["finished"]["found"] / s["wall"]
    s["lost"] = sum(s[w]["lost"] for w in WHAT)
    s["done"] = s["calls"] / s["calls_planned"] if s["calls_planned"] else 1.0
    return s


def print_part(s):
    stopped = (f"; stopped by the budget: {len(s['stopped'])} students" if s["stopped"] else "")
    killed = f" ({len(s['killed'])} did not report, killed)" if s["killed"] else ""
    print(f"   load: {s['wall']:.1f} s{stopped}{killed}; {s['calls']} MLflow calls of "
          f"{s['calls_planned']} planned ({100 * s['done']:.0f}%) and {s['sends']} sends of "
          f"epochs' metrics, {s['requests']} HTTP requests (p50 {s['request_p50']:.3f} s, p95 "
          f"{s['request_p95']:.3f} s) "
          f"({s['requests'] / s['wall']:.1f}/s), retried {s['retries'][0]} after an HTTP error "
          f"and {s['retries'][1]} after a connection error; latency p50 "
          f"{s['p50']:.3f} s, p95 {s['p95']:.3f} s, max {s['max']:.2f} s", flush=True)
    cpu = ", ".join(f"{k} {v:.0f}" for k, v in s["cpu"].items())
    print(f"   CPU seconds during the load: {cpu} (of {s['wall'] * os.cpu_count():.0f} "
          f"core-seconds); mlflow server {1000 * per_request(s):.0f} ms per request", flush=True)
    print("   verified (acknowledged to a client -> found): " + ", ".join(
        f"{w.replace('_', ' ')} {s[w]['acked']} -> {s[w]['found']}" for w in WHAT)
        + f"; extra: runs {s['extra']['runs']}, points {s['extra']['points']}, versions "
          f"{s['extra']['versions']}", flush=True)
    if s["errors"]:
        print(f"   errors ({s['errors']}):")
        for (kind, name), n in s["errors_by"].most_common():
            e = s["examples"][(kind, name)]
            print(f"     {n:5d} x {kind}: {name}: {e[2][:220]} (first seen at {e[3]:.1f} s, "
                  f"in a call begun at {e[4]:.1f} s)")
    if s["server_errors"]:
        print(f"   the server's log: {sum(s['server_errors'].values())} ERROR lines during the "
              f"load (at the budget's stop, a client gone mid-request is one), the most "
              f"frequent:")
        for message, n in s["server_errors"].most_common(3):
            print(f"     {n:5d} x {message}")
    r = s["restart"]
    if r:
        seen = (f"errors between {s['error_times'][0]:.1f} s and {s['error_times'][-1]:.1f} s"
                if s["error_times"] else "the clients saw no error")
        print(f"   PostgreSQL restarted at {r['at']:.1f} s, {r['running']} students running: "
              f"pg_ctl restart -m fast took {r['seconds']:.1f} s, exit {r['rc']} "
              f"({r['said'][:100]}); {seen}", flush=True)
    print("   slowest calls: " + "; ".join(f"{kind} {sec:.2f} s at {at:.0f} s"
                                         for sec, kind, at in s["slow"]), flush=True)


def per_request(s):
    """The mlflow server's CPU seconds per HTTP request of the clients."""
    return s["cpu"].get("mlflow server", 0) / max(1, s["requests"])


def table(rows, columns):
    widths = [max(len(str(r[i])) for r in [columns] + rows) for i in range(len(columns))]
    for r in [columns] + rows:
        print("   " + "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                                for i, (c, w) in enumerate(zip(r, widths))), flush=True)


def print_summary(done, args):
    parts = [p for p in PARTS if p in done]
    budget = f"--budget {args.budget:g} s" if args.budget else "no --budget"
    pace = "burst" if args.burst else f"paced as a repro, --spread {args.spread:g}"
    print(f"\nSummary: {args.students} students at once ({pace}), servers with --workers "
          f"{args.workers}, "
          f"--scale {args.scale:g} ({epochs_note(args.scale)}), {budget}")

    def row(label, f):
        return [label] + [f(done[p]) for p in parts]

    def lost(what):
        return lambda s: f"{s[what]['lost']} of {s[what]['acked']}"

    rows = [
        row("students", lambda s: s["students"]),
        row("calls done / planned", lambda s: f"{s['calls']}/{s['calls_planned']}"),
        row("sends of epochs' metrics", lambda s: s["sends"]),
        row("runs FINISHED / planned", lambda s: f"{s['finished']['found']}/{s['runs']['planned']}"),
        row("wall s", lambda s: f"{s['wall']:.1f}" + (" (budget)" if s["stopped"] else "")),
        row("runs/s", lambda s: f"{s['runs_per_s']:.2f}"),
        row("HTTP requests/s", lambda s: f"{s['requests'] / s['wall']:.1f}"),
        row("server CPU ms/request", lambda s: f"{1000 * per_request(s):.0f}"),
        row("latency p50 s", lambda s: f"{s['p50']:.3f}"),
        row("latency p95 s", lambda s: f"{s['p95']:.3f}"),
        row("latency max s", lambda s: f"{s['max']:.2f}"),
        row("p95 s, log_model aside", lambda s: f"{s['p95_no_model']:.3f}"),
        row("p95 s, a log call", lambda s: f"{s['p95_log']:.3f}"),
        row("HTTP request p50 / p95 s", lambda s: f"{s['request_p50']:.3f} / {s['request_p95']:.3f}"),
        row("errors", lambda s: s["errors"]),
        row("client retries: HTTP/connection", lambda s: f"{s['retries'][0]}/{s['retries'][1]}"),
        row("lost runs", lost("runs")),
        row("lost FINISHED status", lost("finished")),
        row("lost metric points", lost("points")),
        row("lost artifacts (run files)", lost("run_files")),
        row("lost logged models", lost("logged_models")),
        row("lost model files", lost("model_files")),
        row("lost model versions", lost("versions")),
        row("not logged points/files", lambda s: f"{s['points']['not_logged']}/"
            f"{s['run_files']['not_logged'] + s['model_files']['not_logged']}"),
        row("extra runs/points/versions",
            lambda s: f"{s['extra']['runs']}/{s['extra']['points']}/{s['extra']['versions']}"),
        row("whole class, estimated s", lambda s: f"{s['wall'] / max(s['done'], 1e-9):.0f}"
            + (" (est.)" if s["done"] < 1 else "")),
    ]
    table(rows, ["figure"] + [TITLES[p] for p in parts])
    print("\n   Latency by call kind (n, p50 / p95 / max s):")
    kinds = []
    for p in parts:
        kinds += [k for k in done[p]["kinds"] if k not in kinds]
    rows = [[k] + [("–" if k not in done[p]["kinds"] else
                    "{} {:.3f}/{:.3f}/{:.2f}".format(*done[p]["kinds"][k])) for p in parts]
            for k in kinds]
    table(rows, ["call"] + [TITLES[p] for p in parts])
    for p in ("postgres",):
        if p not in done:
            continue
        s = done[p]
        complete = s["calls"] >= s["calls_planned"] and not s["stopped"]
        met = s["errors"] == 0 and s["lost"] == 0 and s["p95_log"] < GOAL_P95 and complete
        stopped = ", stopped by the budget" if s["stopped"] else ""
        print(f"\n   Goal, {TITLES[p]}: 0 errors ({s['errors']}), 0 lost ({s['lost']}), p95 of a "
              f"log call < {GOAL_P95:g} s ({s['p95_log']:.3f} s; of any call {s['p95']:.3f} s), "
              "the whole plan done "
              f"({100 * s['done']:.0f}% of the calls{stopped}): {'met' if met else 'NOT met'}")
    if "restart" in done:
        s = done["restart"]
        print(f"   With PostgreSQL restarted during the load: {s['errors']} errors, {s['lost']} "
              f"lost, {sum(s['extra'].values())} extra (no goal set)")
