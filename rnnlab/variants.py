"""The two character-model variants and where each one's files live (no TensorFlow here)."""
from dataclasses import dataclass

from rnnlab import tracking, windows
from rnnlab.errors import choice_from_argv


@dataclass(frozen=True)
class Variant:
    name: str
    split: object  # windows.split_next_step or windows.split_shifted: (inputs, targets) of a window

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

    def registered_name(self, corpus):
        """The served generator's name in the MLflow model registry: 'sixpence-many-to-one'."""
        return f"{experiment_name(corpus)}-{self.name.replace('_', '-')}"


def experiment_name(corpus):
    """The MLflow experiment of the text models trained on ``corpus`` ('data/sixpence.txt'
    -> 'sixpence', 'data/Moby Dick.txt' -> 'moby-dick')."""
    return tracking.experiment_name(corpus, "text")


VARIANTS = {
    "many_to_one": Variant("many_to_one", windows.split_next_step),  # target: the next character
    "many_to_many": Variant("many_to_many", windows.split_shifted),  # target: the window shifted by one
}


def from_argv(module):
    """The variant named on the command line of ``python -m stages.<module> <variant>``."""
    return choice_from_argv(module, VARIANTS)
