"""Matplotlib figures for reports/ (headless).

Figures are `matplotlib.figure.Figure` objects, not pyplot's: a stage draws a few figures and
exits, so pyplot's global state, backend selection and the time its import takes buy nothing
here."""
import csv

from matplotlib.figure import Figure

from rnnlab.core.outputs import reading


def read_history(path):
    with reading(path), open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
        return {key: [float(r[key]) for r in rows] for key in rows[0]} if rows else {}


def figure(rows, cols, figsize):
    """A new figure and its grid of axes (as `pyplot.subplots` would give them)."""
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(rows, cols)


def save(fig, path):
    fig.savefig(path, dpi=100, metadata={"Software": None})


def history_figure(path, history, title):
    """Loss and accuracy per epoch, side by side; on held-out text too where there is some."""
    keys = [k for k in ("loss", "accuracy") if k in history]
    fig, axes = figure(1, len(keys), figsize=(5 * len(keys), 3.5))
    for ax, key in zip(list(getattr(axes, "flat", [axes])), keys):
        ax.plot(history["epoch"], history[key], label="training text")
        if f"val_{key}" in history:
            ax.plot(history["epoch"], history[f"val_{key}"], label="held-out text")
            ax.legend()
        ax.set(title=f"{title}: {key}", xlabel="epoch")
        ax.grid(True)
    save(fig, path)
