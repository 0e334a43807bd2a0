"""Stage adding_evaluate: which cells learned the adding problem, at which lengths (NumPy only).

For every length of adding_data.lengths and every cell of adding_train.cells: the trained
network's mse on the test sequences (run in NumPy, rnnlab/forward/inference.py), beside the trivial
baseline, the training targets' mean (about 1.0) predicted for every sequence, measured on
the same test set, with the analytic 1/6 next to it. A ratio to the baseline near 1 means the
network learned nothing of the dependency; far below 1, that it did. Beside them, the epochs
the budget used and how far back the gradient reached before and after training
(g(1)/g(T-1), from the training stage's measurement).

Outputs: metrics/adding.json ({"T<length>": {"baseline": {...}, <cell>: {...}}}) and
reports/figures/adding.png; each network's scores are also logged into its training run.
"""
import numpy as np

from rnnlab import params
from rnnlab.charts import adding_figure, figures
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, write_json
from rnnlab.data import adding
from rnnlab.forward import inference
from rnnlab.tracking import notes, runs

STAGE = "adding_evaluate"


def main():
    p = params.load(STAGE, "adding_data.lengths", "adding_train.cells")
    lengths, cells = p["adding_data.lengths"], p["adding_train.cells"]
    metrics, curves = {}, {}
    for length in lengths:
        (_, train_targets), (test_inputs, test_targets) = adding.load(length)
        mean = float(np.mean(train_targets))
        scores = {"baseline": {"mse": adding.mse(np.full_like(test_targets, mean), test_targets),
                               "mse_analytic": adding.BASELINE_MSE, "prediction": mean}}
        for cell in cells:
            m = adding.Model(cell, length)
            model = inference.load_model(m.model)
            mse = adding.mse(model(test_inputs)[:, 0], test_targets)
            grads = figures.read_history(m.gradients)
            curves[m] = grads
            scores[cell] = {
                "mse": mse, "baseline_ratio": mse / scores["baseline"]["mse"],
                "epochs": len(figures.read_history(m.history)["loss"]),
                "gradient_ratio_untrained": adding.gradient_ratio(grads["untrained"], adding.FLOOR),
                "gradient_ratio": adding.gradient_ratio(grads["trained"], adding.FLOOR)}
        metrics[f"T{length}"] = scores

    with all_or_nothing(adding.METRICS, adding.FIGURE):
        write_json(adding.METRICS, metrics)
        adding_figure.draw(adding.FIGURE, metrics, curves, max(lengths))
        for m in curves:
            scores = metrics[f"T{m.length}"]
            with runs.same_run(m.run, STAGE) as active:
                runs.log_evaluation(
                    active, m.run,
                    {"eval_test_mse": scores[m.cell]["mse"],
                     "eval_test_baseline_ratio": scores[m.cell]["baseline_ratio"]},
                    baselines={"eval_test_mse_baseline": scores["baseline"]["mse"]},
                    figure=(adding.FIGURE, "figures/evaluation.png"),
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
