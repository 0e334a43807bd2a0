"""The adding problem's figure: which cells learned it, and how far back their gradients reach."""
import numpy as np

from rnnlab.charts import figures
from rnnlab.data import adding
from rnnlab.scores.forecast import LAYER_LABELS as LABELS

COLORS = {"simple_rnn": "tab:red", "gru": "tab:green", "lstm": "tab:blue"}


def draw(path, metrics, curves, length):
    """Left: test mse per cell and length beside the baseline (log scale). Right: g(k), the
    mean norm of d(loss)/d(x) k steps before the output, at ``length``, untrained (dashed) and
    trained (solid), with the float32 floor below which a gradient has underflowed."""
    fig, (left, right) = figures.figure(1, 2, figsize=(12, 4.2))
    lengths = [int(key[1:]) for key in metrics]
    cells = [c for c in adding.CELLS if any(m.cell == c for m in curves)]
    width = 0.8 / max(len(cells), 1)
    for i, cell in enumerate(cells):
        heights = [metrics[f"T{t}"][cell]["mse"] for t in lengths]
        left.bar(np.arange(len(lengths)) + (i - (len(cells) - 1) / 2) * width, heights, width,
                 label=LABELS[cell], color=COLORS[cell])
    left.axhline(adding.BASELINE_MSE, color="black", linestyle="--",
                 label="predict the mean (1/6)")
    left.set(yscale="log", xticks=range(len(lengths)), xticklabels=[f"T = {t}" for t in lengths],
             ylabel="test mse", title="Which cells learned the sum?")
    left.legend(fontsize="small")
    left.grid(True, axis="y", which="both", alpha=0.3)

    for m, grads in curves.items():
        if m.length != length:
            continue
        right.plot(grads["distance"], np.maximum(grads["trained"], adding.FLOOR),
                   color=COLORS[m.cell], label=f"{LABELS[m.cell]}, trained")
        right.plot(grads["distance"], np.maximum(grads["untrained"], adding.FLOOR),
                   color=COLORS[m.cell], linestyle="--", alpha=0.6,
                   label=f"{LABELS[m.cell]}, untrained")
    right.axhline(adding.FLOOR, color="gray", linestyle=":", label="float32 floor (underflow)")
    right.set(yscale="log", xlabel="steps between the input and the output (k)",
              ylabel="mean |d loss / d x|", title=f"How far back the gradient reaches, T = {length}")
    right.legend(fontsize="small", ncol=2, loc="lower center", bbox_to_anchor=(0.55, 0.08))
    right.grid(True, which="major", alpha=0.3)
    figures.save(fig, path)
