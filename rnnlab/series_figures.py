"""The figures of the series examples (series_evaluate draws them; matplotlib, headless):
the sine keeps the lecture's, the stock prices get the panels that show whether a network beats
a random walk."""
import numpy as np

from rnnlab.figures import figure, save


def sine_figure(path, time, values, bounds, scored, forecasts, horizon, history, labels, meta):
    """The lecture's figure (targets and predictions before/after training, then the loss),
    and the forecast of the held-out future (the test part), predictions fed back."""
    fig, (top, middle, bottom) = figure(3, 1, figsize=(8, 10))
    _, target, on_train = scored["train"]
    top.plot(target, "ro-", label="targets")
    top.plot(on_train["untrained"], "bs-", label="before training")
    top.plot(on_train["model"], "gx-", label="after training")
    top.set(title="Next-sample prediction on the training windows", xlabel="window", ylabel="s[n]")
    top.grid(True)
    top.legend()
    loss = history["loss"]
    middle.plot(range(1, len(loss) + 1), loss)
    middle.set(title="loss (mse)", xlabel="epoch")
    middle.grid(True)
    train_stop = bounds["train"][1]
    test_start = bounds["test"][0]
    future = time[test_start:test_start + horizon]
    bottom.plot(time[:train_stop], values[:train_stop], "k.-", label="training series")
    bottom.plot(future, values[test_start:test_start + horizon], "ro", label="held-out samples")
    for (name, predicted), style in zip(forecasts.items(), ("g-", "b:", "c-.", "m--")):
        bottom.plot(future, predicted, style, label=f"{labels[name]} forecast")
    bottom.axvline(future[0], color="grey", linewidth=0.8)
    bottom.set(title="Forecast of the held-out future, predictions fed back", xlabel="t (s)",
               ylabel="s[n]")
    bottom.grid(True)
    bottom.legend(fontsize="small")
    save(fig, path)


def stock_figure(path, time, values, bounds, scored, forecasts, horizon, history, labels, meta):
    """Six panels: the whole series and its parts; the test part with the network and
    persistence; a few weeks of it, where a lagged copy shows; predicted against actual daily
    change (does it predict moves at all?); the fed-back forecast; the loss per epoch."""
    dates = np.array(time, dtype="datetime64[D]")
    target = meta["columns"][0]
    fig, axes = figure(3, 2, figsize=(13, 12))
    (whole, test_ax), (zoom, scatter), (fed, loss) = axes

    for (name, (lo, hi)), colour in zip(bounds.items(), ("k", "tab:orange", "tab:red")):
        if hi > lo:
            whole.plot(dates[lo:hi], values[lo:hi], color=colour, linewidth=0.8, label=name)
    train_max = values[slice(*bounds["train"])].max()
    whole.axhline(train_max, color="grey", linestyle=":", linewidth=0.8,
                  label=f"training maximum {train_max:.4g}")
    whole.set(title=f"{meta['source']}: {target}, parts in time", ylabel=target)
    whole.legend(fontsize="small")

    raw, y, guesses = scored["test"]
    lo, hi = bounds["test"]
    for ax, window_slice, title in ((test_ax, slice(None), "test part"),
                                    (zoom, slice(-30, None), "the last 30 days of the test part")):
        ax.plot(dates[lo:hi][window_slice], y[window_slice], "k.-" if title.startswith("the last") else "k-",
                label="actual", linewidth=1)
        ax.plot(dates[lo:hi][window_slice], guesses["model"][window_slice], "g-",
                label=labels["model"], linewidth=1)
        ax.plot(dates[lo:hi][window_slice], guesses["persistence"][window_slice], "b:",
                label="persistence (yesterday's value)", linewidth=1)
        ax.set(title=f"Next-day prediction, {title}", ylabel=target)
        ax.legend(fontsize="small")

    last = raw[:, -1, 0]
    actual, predicted = y - last, guesses["model"] - last
    scatter.scatter(actual, predicted, s=4, alpha=0.5, color="g")
    reach = max(np.abs(actual).max(), np.abs(predicted).max())
    scatter.plot([-reach, reach], [-reach, reach], "k:", linewidth=0.8, label="perfect")
    corr = np.corrcoef(actual, predicted)[0, 1] if np.std(predicted) > 0 else 0.0
    scatter.set(title=f"Daily change on the test part, predicted vs actual (r = {corr:.2f})",
                xlabel="actual change", ylabel=f"{labels['model']}'s predicted change")
    scatter.legend(fontsize="small")

    first = max(0, lo - 3 * horizon)  # some context before the forecast
    fed.plot(dates[first:lo + horizon], values[first:lo + horizon], "k.-",
             label="actual", linewidth=1)
    for (name, predicted_values), style in zip(forecasts.items(), ("g-", "b:", "c-.", "m--")):
        fed.plot(dates[lo:lo + horizon], predicted_values, style, label=f"{labels[name]}")
    fed.axvline(dates[lo], color="grey", linewidth=0.8)
    fed.set(title=f"{horizon} days forecast from the start of the test part, predictions fed back",
            ylabel=target)
    fed.legend(fontsize="small")

    epochs = history["epoch"]
    loss.plot(epochs, history["loss"], label="training part")
    if "val_loss" in history:
        loss.plot(epochs, history["val_loss"], label="val part")
    loss.set(title="loss (mse, scaled units) per epoch", xlabel="epoch", yscale="log")
    loss.legend(fontsize="small")
    for ax in axes.flat:
        ax.grid(True)
    for ax in (whole, test_ax, zoom, fed):
        ax.tick_params(axis="x", labelrotation=30)
    save(fig, path)


FIGURES = {"sine": sine_figure, "stock": stock_figure}
"""The figure of each series (series_evaluate draws it)."""
