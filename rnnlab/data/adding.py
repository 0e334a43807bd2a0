"""The adding problem: a long-range task on which the lecture's "problem with RNNs" shows.

Each sequence has ``length`` steps of two inputs: a value drawn from U[0, 1] and a marker that
is 1 at exactly two steps, one in each half of the sequence, and 0 elsewhere. The target is the
sum of the two marked values (Hochreiter & Schmidhuber 1997; Arjovsky, Shah & Bengio 2016).
The first marker can lie up to ``length - 1`` steps before the output, so a network that
cannot carry information that far sees noise: the best it can do then is to predict the
mean, 1.0, whose mean squared error is the variance of the sum of two U[0, 1] values,
2 x 1/12 = 1/6 (BASELINE_MSE). A model "learned the dependency" when its error is far below it.

numpy only: the data stage and the evaluate stage import this without TensorFlow.
"""
from dataclasses import dataclass

import numpy as np

from rnnlab.core.errors import LabError
from rnnlab.core.outputs import reading

BASELINE_MSE = 1 / 6
"""The error of always predicting the mean sum 1.0: Var(u1 + u2) = 2 / 12 for u ~ U[0, 1]."""

MEAN_SUM = 1.0

FLOOR = float(np.finfo(np.float32).tiny)
"""The smallest normal float32: a gradient norm below it has underflowed (it is 0 or denormal)
in the float32 the networks train in, so a ratio against it is a lower bound."""

EXPERIMENT = "adding-problem"
"""The MLflow experiment of the comparison: a run per cell and length."""


def sequences(count, length, rng):
    """``count`` sequences of the adding problem: inputs (count, length, 2) float32, targets
    (count,) float32. One marker in each half: the first at a step in [0, length // 2), the
    second in [length // 2, length)."""
    if length < 2:
        raise ValueError(f"the adding problem needs sequences of at least 2 steps, got {length}")
    half = length // 2
    values = rng.random((count, length))
    first = rng.integers(0, half, size=count)
    second = rng.integers(half, length, size=count)
    rows = np.arange(count)
    targets = values[rows, first] + values[rows, second]  # summed in float64, then rounded
    # Written straight into the float32 array: the float64 draws and it are all that is held
    # (INPUT_COPIES), not a float64 marker array and a float64 stack of both as well.
    inputs = np.zeros((count, length, 2), dtype=np.float32)
    inputs[..., 0] = values
    del values
    inputs[rows, first, 1] = 1.0
    inputs[rows, second, 1] = 1.0
    return inputs, targets.astype(np.float32)


INPUT_COPIES = 3
"""Copies of one length's inputs (train and test, float32 (n, length, 2)) that making and
training on them hold at their peak: making them, the sets drawn so far and a set's float64
draws (as large as its float32 inputs); training, the loaded sets and the tensor Keras makes
of the training inputs. The basis of check_size."""


def check_size(length, train_size, test_size):
    """LabError, before anything is allocated, if the sequences of one length would need more
    than half of this machine's memory to make and train on, naming the params that size
    them: ``adding_data.lengths`` (this ``length``) x ``adding_data.train_size``."""
    from rnnlab.data.limits import physical_memory

    steps = (train_size + test_size) * length
    need = steps * 2 * 4 * INPUT_COPIES  # (input value, marker) in float32
    have = physical_memory()
    if have is None:  # no limit known
        return
    if need > have // 2:
        raise LabError(f"params.yaml: 'adding_data.lengths' item {length} x "
                       f"'adding_data.train_size' {train_size:,} (+ test_size {test_size:,}) "
                       f"sequences make {steps:,} steps, which need ~{need / 2**30:,.1f} GiB to "
                       f"make and train on, more than half of this machine's "
                       f"{have / 2**30:,.1f} GiB: lower either")


def data_sets(length, train_size, test_size, seed):
    """The training and test sets for one length, from one seeded generator: the same params
    give the same sequences, and the test set is drawn after the training set, independently."""
    rng = np.random.default_rng([seed, length])
    return sequences(train_size, length, rng), sequences(test_size, length, rng)


def mse(predictions, targets):
    errors = np.asarray(predictions, dtype=np.float64).reshape(-1) - np.asarray(targets, np.float64)
    return float(np.mean(errors ** 2))


def gradient_ratio(norms, floor):
    """g(1) / g(T - 1): how much weaker the gradient reaching the first input is than the one
    reaching the last but one. ``norms[k - 1]`` is g(k), the mean norm of d(loss)/d(x) at ``k``
    steps before the output; a norm below ``floor`` (float32 underflow) counts as ``floor``,
    so the ratio is then a lower bound."""
    norms = np.maximum(np.asarray(norms, dtype=np.float64), floor)
    return float(norms[0] / norms[-1])


# ---- the networks compared ----

CELLS = ("simple_rnn", "gru", "lstm")
"""The recurrent layers compared (adding_train.cells): the lecture's SimpleRNN, and the two
gated answers to its problem."""


@dataclass(frozen=True)
class Model:
    """One network of the comparison: a cell trained on sequences of one length."""
    cell: str
    length: int

    @property
    def name(self):
        return f"{self.cell}_{self.length}"  # its MLflow run and logged model

    @property
    def stage(self):
        return f"adding_train@{self.cell}-{self.length}"  # DVC's name for the matrix item


def load(path):
    """(train inputs, train targets), (test inputs, test targets) of one length's file."""
    with reading(path), np.load(path) as f:
        return ((f["train_inputs"], f["train_targets"]), (f["test_inputs"], f["test_targets"]))
