"""What keeps a stage from outliving what started it, and lets it answer a signal in seconds.

rnnlab/core/errors.py (``run``, every stage's wrapper) starts a ``Lifeline``: one daemon thread that

* watches the processes the stage runs under. ``make repro`` runs ``dvc repro``, which runs
  the stage through ``$SHELL -c`` (bash execs it, other shells may stay in between); SIGTERM
  or SIGKILL to ``dvc`` alone, or SIGTERM to ``make`` alone (a scheduler, an IDE's stop button,
  ``kill <pid>``; make passes SIGTERM on to dvc, which dies of it), leaves the stage running,
  re-parented, with nobody to wait for it. Linux's
  ``prctl(PR_SET_PDEATHSIG)`` covers only the direct parent (the shell, or dvc), not ``make``
  above it, nor macOS; no library watches a whole chain. So the chain is recorded at the
  start, from the parent up to the session leader, and polled every ``POLL`` seconds with
  psutil (a process object that remembers its start time, so a pid reused by a new process
  is not mistaken for the old one; a zombie, killed but not yet reaped, counts as gone).
  A session leader that has a terminal is left out: the terminal's end is SIGHUP's to say,
  and ``nohup``, ``disown``, tmux and screen are how a user chooses to outlive it.
* reads the signal numbers that Python's C-level handler writes to ``signal.set_wakeup_fd``
  even while the main thread is inside a long call into C++ (TensorFlow training 32
  batches of a large network holds it for minutes; Python runs a signal handler only in
  the main thread, between bytecodes). TensorFlow releases the GIL while it computes, so
  this thread runs meanwhile: it is how errors.py learns that a signal has not been
  answered in time.

``process_alive`` is also how rnnlab/tracking/orphans.py tells a run's owner gone. This module imports
nothing of the lab (errors.py imports it).
"""
import contextlib
import os
import select
import signal
import threading

POLL = 0.5
"""Seconds between two looks at the processes the stage runs under."""


def process_alive(pid, started=None):
    """Whether process ``pid`` runs on this machine (it may be another user's); a zombie
    (exited, not yet reaped) does not. With ``started`` (its start time, seconds since the
    epoch, as psutil's ``create_time``): whether it is that process, not a later one that
    was given the same pid."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if started is not None and abs(proc.create_time() - started) > 1:
            return False
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def started(pid=None):
    """The start time of process ``pid`` (default: this one), for ``process_alive``."""
    import psutil

    return psutil.Process(pid).create_time()


def _has_terminal():
    try:
        os.close(os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY))
        return True
    except OSError:
        return False


def ancestors():
    """The processes this one runs under, nearest first: psutil.Process objects, from the
    parent up to the session leader (left out if the session has a terminal), never pid 1
    nor a process of another session."""
    import psutil

    getsid = getattr(os, "getsid", None)
    sid = getsid(0) if getsid else None
    chain = []
    try:
        proc = psutil.Process().parent()
        while proc is not None and proc.pid > 1:
            if sid is not None and getsid(proc.pid) != sid:
                break
            if proc.pid == sid and _has_terminal():
                break
            chain.append(proc)
            if sid is None or proc.pid == sid:
                break
            proc = proc.parent()
    except (psutil.Error, OSError):
        pass  # gone while we looked (the watch finds out), or not ours to look at: stop there
    return chain


def _gone(proc):
    import psutil

    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


def describe(proc):
    """'dvc (pid 1234)': a process's name (a script's own, `dvc`, not its interpreter's) and pid."""
    import psutil

    try:
        return f"{proc.name()} (pid {proc.pid})"
    except psutil.Error:
        return f"pid {proc.pid}"


class Lifeline:
    """The watching thread. ``on_orphaned(description)`` is called, once, when a process the
    stage runs under is gone ('make (pid 12)'); ``on_signal(signum)`` when a signal with a
    Python handler arrives, whatever the main thread is doing. Both are called from the
    thread (``on_signal`` may block it: the parents are not watched meanwhile)."""

    def __init__(self, on_orphaned, on_signal):
        self.on_orphaned, self.on_signal = on_orphaned, on_signal
        self.chain = [(proc, describe(proc)) for proc in ancestors()]
        self.parent = os.getppid()
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="lifeline", daemon=True)
        self._old_fd = None

    def start(self):
        """Start watching. From the main thread (set_wakeup_fd's rule)."""
        self._old_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._thread.start()
        return self

    def stop(self):
        """Stop watching, give the wakeup fd back. From the main thread."""
        self._stop.set()
        signal.set_wakeup_fd(self._old_fd if self._old_fd is not None else -1)
        with contextlib.suppress(OSError):  # wake the thread's select now, not after POLL
            os.write(self._write, b"\0")
        self._thread.join(timeout=2 * POLL + 1)
        if not self._thread.is_alive():
            os.close(self._read)
            os.close(self._write)

    def gone(self):
        """The description of the nearest process of the chain that is gone, or None."""
        if self.chain and os.getppid() != self.parent:
            return self.chain[0][1]  # re-parented: the parent is gone
        for proc, description in self.chain:
            if _gone(proc):
                return description
        return None

    def _watch(self):
        watching = True
        while not self._stop.is_set():
            ready, _, _ = select.select([self._read], [], [], POLL)
            if self._stop.is_set():
                return
            if ready:
                for signum in os.read(self._read, 64):
                    self.on_signal(signum)
            if watching:
                description = self.gone()
                if description:
                    watching = False
                    self.on_orphaned(description)
