"""The two character-model variants and where each one's files live (no TensorFlow here)."""
import sys
from dataclasses import dataclass

from stages import windows
from stages.errors import LabError


@dataclass(frozen=True)
class Variant:
    name: str
    windows: object  # windows.next_step or windows.shifted

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

    @property
    def registered_name(self):
        """The served generator's name in the MLflow model registry."""
        return "sixpence-" + self.name.replace("_", "-")


VARIANTS = {
    "many_to_one": Variant("many_to_one", windows.next_step),    # target: the next character
    "many_to_many": Variant("many_to_many", windows.shifted),    # target: the window shifted by one
}


def from_argv(module):
    """The variant named on the command line of ``python -m stages.<module> <variant>``."""
    if len(sys.argv) != 2 or sys.argv[1] not in VARIANTS:
        raise LabError(f"usage: python -m stages.{module} {{{'|'.join(VARIANTS)}}}")
    return VARIANTS[sys.argv[1]]
