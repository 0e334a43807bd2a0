"""Stage adding_data@<length>: the adding problem's sequences of one length (numpy only).

Each sequence has <length> steps of (a value from U[0, 1], a marker); the markers pick one
step in each half, and the target is the sum of the two values they mark (rnnlab/data/adding.py).
Params: adding_data (train_size, test_size, seed); the lengths list only names the stages,
so adding a length makes the sequences of that length and reruns nothing else. Sequences that
would need more than half of the machine's memory (a length x train_size too large) are
refused before any is drawn, in one line naming those params (adding.check_size).

Output, at the path dvc.yaml's cmd names (--data): the sequences of one length as .npz
(train_inputs (n, length, 2), train_targets (n,), test_inputs, test_targets).
"""
import numpy as np

from rnnlab import params
from rnnlab.core.arguments import Arguments, integer
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing
from rnnlab.data import adding


def arguments():
    parser = Arguments("adding_data")
    parser.add_argument("length", type=integer(2), help="the sequence length: an item of "
                                                        "params.yaml's adding_data.lengths")
    parser.path("data", "the sequences written (.npz)")
    return parser.parse_args()


def main():
    args = arguments()
    length = args.length
    stage = f"adding_data@{length}"
    keys = ("adding_data.train_size", "adding_data.test_size", "adding_data.seed")
    train_size, test_size, seed = params.load(stage, *keys).values()
    adding.check_size(length, train_size, test_size)  # one line naming the params, not MemoryError
    (inputs, targets), (test_inputs, test_targets) = adding.data_sets(length, train_size,
                                                                      test_size, seed)
    with all_or_nothing(args.data):
        with open(args.data, "wb") as f:
            np.savez(f, train_inputs=inputs, train_targets=targets, test_inputs=test_inputs,
                     test_targets=test_targets)
    print(f"{stage}: {train_size} training and {test_size} test sequences of {length} steps; "
          f"predicting the mean sum scores mse {adding.mse(np.ones_like(test_targets), test_targets):.4f} "
          f"on the test set (1/6 = {adding.BASELINE_MSE:.4f})")


if __name__ == "__main__":
    run(main)
