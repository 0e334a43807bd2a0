"""Stage adding_evaluate: which cells learned the adding problem, at which lengths (NumPy only).

For every length of adding_data.lengths and every cell of adding_train.cells: the trained
network's mse on the test sequences (run in NumPy, rnnlab/forward/inference.py), beside the trivial
baseline, the training targets' mean (about 1.0) predicted for every sequence, measured on
the same test set, with the analytic 1/6 next to it. A ratio to the baseline near 1 means the
network learned nothing of the dependency; far below 1, that it did. Beside them, the epochs
the budget used and how far back the gradient reached before and after training
(g(1)/g(T-1), from the training stage's measurement).

Reads the folders dvc.yaml's cmd names (--data, --models, --plots, --runs), each file in
them by the name adding_data and adding_train give it (``data_file``, ``network_files``).
Outputs, at the paths the cmd names: the metrics (--metrics: {"T<length>": {"baseline":
{...}, <cell>: {...}}}) and the figure (--figure); each network's scores are also logged into
its training run.
"""
import os

import numpy as np

from rnnlab import params
from rnnlab.charts import adding_figure, figures
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, write_json
from rnnlab.data import adding
from rnnlab.forward import inference
from rnnlab.tracking import notes, runs

STAGE = "adding_evaluate"


def arguments():
    parser = Arguments(STAGE)
    parser.path("data", "adding_data's folder: <length>.npz for every length")
    parser.path("models", "adding_train's folder of models: <cell>_<length>.keras")
    parser.path("plots", "adding_train's folder of plots: <cell>_<length>_{history,gradients}.csv")
    parser.path("runs", "adding_train's folder of MLflow runs: <cell>_<length>.json")
    parser.path("metrics", "the metrics written (JSON)")
    parser.path("figure", "the figure written (PNG)")
    return parser.parse_args()


# The names adding_data@<length> and adding_train@<cell>-<length> give their outs in dvc.yaml
# (data/adding/${item}.npz, models/adding/${item.cell}_${item.length}.keras, ...), inside the
# folders this stage is passed: the one place the code knows them, since it reads every
# length and cell at once.

def data_file(args, length):
    """The sequences of ``length``."""
    return os.path.join(args.data, f"{length}.npz")


def network_files(args, cell, length):
    """{model, history, gradients, run} of ``cell`` trained at ``length``."""
    name = f"{cell}_{length}"
    return {"model": os.path.join(args.models, f"{name}.keras"),
            "history": os.path.join(args.plots, f"{name}_history.csv"),
            "gradients": os.path.join(args.plots, f"{name}_gradients.csv"),
            "run": os.path.join(args.runs, f"{name}.json")}


def main():
    args = arguments()
    p = params.load(STAGE, "adding_data.lengths", "adding_train.cells")
    lengths, cells = p["adding_data.lengths"], p["adding_train.cells"]
    metrics, curves, files = {}, {}, {}
    for length in lengths:
        (_, train_targets), (test_inputs, test_targets) = adding.load(data_file(args, length))
        mean = float(np.mean(train_targets))
        scores = {"baseline": {"mse": adding.mse(np.full_like(test_targets, mean), test_targets),
                               "mse_analytic": adding.BASELINE_MSE, "prediction": mean}}
        for cell in cells:
            m = adding.Model(cell, length)
            files[m] = network_files(args, cell, length)
            model = inference.load_model(files[m]["model"])
            mse = adding.mse(model(test_inputs)[:, 0], test_targets)
            grads = figures.read_history(files[m]["gradients"])
            curves[m] = grads
            scores[cell] = {
                "mse": mse, "baseline_ratio": mse / scores["baseline"]["mse"],
                "epochs": len(figures.read_history(files[m]["history"])["loss"]),
                "gradient_ratio_untrained": adding.gradient_ratio(grads["untrained"], adding.FLOOR),
                "gradient_ratio": adding.gradient_ratio(grads["trained"], adding.FLOOR)}
        metrics[f"T{length}"] = scores

    with all_or_nothing(args.metrics, args.figure):
        write_json(args.metrics, metrics)
        adding_figure.draw(args.figure, metrics, curves, max(lengths))
        for m in curves:
            scores = metrics[f"T{m.length}"]
            with runs.same_run(files[m]["run"], STAGE) as active:
                runs.log_evaluation(
                    active, files[m]["run"],
                    {"eval_test_mse": scores[m.cell]["mse"],
                     "eval_test_baseline_ratio": scores[m.cell]["baseline_ratio"]},
                    baselines={"eval_test_mse_baseline": scores["baseline"]["mse"]},
                    figure=(args.figure, "figures/evaluation.png"),
                    result=notes.adding_result(m.cell, m.length, scores[m.cell],
                                               scores["baseline"]["mse"]),
                    meaning=notes.ADDING_METRICS)
    for length in lengths:
        scores = metrics[f"T{length}"]
        print(f"{STAGE}: T={length}: baseline mse {scores['baseline']['mse']:.4f}; " + ", ".join(
            f"{cell} {scores[cell]['mse']:.4f} ({scores[cell]['baseline_ratio']:.2f}x)"
            for cell in cells))


if __name__ == "__main__":
    run(main)
