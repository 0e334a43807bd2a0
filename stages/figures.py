"""Matplotlib figures for reports/ (headless)."""
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from stages.forecast import LABELS  # noqa: E402


def read_history(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {key: [float(r[key]) for r in rows] for key in rows[0]} if rows else {}


def sine_figure(path, target, before, after, loss, seen, future, forecasts):
    """The lecture's figure (targets and predictions before/after training, then the loss),
    and the forecast of the held-out future: ``seen`` and ``future`` are (t, values) of the
    training series and of the held-out samples, ``forecasts`` {predictor: values}."""
    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(8, 10), constrained_layout=True)
    top.plot(target, "ro-", label="targets")
    top.plot(before, "bs-", label="before training")
    top.plot(after, "gx-", label="after training")
    top.set(title="Next-sample prediction on the training windows", xlabel="window", ylabel="s[n]")
    top.grid(True)
    top.legend()
    middle.plot(range(1, len(loss) + 1), loss)
    middle.set(title="loss (mse)", xlabel="epoch")
    middle.grid(True)
    bottom.plot(*seen, "k.-", label="training series")
    bottom.plot(*future, "ro", label="held-out samples")
    for (name, values), style in zip(forecasts.items(), ("g-", "b:", "m--")):
        bottom.plot(future[0], values, style, label=f"{LABELS[name]} forecast")
    bottom.axvline(future[0][0], color="grey", linewidth=0.8)
    bottom.set(title="Forecast of the held-out future, predictions fed back", xlabel="t (s)",
               ylabel="s[n]")
    bottom.grid(True)
    bottom.legend(fontsize="small")
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def history_figure(path, history, title):
    """Loss and accuracy per epoch, side by side; on held-out text too where there is some."""
    keys = [k for k in ("loss", "accuracy") if k in history]
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.5), constrained_layout=True)
    for ax, key in zip(list(getattr(axes, "flat", [axes])), keys):
        ax.plot(history["epoch"], history[key], label="training text")
        if f"val_{key}" in history:
            ax.plot(history["epoch"], history[f"val_{key}"], label="held-out text")
            ax.legend()
        ax.set(title=f"{title}: {key}", xlabel="epoch")
        ax.grid(True)
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
