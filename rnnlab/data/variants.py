"""The character models ("variants") and where each one's files live (no TensorFlow here).

A variant is a section of params.yaml, ``text_train.<name>``, and nothing else: dvc.yaml runs
text_train, text_evaluate and text_generate for every section (``foreach: ${text_train}``),
and its ``kind`` says which network it is:
  many_to_one   the character after each window (the lecture): windows split by
                ``windows.split_next_step``;
  many_to_many  the next character at every step of the window: ``windows.split_shifted``,
                and scored at every step as well (``sequence_*``).

Paths: dvc.yaml must write every file of a stage (DVC reads nothing else), and the code reads
them from ``Variant`` below (and from ``Series`` in rnnlab/data/series.py, ``vocab.VOCAB``,
``ngram.UNIGRAM``, ...), nowhere else. tests/test_pipeline.py runs the whole pipeline and
checks, for every stage, that the files it reads are among the deps dvc.yaml declares for it
(parsed with DVC's API) and that it writes exactly the outs declared, so the two cannot drift.
"""
import sys
from dataclasses import dataclass

from rnnlab.core.errors import LabError
from rnnlab.data import windows

SPLITS = {"many_to_one": windows.split_next_step,   # target: the next character
          "many_to_many": windows.split_shifted}     # target: the window shifted by one
"""(inputs, targets) of a window of ``window + 1`` ids, for each kind of model."""

FORMULATIONS = {"many_to_one": "many-to-one: the next character after the window",
                "many_to_many": "many-to-many: the next character at every step"}
"""What each kind makes of the text, in a few words (its run's tag ``lab.formulation``)."""


@dataclass(frozen=True)
class Variant:
    name: str  # the section text_train.<name>, and the item of the text stages in dvc.yaml

    @property
    def model(self):
        return f"models/text_{self.name}.keras"

    @property
    def history(self):
        return f"plots/text_{self.name}_history.csv"

    @property
    def run(self):
        return f"runs/text_{self.name}.json"

    @property
    def metrics(self):
        return f"metrics/text_{self.name}.json"

    @property
    def figure(self):
        return f"reports/figures/text_{self.name}.png"

    @property
    def samples(self):
        return f"reports/samples/{self.name}.txt"


def defined(names):
    """{name: Variant} of the text_train sections ``names`` (rnnlab/params.py: variants()), in
    their order."""
    return {name: Variant(name) for name in names}


def from_argv(module, names):
    """The variant named on the command line of ``python -m stages.<module> <variant>``, one of
    ``names`` (the text_train sections)."""
    names = list(names)
    if len(sys.argv) != 2 or sys.argv[1] not in names:
        raise LabError(f"usage: python -m stages.{module} {{{'|'.join(names)}}}")
    return Variant(sys.argv[1])
