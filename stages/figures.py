"""Matplotlib figures for reports/ (headless)."""
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_history(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {key: [float(r[key]) for r in rows] for key in rows[0]} if rows else {}


def sine_figure(path, target, before, after, loss):
    """The lecture's figure: targets and predictions before/after training, then the loss."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), constrained_layout=True)
    top.plot(target, "ro-", label="targets")
    top.plot(before, "bs-", label="before training")
    top.plot(after, "gx-", label="after training")
    top.set(title="Next-sample prediction", xlabel="window", ylabel="s[n]")
    top.grid(True)
    top.legend()
    bottom.plot(range(1, len(loss) + 1), loss)
    bottom.set(title="loss (mse)", xlabel="epoch")
    bottom.grid(True)
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def history_figure(path, history, title):
    """Loss and accuracy per epoch, side by side."""
    keys = [k for k in ("loss", "accuracy") if k in history]
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.5), constrained_layout=True)
    for ax, key in zip(list(getattr(axes, "flat", [axes])), keys):
        ax.plot(history["epoch"], history[key])
        ax.set(title=f"{title}: {key}", xlabel="epoch")
        ax.grid(True)
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
