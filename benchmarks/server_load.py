"""Benchmark: a class's load, measured (prints figures side by side, asserts nothing).

N simulated students (--students, default 30), each a separate process, start at the same moment
and log what one student's `make repro` logs into MLflow, when it logs it, against:

  postgres  the class server as `make server` starts it (classroom/server.py: PostgreSQL, and
            `mlflow server --app-name basic-auth` with proxied artifacts), one account per
            student made with `python -m classroom.server accounts`;
  sqlite    the same `mlflow server` (same --workers, --artifacts-destination) on a SQLite
            backend store (sqlite:///.../mlflow.db), no accounts;
  restart   a new class server, whose PostgreSQL is restarted during the load with
            `pg_ctl restart -m fast` (as PostgreSQL's user when this runs as root), --restart-at
            seconds after the start (by default a third of the postgres part's wall time, else
            of --budget): what the clients saw, and what was lost;
  uncached  (not run by default: --only postgres,uncached) a what-if, the class server with
            `auth_cache_ttl_seconds = 0` in its auth.ini (MLflow's default: no cache of checked
            passwords; the class server caches them for 10 minutes, docs/team.md tells why):
            the mlflow server restarted on it with classroom.server's own start_mlflow.

Every server is started by the benchmark on free ports of 127.0.0.1, in a folder made with
tempfile.mkdtemp (mode 0755: PostgreSQL runs as its own user when this runs as root), and
stopped at the end whatever happens (`classroom stop`, or SIGTERM to the server's process
group); the folder is removed unless --keep. The whole run stops at --time-limit (default
3600 s) with one `error:` line; on it, on Ctrl-C, SIGTERM or an exception, whatever the
benchmark started that still runs (a server whose start was cut short, a student) is stopped
too (benchmarks/lifetime.py) before the folder goes.

What one student logs: the MLflow calls of the stages, in their order, with synthetic content of
the real sizes (no TensorFlow, no training): 8 runs, one per model, in the lab's experiments
(server_load_parts/repro.py), first the 8 train stages, then the 8 that log into the runs (the
series and text models' track stages, the adding cells' evaluate stage, the stock model's
walk-forward and strategy), as DVC orders them: 16 stages, each a process; the stages that write
files only (series_evaluate, text_evaluate, text_generate, ...) make no request. Where the
stages call the lab's own functions, so does this: the lab's requests are the ones the server
gets (server_load_parts/student.py lists them call by call). An exception from a call ends its
stage, as it would end the stage's process (a train stage's run ends FAILED); a failed train
stage skips that model's later stages, as DVC would. The clients run with the lab's environment
(`import rnnlab`: MLFLOW_HTTP_REQUEST_MAX_RETRIES=3, MLFLOW_HTTP_REQUEST_TIMEOUT=30), printed
with the results.

Paced (the default): each stage begins when one default `make repro` on this machine began it
(TIMELINE, read from that repro's mlflow.db), and between the calls the student sleeps for what
its own machine computes (the first epoch after the run opens, TensorFlow imported; then each
epoch's seconds: TIMELINE's too), so that the calls reach the server at a real class's pace:
everyone's sine at once, then everyone's stock model, and so on. A stage that starts late (the
calls before it took longer) starts at once. --burst instead sends each student's calls back
to back with no training time, the train stages first: a stress test beyond any class, scaled
down with --scale (default 0.25; --quick: --burst --scale 0.05, for a check), which multiplies
the epochs (at least 2 a model). --budget (default 600 s; 90 s with --burst) bounds each part's
load: students still running then are stopped (SIGTERM; what they had logged stays). The
figures then cover what was done within the budget ("calls done" says how much of the plan),
and an estimate of the whole class's time is printed (wall time / fraction of the planned calls
done: rough, since calls differ in cost). --budget 0: no bound.

Measured: the wall time of the load (from the moment every student process is ready and
released at once to the last one's exit), runs/s (runs verified FINISHED / wall time), each
MLflow call's latency in its process (every call above timed on its own, failed ones with their
retries included; the epochs' sends are calls, the epochs between them are not), each HTTP
request's (requests' Session.send: the server's answer, as the client waited for it),
p50/p95/max per call kind and over all calls (and p95 with the log_model calls aside: their
latency is mostly the client's own work, and their share of the calls grows as --scale shrinks;
and p95 of a log call, LOG_CALLS: those that write into a run), the HTTP requests the clients
sent (requests' Session.send; urllib3's retries counted apart), the CPU seconds of the clients,
of the mlflow server's processes and of PostgreSQL's (from /proc), and errors (exceptions, by
call kind and type, one message each). Then one client VERIFIES what the server kept, reading
the backend store and the artifacts folder directly (server_load_parts/verify.py): everything a
student's call was told had succeeded must be there. "lost" counts what a client was told was
logged and is not there; "not logged" what was planned and not acknowledged (errors, or stopped
by the budget); "extra" what is there beyond what the clients were told (a second run or version
of the same name, more points than acknowledged: a request that failed for the client after the
server did it, went through twice, or was cut short by the budget's stop).

Goal: with PostgreSQL, 0 errors, 0 lost, p95 latency of a log call < 1 s, the whole plan done
within the budget (printed met / NOT met, beside the p95 of any call).

Run from the repository root:  .venv/bin/python benchmarks/server_load.py [--students 30]
    [--workers 4] [--burst [--scale 0.25] | --quick] [--budget 600] [--only postgres,sqlite,restart]
    [--restart-at SECONDS] [--nice 0-19] [--keep] [--time-limit 3600]

Reading it: the students, the mlflow server and PostgreSQL share the machine's cores, so the
latencies include waiting for a core (load averages are printed); in a real class the
students' machines do the client work, the CPU seconds show how it divides; --nice 19 runs the
students' processes after the server and its database, the nearest one machine comes to that
(a call's latency then includes the student's own wait for a core). log_model's latency
is mostly the client's own work (it writes the model locally, then uploads it file by file,
a request each). "server CPU ms/request" is what a request costs the mlflow server: with
accounts, MLflow's basic-auth checks the password hash on every request unless
auth_cache_ttl_seconds is set (the class server sets it; the uncached part shows why). Each
student's MLflow output is in <tmp>/<part>/logs/<user>.log (--keep keeps it).

The parts of this benchmark are in benchmarks/server_load_parts/, in the order they run:
repro.py (the models, stages and moments of a repro), content.py (what is logged), student.py
(one student's calls), servers.py, load.py (the student processes), verify.py, figures.py.
"""
import argparse
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import mlflow  # noqa: E402

import rnnlab  # noqa: E402,F401  (the stages' environment: MLflow's retries and timeout, no telemetry)
from benchmarks import lifetime  # noqa: E402
from benchmarks.server_load_parts.figures import (  # noqa: E402
    print_part,
    print_summary,
    summarise,
)
from benchmarks.server_load_parts.load import run_load  # noqa: E402
from benchmarks.server_load_parts.repro import MODELS, epochs_note  # noqa: E402
from benchmarks.server_load_parts.servers import (  # noqa: E402
    AUTH_CACHE_SECONDS,
    DEFAULT_PARTS,
    PARTS,
    TITLES,
    ClassServer,
    SqliteServer,
    warm_up,
)
from benchmarks.server_load_parts.verify import expected_model_files, plan, verify  # noqa: E402

TIME_LIMIT = 3600  # seconds: the default parts take about 25 minutes


def load_averages():
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4, help="the servers' --workers")
    parser.add_argument("--burst", action="store_true",
                        help="no training time: each student's calls back to back, the train "
                             "stages first (a stress test, beyond any class)")
    parser.add_argument("--spread", type=float, default=0.0,
                        help="paced: each student's machine 1 to 1 + SPREAD times as slow as "
                             "TIMELINE's (uniform, seeded by the student's name; 0: all alike, "
                             "in lockstep)")
    parser.add_argument("--scale", type=float, default=None,
                        help="with --burst: epochs logged, as a fraction of the defaults' (at "
                             "least 2; default 0.25)")
    parser.add_argument("--quick", action="store_true", help="--burst --scale 0.05, for a check")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds each part's load may take (0: no bound; default 600, "
                             "with --burst 90)")
    parser.add_argument("--only", default=",".join(DEFAULT_PARTS),
                        help=f"parts, comma-separated: {', '.join(PARTS)}")
    parser.add_argument("--restart-at", type=float, default=None,
                        help="seconds into the load to restart PostgreSQL (default: a third "
                             "of the postgres part's wall time, else of --budget, else 10)")
    parser.add_argument("--nice", type=int, default=0, choices=range(20), metavar="0-19",
                        help="the student processes' niceness: 19 leaves the cores to the "
                             "server and its database first, as when students compute on "
                             "their own machines")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    lifetime.add_time_limit(parser, TIME_LIMIT)
    args = parser.parse_args()
    lifetime.limit(args.time_limit)
    if args.quick:
        args.burst, args.scale = True, 0.05
    if args.scale is not None and not args.burst:
        parser.error("--scale goes with --burst: a paced repro logs the defaults' epochs")
    if args.scale is None:
        args.scale = 0.25 if args.burst else 1.0
    if args.budget is None:
        args.budget = 90.0 if args.burst else 600.0
    only = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(only) - set(PARTS)
    if unknown or not only:
        parser.error(f"--only: {', '.join(sorted(unknown)) or 'nothing'}: not one of {PARTS}")
    users = [f"s{i:02d}" for i in range(1, args.students + 1)]
    # mode 0755: the postgres user enters it when this runs as root
    with lifetime.scratch("lab-load-", keep=args.keep, mode=0o755) as base:
        measure(args, only, users, base)


def measure(args, only, users, base):
    budget = f"each part's load stopped after {args.budget:g} s" if args.budget else "no budget"
    print(f"A class's load: {args.students} students at once, each {len(MODELS)} runs, against "
          f"{', '.join(TITLES[p] for p in PARTS if p in only)}; servers with --workers "
          f"{args.workers}; {budget}")
    print("Paced: each stage's calls when one `make repro` on this machine made them, its "
          "epochs' metrics sent as the stages send them (a request every ten seconds at most)"
          if not args.burst else "Burst: no training time, each student's calls back to back")
    print(f"{'Not scaled' if args.scale == 1 else 'Scaled down'}: --scale {args.scale:g}, "
          f"{epochs_note(args.scale)} (the defaults' "
          f"epochs: {', '.join(str(m.epochs) for m in MODELS)}); the rest of the calls as a "
          f"repro makes them")
    print(f"Clients: nice {args.nice}, MLFLOW_HTTP_REQUEST_MAX_RETRIES="
          f"{os.environ.get('MLFLOW_HTTP_REQUEST_MAX_RETRIES')}, MLFLOW_HTTP_REQUEST_TIMEOUT="
          f"{os.environ.get('MLFLOW_HTTP_REQUEST_TIMEOUT')} (the lab's, from `import rnnlab`); "
          f"MLflow {mlflow.__version__}; {os.cpu_count()} cores; files in {base}", flush=True)
    logging.getLogger("mlflow").setLevel(logging.ERROR)  # the pins differ from this venv's
    done = {}
    try:
        expected_files = expected_model_files(base / "expected")
        planned = plan(args.scale, expected_files)
        print(f"One student: {planned['calls']} MLflow calls, {planned['runs']} runs, "
              f"{planned['points']} metric points, {planned['run_files']} run files, "
              f"{planned['logged_models']} logged models ({planned['model_files']} files), "
              f"{planned['versions']} registered model versions", flush=True)
        for number, part in enumerate([p for p in PARTS if p in only], 1):
            folder = base / part
            folder.mkdir()
            if part == "sqlite":
                server = SqliteServer(folder, args.workers)
            else:
                server = ClassServer(folder, args.workers,
                                     AUTH_CACHE_SECONDS if part == "uncached" else None)
            print(f"\n{number}. {TITLES[part]}: {server.uri} (load averages before: "
                  f"{load_averages()})", flush=True)
            try:
                started = time.perf_counter()
                passwords = server.start(users)
                warm_up(server, args.workers)
                accounts = "no accounts" if part == "sqlite" else f"{len(passwords)} accounts"
                print(f"   server started{', ' + server.note if server.note else ''}; "
                      f"{accounts}; ready in {time.perf_counter() - started:.1f} s", flush=True)
                restart_at = None
                if part == "restart":
                    restart_at = args.restart_at if args.restart_at is not None else (
                        done["postgres"]["wall"] / 3 if "postgres" in done else
                        args.budget / 3 if args.budget else 10.0)
                load = run_load(server, passwords, folder, args, restart_at)
                started = time.perf_counter()
                verified = verify(server, load, expected_files)
                print(f"   (verified in {time.perf_counter() - started:.1f} s; load averages "
                      f"after: {load_averages()})", flush=True)
            finally:
                server.stop()
            done[part] = summarise(load, verified, users, planned)
            print_part(done[part])
        print_summary(done, args)
    finally:
        if args.keep:
            print(f"\nkept: {base}")


if __name__ == "__main__":
    lifetime.run(main)
