"""One-line errors for bad input and interrupts, and the wrapper every stage's ``main`` runs in.

This module imports nothing of the lab, so that every other module may import it. What a
failure of someone else's code means to a user (MLflow's store stopped answering, its
database went read-only) is said by the module that talks to that code: it registers a
reader with ``reads_failures`` (rnnlab/store.py does, for the MLflow store).
"""
import signal
import sys


class LabError(Exception):
    """Bad input a user can fix: wrong params, a missing corpus, an unknown character."""


def first_line(err, default=None):
    """The first line of an exception's message; ``default`` (else its type's name) if empty."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else (type(err).__name__ if default is None else default)


class Interrupted(KeyboardInterrupt):
    """SIGTERM (what `timeout`, schedulers and `docker stop` send), raised like Ctrl-C's
    KeyboardInterrupt so that both unwind the same way: outputs removed, MLflow run KILLED."""


def signal_name(interrupt):
    """'SIGTERM' or 'SIGINT': which signal a KeyboardInterrupt stands for."""
    return "SIGTERM" if isinstance(interrupt, Interrupted) else "SIGINT"


def _terminate(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


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
    (SIGINT) and SIGTERM one line and the shell's status for them (130, 143)."""
    signal.signal(signal.SIGTERM, _terminate)
    # Ctrl-C raises KeyboardInterrupt even where SIGINT came in ignored (a process started in
    # the background by a non-interactive shell inherits SIG_IGN, and Python keeps it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        main()
    except LabError as err:
        sys.exit(f"error: {err}")
    except Exception as err:
        line = _environment_error(err)
        if line is None:
            raise  # a bug: its traceback
        sys.exit(f"error: {line}")
    except KeyboardInterrupt as err:
        name = signal_name(err)
        print(f"error: interrupted ({name}): no outputs written; its MLflow run, if any, is KILLED",
              file=sys.stderr)
        sys.exit(128 + getattr(signal, name))
