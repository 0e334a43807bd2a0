"""One-line errors for bad input, and the wrapper every stage's ``main`` runs in."""
import sys


class LabError(Exception):
    """Bad input a user can fix: wrong params, a missing corpus, an unknown character."""


def run(main):
    """Run a stage's main(); a LabError becomes one line on stderr and exit status 1."""
    try:
        main()
    except LabError as err:
        sys.exit(f"error: {err}")
