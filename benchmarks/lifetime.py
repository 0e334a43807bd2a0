"""How a benchmark ends: on its own time limit, on Ctrl-C (SIGINT), SIGTERM or SIGHUP, when
what started it is gone, on an exception or at its normal end, with nothing it started left
running.

``run(main)`` is every benchmark's entry (``lifetime.run(main)`` under ``__main__``):

* It marks the benchmark's processes: ``LAB_BENCHMARK=<pid>-<random>`` in its environment,
  which every process it starts inherits, at any depth, including those that leave its process
  group and session: an `mlflow server` started with start_new_session, PostgreSQL's
  postmaster, which pg_ctl daemonises and runuser starts as another user, the student
  processes of multiprocessing's forkserver, dvc's stages. ``stop_started`` finds them by that
  mark (psutil: /proc/<pid>/environ, the environment a process was started with), sends each
  SIGTERM and, to those left after ``SWEEP_SECONDS``, SIGKILL. (A PostgreSQL backend rewrites
  that memory for its title in `ps`, so its mark is lost; it ends with its postmaster.)
* SIGTERM and SIGHUP raise rnnlab's ``Interrupted`` in the main thread, SIGINT a
  KeyboardInterrupt, the time limit (``limit``, a SIGALRM) ``TimeUp``, and the end of a process
  the benchmark runs under (rnnlab/core/lifeline.py: ``make`` killed alone) ``Orphaned``: all
  KeyboardInterrupts, which ``except Exception`` does not catch, so the benchmark's ``finally``
  and ``with`` blocks run, and its servers are stopped the orderly way (`classroom stop`,
  pg_ctl), before ``scratch`` sweeps what is left and removes the temporary folder. Only the
  first signal counts: ``timeout`` sends SIGTERM to the benchmark and then to its whole
  process group, and Ctrl-C reaches every process of the terminal's group, so a second one
  arrives while the first unwinds and must not cut the orderly stop short.
* The lab's ``Lifeline`` thread sees each signal even while the main thread is held in a call:
  if the benchmark has not ended ``CLEANUP_SECONDS`` after the first, that thread sweeps, removes
  the temporary folders and ends the process itself (os._exit).
* Whatever the end, ``run`` sweeps once more; a stop prints one line, ``error: ...``, and exits
  with the shell's status for the signal (130, 143, 129), or 1 for the time limit.
"""
import contextlib
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from rnnlab.core.errors import Interrupted, Orphaned, exit_status, stop_line
from rnnlab.core.lifeline import Lifeline

MARK = "LAB_BENCHMARK"
SWEEP_SECONDS = 10.0    # between SIGTERM and SIGKILL to the processes still marked
CLEANUP_SECONDS = 60.0  # from the first stop to the hard stop, if the benchmark has not ended


class TimeUp(KeyboardInterrupt):
    """The benchmark's own time limit (``limit``) passed."""


_lock = threading.RLock()  # an RLock: the signal handler runs in the main thread, which may hold it
_token = None       # this benchmark's mark
_seconds = None     # its time limit, once set
_reason = None      # the KeyboardInterrupt it stops with, once a stop began
_raised = False     # whether the main thread was told (a second signal is not)
_ended = False      # run() has finished: the hard stop is too late
_folders = []       # (path, keep) of the open ``scratch`` blocks, for the hard stop


def limit(seconds):
    """Stop the benchmark ``seconds`` from now (TimeUp in the main thread). Inside ``run``."""
    global _seconds
    _seconds = seconds
    signal.setitimer(signal.ITIMER_REAL, seconds)


def add_time_limit(parser, default):
    """The option every benchmark has: --time-limit SECONDS."""
    def positive(text):
        value = float(text)
        if not value > 0:
            raise ValueError(text)
        return value

    parser.add_argument("--time-limit", type=positive, default=default, metavar="SECONDS",
                        help="stop everything it started and exit with an error after this "
                             f"many seconds (default {default:g})")


def _reason_for(signum):
    if signum == signal.SIGALRM:
        return TimeUp()
    if signum == signal.SIGINT:
        return KeyboardInterrupt()
    return Interrupted(signal.Signals(signum).name)


def _begin_stop(reason):
    """The first reason to stop is the one kept; the hard stop is armed then."""
    global _reason
    with _lock:
        if _reason is not None:
            return
        _reason = reason
        signal.setitimer(signal.ITIMER_REAL, 0)
        timer = threading.Timer(CLEANUP_SECONDS, _hard_stop)
        timer.daemon = True
        timer.start()


def _interrupt(signum, frame):
    """The main thread's handler of SIGINT, SIGTERM, SIGHUP and SIGALRM: raise the stop once."""
    global _raised
    _begin_stop(_reason_for(signum))
    with _lock:
        if _raised:
            return
        _raised = True
    raise _reason


def _signalled(signum):
    """The lifeline's thread saw a signal arrive: the hard stop is armed even if the main thread
    does not get to its handler."""
    if signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        _begin_stop(_reason_for(signum))


def _orphaned(gone):
    """A process the benchmark runs under is gone: stop as on SIGHUP."""
    _begin_stop(Orphaned(gone))
    signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)


def _line(reason, left):
    if isinstance(reason, TimeUp):
        said = f"time limit: {_seconds:g} s passed (--time-limit)"
    elif isinstance(reason, Orphaned):
        said = f"stopped: {reason.gone}, which started it, is gone"
    else:
        said = stop_line(reason)
    if left:
        return f"error: {said}; still running, not stopped: {', '.join(left)}"
    return f"error: {said}; everything it started is stopped"


def _status(reason):
    return 1 if isinstance(reason, TimeUp) else exit_status(reason)


def _hard_stop():
    """The benchmark did not end CLEANUP_SECONDS after the stop began: end it from this thread."""
    with _lock:
        if _ended:
            return
    left = stop_started()
    for path, keep in list(_folders):
        if not keep:
            shutil.rmtree(path, ignore_errors=True)
    os.write(2, f"{_line(_reason, left)} (forced: it had not ended {CLEANUP_SECONDS:g} s after "
                "the stop began)\n".encode())
    os._exit(_status(_reason))


def _helpers():
    """multiprocessing's resource tracker and forkserver, if this process started them: it
    talks to them until it exits, and they end then (EOF on the pipe it holds open)."""
    pids = set()
    with contextlib.suppress(AttributeError):
        if "multiprocessing.resource_tracker" in sys.modules:
            pids.add(sys.modules["multiprocessing.resource_tracker"]._resource_tracker._pid)
        if "multiprocessing.forkserver" in sys.modules:
            pids.add(sys.modules["multiprocessing.forkserver"]._forkserver._forkserver_pid)
    return pids


def _marked():
    """The processes that carry this benchmark's mark, but this one and its helpers."""
    import psutil

    found, spared = [], _helpers() | {os.getpid()}
    for proc in psutil.process_iter():
        if proc.pid in spared:
            continue
        with contextlib.suppress(psutil.Error, OSError):
            if proc.environ().get(MARK) == _token:
                found.append(proc)
    return found


def _running(proc):
    import psutil

    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def stop_started(seconds=SWEEP_SECONDS):
    """Stop every process this benchmark started that still runs: SIGTERM to each (those that
    appear meanwhile too), SIGKILL to those left after ``seconds``. What still runs after that
    (another user's process it may not signal), as 'name (pid N)'."""
    import psutil

    if _token is None:
        return []
    told, deadline = set(), time.monotonic() + seconds
    while True:
        left = [proc for proc in _marked() if _running(proc)]
        if not left or time.monotonic() >= deadline:
            break
        for proc in left:
            if proc not in told:
                told.add(proc)
                with contextlib.suppress(psutil.Error):
                    proc.terminate()
        time.sleep(0.2)
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    deadline = time.monotonic() + 5
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [proc for proc in left if _running(proc)]
    return [f"{proc.name()} (pid {proc.pid})" for proc in left if _running(proc)]


@contextlib.contextmanager
def scratch(prefix, keep=False, mode=0o700):
    """A new temporary folder for the length of a block, removed at its end unless ``keep``,
    once every process the benchmark started is stopped: one still running would write into it
    while it goes (a server's artifacts, PostgreSQL's cluster)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(mode)
    _folders.append((path, keep))
    try:
        yield path
    finally:
        try:
            stop_started()
        finally:
            if not keep:
                shutil.rmtree(path, ignore_errors=True)
        _folders.remove((path, keep))  # not reached if a stop cut the removal short: run() ends it


def run(main):
    """Run a benchmark's ``main()`` so that it ends with nothing it started left running, and
    within its time limit (``limit``) plus CLEANUP_SECONDS."""
    global _token, _reason, _raised, _ended
    _token, _reason, _raised, _ended = f"{os.getpid()}-{secrets.token_hex(8)}", None, False, False
    os.environ[MARK] = _token
    # SIGHUP that came in ignored (`nohup`) stays ignored: the user asked to outlive the terminal.
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGALRM]
    if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:
        signals.append(signal.SIGHUP)
    before = {signum: signal.signal(signum, _interrupt) for signum in signals}
    lifeline = Lifeline(_orphaned, _signalled).start()
    stopped = None
    try:
        main()
    except KeyboardInterrupt as err:
        stopped = _reason or err
    except Exception:
        if _reason is None:
            raise  # a bug or a failure of the benchmark's own: its traceback (after the sweep)
        stopped = _reason  # the stop, turned into another exception on its way
    finally:
        with _lock:
            _raised = True  # a signal from now on arms the hard stop but raises nothing
        signal.setitimer(signal.ITIMER_REAL, 0)
        left = stop_started()
        for path, keep in _folders:
            if not keep:
                shutil.rmtree(path, ignore_errors=True)
        lifeline.stop()
        with _lock:
            _ended = True
        for signum, handler in before.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    stopped = stopped or _reason  # a signal that came while the benchmark was ending
    if stopped is not None:
        print(_line(stopped, left), file=sys.stderr, flush=True)
        sys.exit(_status(stopped))
    if left:
        sys.exit(f"error: still running, not stopped: {', '.join(left)}")
