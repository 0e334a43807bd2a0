"""A stage's command line: the item it runs for and the files it reads and writes.

dvc.yaml is the one map of the files: a stage's ``cmd`` names every file the stage reads or
writes, each as a named option (``--vocab data/text/vocab.json``), the same paths its deps
and outs declare, and the code takes them from there as parameters. What names the stage, a
text variant, a cell or a length, is a positional argument before them, as DVC's ``foreach``
and ``matrix`` fill it in. argparse parses them; a command line it refuses is one LabError
line (exit 1, as every error of a stage) saying what is wrong and the usage.
"""
import argparse

from rnnlab.core.errors import LabError


class Arguments(argparse.ArgumentParser):
    """The command line of ``python -m stages.<stage>``."""

    def __init__(self, stage, description=None):
        super().__init__(prog=f"python -m stages.{stage}", description=description)

    def path(self, name, help):
        """A required ``--name PATH``: a file (or folder) of the stage's deps or outs."""
        self.add_argument(f"--{name}", required=True, metavar="PATH", help=help)

    def choice(self, name, choices, help):
        """A positional argument, one of ``choices``, shown as ``{a|b}``."""
        choices = list(choices)
        self.add_argument(name, choices=choices, metavar="{" + "|".join(choices) + "}", help=help)

    def error(self, message):
        usage = " ".join(self.format_usage().split())
        raise LabError(f"{message} ({usage})")


def integer(minimum):
    """An argparse ``type``: an integer of at least ``minimum``, written in digits."""
    def parse(text):
        if not (text.isascii() and text.isdigit()) or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
        return int(text)
    return parse
