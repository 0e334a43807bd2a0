"""One-line errors for bad input and interrupts, and the wrapper every stage's ``main`` runs in.

This module imports nothing of the lab but rnnlab/core/lifeline.py (which imports nothing of it),
so that every other module may import it. What a failure of someone else's code means to a
user (MLflow's store stopped answering, its database went read-only) is said by the module
that talks to that code: it registers a reader with ``reads_failures`` (rnnlab/tracking/store.py does,
for the MLflow store).

How a stage stops (``run``): Ctrl-C (SIGINT), SIGTERM and SIGHUP (a closed terminal or SSH
session; left ignored under ``nohup``) raise a KeyboardInterrupt in the main thread, and so
does the end of a process the stage runs under (``Orphaned``: dvc or make killed alone, seen by
rnnlab/core/lifeline.py): the stage's blocks unwind (outputs removed, its MLflow run KILLED) and
``run`` prints one line. Python raises it only between bytecodes, which a call into TensorFlow
can hold off for minutes; so if the main thread has not begun to unwind ``GRACE`` seconds
after the signal, the lifeline's thread does the undoing itself: it calls what the open blocks
registered with ``on_hard_stop`` (innermost first), prints the same line and ends the process
(``os._exit``) with the same status.
"""
import contextlib
import os
import signal
import sys
import threading
import time

from rnnlab.core.lifeline import Lifeline


class LabError(Exception):
    """Bad input a user can fix: wrong params, a missing corpus, an unknown character."""


def first_line(err, default=None):
    """The first line of an exception's message; ``default`` (else its type's name) if empty."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else (type(err).__name__ if default is None else default)


class Interrupted(KeyboardInterrupt):
    """SIGTERM (what `timeout`, schedulers and `docker stop` send) or SIGHUP (a closed terminal),
    its name the argument, raised like Ctrl-C's KeyboardInterrupt so that all unwind the same
    way: outputs removed, MLflow run KILLED."""


class Orphaned(Interrupted):
    """A process the stage runs under is gone (``dvc`` or ``make`` killed alone): the stage
    stops as on SIGHUP, the signal of a controlling process gone (exit status 129)."""

    def __init__(self, gone):
        super().__init__("SIGHUP")
        self.gone = gone  # 'dvc (pid 1234)'


def signal_name(interrupt):
    """'SIGTERM', 'SIGHUP' or 'SIGINT': which signal a KeyboardInterrupt stands for."""
    return interrupt.args[0] if isinstance(interrupt, Interrupted) and interrupt.args else "SIGINT"


def stop_line(interrupt):
    """What stopped a stage, as its error line and its run's failure tag say it:
    'interrupted (SIGTERM)', 'stopped: dvc (pid 1234), which started this stage, is gone'."""
    if isinstance(interrupt, Orphaned):
        return f"stopped: {interrupt.gone}, which started this stage, is gone"
    return f"interrupted ({signal_name(interrupt)})"


def exit_status(interrupt):
    """The shell's status for the signal a KeyboardInterrupt stands for: 130, 143, 129."""
    return 128 + getattr(signal, signal_name(interrupt))


GRACE = 2.0
"""Seconds the main thread has to begin unwinding after a signal before the lifeline's thread
undoes the stage's work itself and ends the process."""

_state = threading.RLock()  # an RLock: the signal handler runs in a thread that may hold it
_stopping = None   # the KeyboardInterrupt the stage stops with, once it stops
_orphaned = None   # the Orphaned that the next SIGTERM raises
_hard_stopping = False
_undo = []


@contextlib.contextmanager
def on_hard_stop(undo):
    """Inside this block, should the process end without unwinding (a signal the main thread
    did not answer in ``GRACE`` seconds), call ``undo(interrupt)`` first, from another thread:
    what the block's own ``except`` would undo (remove its outputs, end its run KILLED). The
    main thread may be doing the same at that moment: ``undo`` must bear being done twice."""
    with _state:
        _undo.append(undo)
    try:
        yield
    finally:
        with _state:
            _undo.remove(undo)


def _interrupt(signum, frame):
    """The handler of SIGINT, SIGTERM and SIGHUP: raise what stops the stage, once."""
    global _stopping
    with _state:
        hard = _hard_stopping
        if not hard:
            if _stopping is not None:
                return  # stopping already: a second signal must not cut the unwinding short
            _stopping = _stop_for(signum)
            raise _stopping
    threading.Event().wait()  # too late: the lifeline's thread has undone the work and ends
    # the process; this thread must not write another output meanwhile


def stopping():
    """The KeyboardInterrupt the stage stops with once a signal arrived, else None. Code the
    signal interrupts may turn it into another exception (Keras' import reads a
    KeyboardInterrupt inside ``import optree`` as "optree is not installed"): what then
    unwinds is still the interrupt."""
    return _stopping


def _stop_for(signum):
    if signum == signal.SIGINT:
        return KeyboardInterrupt()
    return _orphaned or Interrupted(signal.Signals(signum).name)


def _orphaned_by(gone):
    """The lifeline saw ``gone`` end: stop the stage as a signal does."""
    global _orphaned
    with _state:
        if _stopping is not None:
            return  # stopping already (Ctrl-C reaches make, dvc and the stage at once)
        _orphaned = Orphaned(gone)
    signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)


def _answer(signum):
    """A signal arrived (the lifeline's thread): if the main thread has not begun to unwind
    within GRACE seconds, undo what is registered, say the line and end the process."""
    global _stopping, _hard_stopping
    deadline = time.monotonic() + GRACE
    while time.monotonic() < deadline:
        if _stopping is not None:
            return
        time.sleep(0.05)
    with _state:
        if _stopping is not None:
            return
        _stopping, _hard_stopping = _stop_for(signum), True
        undo = list(reversed(_undo))
    for step in undo:
        with contextlib.suppress(Exception):
            step(_stopping)
    os.write(2, f"{_interrupted_line(_stopping)}\n".encode())
    os._exit(exit_status(_stopping))


_saying = []  # the texts of the open blocks, outermost first
_said = []    # and of those an interrupt went through, for the line said once it unwound


@contextlib.contextmanager
def on_stop_say(text):
    """Inside this block, the line of a stage that a signal stops says ``text`` too, after
    'no outputs written' ('; its MLflow run is KILLED'): what the block does with its run."""
    _saying.append(text)
    try:
        yield
    except BaseException as err:
        if isinstance(err, KeyboardInterrupt) or _stopping is not None:
            _said.insert(0, text)
        raise
    finally:
        _saying.remove(text)


def _interrupted_line(interrupt):
    said = "".join(dict.fromkeys(_said + _saying))
    return f"error: {stop_line(interrupt)}: no outputs written{said}"


_readers = []


def reads_failures(reader):
    """Register ``reader(err)``: one line for an exception of the code a module talks to (the
    machine's doing, not a bug), or None if ``err`` is none of its failures. A decorator."""
    _readers.append(reader)
    return reader


def _environment_error(err):
    """One line for what the machine did, not the code: a file the system would not read or
    write (a full disk, a read-only folder), memory that ran out, or what a registered reader
    recognises; None for anything else, which is a bug and keeps its traceback."""
    if isinstance(err, OSError) and err.filename:
        return f"{err.filename}: {err.strerror or err}"
    if isinstance(err, MemoryError) or type(err).__name__ == "ResourceExhaustedError":
        return (f"out of memory ({first_line(err)[:200]}): lower the params that size the network or its "
                "batches (units, batch_size, window)")
    for reader in _readers:
        line = reader(err)
        if line is not None:
            return line
    return None


def run(main):
    """Run a stage's main(); a LabError becomes one line on stderr and exit status 1; Ctrl-C
    (SIGINT), SIGTERM and SIGHUP one line and the shell's status for them (130, 143, 129), and
    so does the end of a process it runs under (129; rnnlab/core/lifeline.py)."""
    global _stopping, _orphaned, _hard_stopping
    _stopping = _orphaned = None
    _hard_stopping = False
    _said.clear()
    # Ctrl-C raises KeyboardInterrupt even where SIGINT came in ignored (a process started in
    # the background by a non-interactive shell inherits SIG_IGN, and Python keeps it).
    # SIGHUP came in ignored under `nohup`: the user asked to outlive the terminal.
    signals = [signal.SIGINT, signal.SIGTERM]
    if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:
        signals.append(signal.SIGHUP)
    before = {signum: signal.signal(signum, _interrupt) for signum in signals}
    lifeline = Lifeline(_orphaned_by, _answer).start()
    try:
        main()
    except Exception as err:
        if _stopping is not None:  # the interrupt, turned into another exception on its way
            _say_stopped(_stopping)
        if isinstance(err, LabError):
            sys.exit(f"error: {err}")
        line = _environment_error(err)
        if line is None:
            raise  # a bug: its traceback
        sys.exit(f"error: {line}")
    except KeyboardInterrupt as err:
        _say_stopped(err)
    finally:
        lifeline.stop()
        for signum, handler in before.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def _say_stopped(err):
    """The stage was stopped by ``err`` (a KeyboardInterrupt): its line and status."""
    with _state:
        hard = _hard_stopping
    if hard:  # the lifeline's thread says the line and ends the process
        threading.Event().wait()
    print(_interrupted_line(err), file=sys.stderr)
    sys.exit(exit_status(err))
