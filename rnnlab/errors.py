"""One-line errors for bad input and interrupts, and the wrapper every stage's ``main`` runs in."""
import signal
import sys


class LabError(Exception):
    """Bad input a user can fix: wrong params, a missing corpus, an unknown character."""


def choice_from_argv(module, choices):
    """``choices[name]`` for the one argument of ``python -m stages.<module> <name>``."""
    if len(sys.argv) != 2 or sys.argv[1] not in choices:
        raise LabError(f"usage: python -m stages.{module} {{{'|'.join(choices)}}}")
    return choices[sys.argv[1]]


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


STORE_FAILURES = ("API request to", "(sqlite3.", "(psycopg", "(pymysql.", "(MySQLdb.",
                  "Max retries exceeded", "database is locked")
"""What MLflow's errors say when the store failed (not when MLflow refused a call: a bug)."""


def _environment_error(err):
    """One line for what the machine did, not the code: an error of the MLflow store met
    after the stage first reached it (it stopped answering, its disk filled up, mlflow.db went
    read-only), or a file the system would not read or write (a full disk, a read-only folder);
    None for anything else, which is a bug and keeps its traceback."""
    if isinstance(err, OSError) and err.filename:
        return f"{err.filename}: {err.strerror or err}"
    if isinstance(err, MemoryError) or type(err).__name__ == "ResourceExhaustedError":
        return (f"out of memory ({first_line(err)[:200]}): lower the params that size the network or its "
                "batches (units, batch_size, window)")
    from_mlflow = any(cls.__name__ == "MlflowException" for cls in type(err).__mro__)
    message = str(getattr(err, "message", None) or err)
    if type(err).__module__.startswith("sqlalchemy") or (
            from_mlflow and any(sign in message for sign in STORE_FAILURES)):
        from rnnlab.tracking import database_cause, tracking_uri

        return f"MLflow store {tracking_uri()}: {database_cause(message)}"
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
