"""The load: every student a process of its own, all released at once, stopped at the budget.

Each student process (``student_process``) runs a Student's repro (student.py) with MLflow's
client as the lab configures it, times every HTTP request (requests' Session.send: the server's
answer, as the client waited for it), counts urllib3's retries, and writes what it did as JSON;
``run_load`` starts them, releases them together, restarts PostgreSQL during the load if asked,
and stops (SIGTERM) those still running at the budget.
"""
import json
import logging
import multiprocessing
import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path

from benchmarks.server_load_parts.content import make_files
from benchmarks.server_load_parts.servers import server_errors
from benchmarks.server_load_parts.student import Student

READY_SECONDS = 300  # for every student process to be up and waiting
STOP_SECONDS = 20    # for a student told to stop (SIGTERM) to report, before SIGKILL


class Deadline(BaseException):
    """The budget is over (SIGTERM from the benchmark): stop where it is."""


class RetryCounter(logging.Handler):
    """The retries MLflow's client made, as urllib3 logs them: 'Retry: <url>' (debug) after an
    HTTP status it retries (5xx, 429, 408), 'Retrying (...)' (warning) after a broken or refused
    connection. urllib3's warnings still go to stderr."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.status = self.connection = 0

    def emit(self, record):
        message = str(record.msg)
        if message.startswith("Retry: "):
            self.status += 1
        elif message.startswith("Retrying"):
            self.connection += 1
        if record.levelno >= logging.WARNING:
            sys.stderr.write(self.format(record) + "\n")


def student_process(user, password, uri, prefix, scale, files, folder, ready, go, nice=0,
                    paced=True, spread=0.0):
    """A student: ready, wait for the start, run the repro (until SIGTERM), write the results
    as JSON. ``nice``: its niceness (os.nice), 19 to leave the cores to the server first;
    ``paced``: the calls at TIMELINE's moments (``spread``: on a machine 1 to 1 + spread
    times as slow), else back to back."""
    os.nice(nice)
    log = open(Path(folder) / "logs" / f"{user}.log", "w")
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    os.environ.update(MLFLOW_TRACKING_URI=uri, MLFLOW_TRACKING_USERNAME=user)
    if password:
        os.environ["MLFLOW_TRACKING_PASSWORD"] = password
    else:
        os.environ.pop("MLFLOW_TRACKING_PASSWORD", None)
    import requests

    waited = []  # each HTTP request's seconds: as many as the requests sent
    send = requests.Session.send

    def counting(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return send(self, *args, **kwargs)
        finally:
            waited.append(round(time.perf_counter() - start, 4))

    requests.Session.send = counting
    retries = RetryCounter()
    pool_log = logging.getLogger("urllib3.connectionpool")
    pool_log.setLevel(logging.DEBUG)
    pool_log.propagate = False
    pool_log.addHandler(retries)
    logging.getLogger("mlflow").setLevel(logging.WARNING)

    def stop(signum, frame):
        raise Deadline()

    signal.signal(signal.SIGTERM, stop)
    ready.put(user)
    go.wait()
    t0 = float((Path(folder) / "t0").read_text())
    me = Student(user, uri, prefix, scale, files, t0, paced, spread,
                 links=Path(folder) / "links" / user)
    cpu, stopped = os.times(), False
    try:
        me.repro()
    except Deadline:
        stopped = True
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        now = os.times()
        result = {"user": user, "calls": me.calls, "errors": me.errors, "acked": me.acked,
                  "requests": len(waited), "request_seconds": waited,
                  "retries": [retries.status, retries.connection],
                  "stopped": stopped,
                  "end": time.time() - t0, "cpu": now.user + now.system - cpu.user - cpu.system}
        (Path(folder) / "results" / f"{user}.json").write_text(json.dumps(result))
        log.flush()
        os._exit(0)  # not waiting for upload threads a SIGTERM may have left behind


def run_load(server, passwords, folder, args, restart_at=None):
    """Every student at once, stopped at the budget; what they reported, and the server's
    CPU."""
    (folder / "logs").mkdir()
    (folder / "results").mkdir()
    files = make_files(folder / "files")
    prefix = secrets.token_hex(4)[:7]
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__"])  # MLflow imported once, not once per student
    ready, go = ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=student_process, name=user,
                         args=(user, password, server.uri, prefix, args.scale, files, str(folder),
                               ready, go, args.nice, not args.burst, args.spread))
             for user, password in passwords.items()]
    restart, timer = {}, None
    try:
        for proc in procs:
            proc.start()
        deadline = time.monotonic() + READY_SECONDS
        for _ in procs:
            ready.get(timeout=max(1, deadline - time.monotonic()))
        cpu_before = server.cpu()
        log_start, _ = server_errors(server.log)
        t0 = time.time()
        (folder / "t0").write_text(repr(t0))
        start = time.perf_counter()
        go.set()
        if restart_at is not None:
            def restart_now():
                restart["at"] = time.time() - t0
                restart["running"] = sum(p.is_alive() for p in procs)
                restart["pg_cpu"] = server.cpu()["PostgreSQL"] - cpu_before["PostgreSQL"]
                restart["seconds"], restart["rc"], restart["said"] = server.restart_database()

            timer = threading.Timer(restart_at, restart_now)
            timer.start()
        end = start + args.budget if args.budget else float("inf")
        for proc in procs:
            proc.join(timeout=max(0.01, end - time.perf_counter()) if args.budget else None)
        running = [p for p in procs if p.is_alive()]
        for proc in running:
            proc.terminate()  # SIGTERM: the student stops and reports
        stop_by = time.perf_counter() + STOP_SECONDS
        for proc in running:
            proc.join(timeout=max(0.01, stop_by - time.perf_counter()))
        killed = [p.name for p in running if p.is_alive()]
        wall = time.perf_counter() - start
        if timer is not None:
            timer.join()
        cpu = {k: v - cpu_before.get(k, 0.0) for k, v in server.cpu().items()}
        _, logged_errors = server_errors(server.log, log_start)
        if "pg_cpu" in restart:  # a new postmaster since the restart: its CPU from zero
            cpu["PostgreSQL"] = restart["pg_cpu"] + cpu["PostgreSQL"] + cpu_before["PostgreSQL"]
    finally:
        if timer is not None:
            timer.cancel()  # stopped early (the time limit, a signal): no restart after the load
        for proc in procs:
            if proc.is_alive():
                proc.kill()
                proc.join()
    results = [json.loads((folder / "results" / f"{u}.json").read_text()) for u in passwords
               if (folder / "results" / f"{u}.json").exists()]
    cpu["students"] = sum(r["cpu"] for r in results)
    return {"wall": wall, "results": results, "killed": killed, "restart": restart,
            "prefix": prefix, "cpu": cpu, "stopped": [p.name for p in running],
            "server_errors": logged_errors}
