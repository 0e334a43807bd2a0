"""One-line errors for bad input, and the wrapper every stage's ``main`` runs in."""
import sys


class LabError(Exception):
    """Bad input a user can fix: wrong params, a missing corpus, an unknown character."""


def choice_from_argv(module, choices):
    """``choices[name]`` for the one argument of ``python -m stages.<module> <name>``."""
    if len(sys.argv) != 2 or sys.argv[1] not in choices:
        raise LabError(f"usage: python -m stages.{module} {{{'|'.join(choices)}}}")
    return choices[sys.argv[1]]


def run(main):
    """Run a stage's main(); a LabError becomes one line on stderr and exit status 1."""
    try:
        main()
    except LabError as err:
        sys.exit(f"error: {err}")
