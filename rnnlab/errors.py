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


class Interrupted(KeyboardInterrupt):
    """SIGTERM (what `timeout`, schedulers and `docker stop` send), raised like Ctrl-C's
    KeyboardInterrupt so that both unwind the same way: outputs removed, MLflow run KILLED."""


def _terminate(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def _store_error(err):
    """One line for an error of the MLflow store met after the stage first reached it (it
    stopped answering, its disk filled up, mlflow.db went read-only); None for anything else."""
    names = {cls.__name__ for cls in type(err).__mro__}
    if "MlflowException" not in names and not type(err).__module__.startswith("sqlalchemy"):
        return None
    from rnnlab.tracking import database_cause, tracking_uri

    message = getattr(err, "message", None) or str(err) or type(err).__name__
    return f"MLflow store {tracking_uri()}: {database_cause(message)}"


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
        line = _store_error(err)
        if line is None:
            raise  # a bug: its traceback
        sys.exit(f"error: {line}")
    except KeyboardInterrupt as err:
        name = "SIGTERM" if isinstance(err, Interrupted) else "SIGINT"
        print(f"error: interrupted ({name}): no outputs written; its MLflow run, if any, is KILLED",
              file=sys.stderr)
        sys.exit(128 + getattr(signal, name))
