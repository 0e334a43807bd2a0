"""The figures of the series examples (series_evaluate draws them; matplotlib, headless):
the sine keeps the lecture's, the stock prices get the panels that show whether a network beats
a random walk."""
import numpy as np

from rnnlab.charts.figures import figure, save


def sine_figure(path, time, values, bounds, scored, forecasts, horizon, history, labels, meta,
                lags, title):
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


def stock_figure(path, time, values, bounds, scored, forecasts, horizon, history, labels, meta,
                 lags, title):
    """Eight panels: the whole series and its parts; the test part with the network and
    persistence; a few weeks of it, where a lagged copy shows; predicted against actual daily
    change (does it predict moves at all?); the correlation with the series at lags -3..+3 (a
    peak at +1 is yesterday's value); the fed-back forecast; the loss per epoch; the errors on
    the test part (centred on zero, or biased?)."""
    dates = np.array(time, dtype="datetime64[D]")
    target = meta["columns"][0]
    fig, axes = figure(4, 2, figsize=(13, 16))
    (whole, test_ax), (zoom, scatter), (lag_ax, fed), (loss, errors) = axes
    fig.suptitle("\n".join(_wrap(line, 120) for line in title.splitlines()), fontsize="large")

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
    # No correlation where either change never varies (a flat stretch): shown as 0
    corr = np.corrcoef(actual, predicted)[0, 1] if min(np.std(predicted), np.std(actual)) > 0 else 0.0
    scatter.set(title=f"Daily change on the test part, predicted vs actual (r = {corr:.2f})",
                xlabel="actual change", ylabel=f"{labels['model']}'s predicted change")
    scatter.legend(fontsize="small")

    for (name, by_lag), style in zip(lags["lag_corr"].items(), ("go-", "bs:", "c^-.", "mv--")):
        shown = sorted(by_lag, key=int)
        lag_ax.plot([int(k) for k in shown], [by_lag[k] for k in shown], style, label=labels[name])
    lag_ax.axvline(0, color="grey", linewidth=0.8)
    lag_ax.set(title="Lagged copy? corr(prediction today, actual k days earlier)",
               xlabel="k (days; +1: yesterday's value)", ylabel="correlation")
    if lags["lag_corr"]:
        lag_ax.legend(fontsize="small")
    else:  # the targets (or every prediction) never vary: no correlation at any lag
        lag_ax.text(0.5, 0.5, "no correlation to show: the prices (or predictions) do not vary",
                    transform=lag_ax.transAxes, ha="center")

    for name, colour in (("persistence", "b"), ("model", "g")):
        err = guesses[name] - y
        errors.hist(err, bins=60, alpha=0.5, color=colour,
                    label=f"{labels[name]}: mean {err.mean():+.3g}")
    errors.axvline(0, color="k", linewidth=0.8)
    errors.set(title="Errors on the test part (prediction - actual): centred on 0?",
               xlabel=f"error ({target})", ylabel="days")
    errors.legend(fontsize="small")

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


def walkforward_figure(path, rows, pooled, labels, note=None):
    """Theil's U of each predictor at each walk-forward fold (below 1 beats the random walk),
    the pooled one in the legend. A fold where persistence makes no error has no Theil's U
    (None in ``rows``): no bars there, and its tick says so. ``note``: why fewer folds than
    asked, under the title."""
    names = [key.removeprefix("theil_u_") for key in rows[0] if key.startswith("theil_u_")]
    names = [n for n in names if n != "persistence"]
    fig, ax = figure(1, 1, figsize=(9, 4.5))
    width = 0.8 / len(names)
    folds = np.arange(len(rows))
    for i, name in enumerate(names):
        heights = [np.nan if r[f"theil_u_{name}"] is None else r[f"theil_u_{name}"] - 1
                   for r in rows]
        u = pooled.get("theil_u", {}).get(name)
        ax.bar(folds + (i - (len(names) - 1) / 2) * width, heights, width, bottom=1.0,
               label=f"{labels[name]} (pooled {'–' if u is None else f'{u:.4f}'})")
    ax.axhline(1.0, color="k", linewidth=1, label="persistence (the random walk) = 1")
    ax.set_xticks(folds, [f"fold {r['fold']}\n{r['start']}\n.. {r['stop']}"
                          + ("" if r[f"theil_u_{names[0]}"] is not None else "\n(never moved)")
                          for r in rows], fontsize="small")
    ax.set_xlim(-0.5, len(rows) - 0.5)  # every fold's place, with bars or not
    values = [r[f"theil_u_{n}"] for r in rows for n in names if r[f"theil_u_{n}"] is not None]
    spread = max((abs(v - 1) for v in values), default=0.0) or 0.01
    ax.set_ylim(1 - 1.6 * spread, 1 + 1.6 * spread)
    title = "Walk-forward: Theil's U at each origin (below 1 beats the random walk)"
    ax.set(title=title + (f"\n{_wrap(note, 90)}" if note else ""),
           ylabel="Theil's U (rmse / persistence's)")
    ax.grid(True, axis="y")
    ax.legend(fontsize="small")
    save(fig, path)


def equity_figure(path, time, equity, report, verdict):
    """The equity curves of the long/flat rule (after and before costs) and of buy-and-hold,
    from 1, with the verdict under the title."""
    dates = np.array(time, dtype="datetime64[D]")
    fig, ax = figure(1, 1, figsize=(10, 5))
    cost = report["cost_bps"]
    for name, style, label in (("buy_and_hold", "k-", "buy and hold"),
                               ("strategy", "g-", f"long/flat on the model, {cost:g} bp per trade"),
                               ("strategy_before_costs", "g:", "long/flat, before costs")):
        ax.plot(dates, equity[name], style, linewidth=1, label=label)
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set(title=f"Could one trade on it? (not financial advice)\n{_wrap(verdict, 110)}",
           ylabel="equity (starts at 1)")
    ax.grid(True)
    ax.legend(fontsize="small")
    ax.tick_params(axis="x", labelrotation=30)
    save(fig, path)


def _wrap(text, width):
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


FIGURES = {"sine": sine_figure, "stock": stock_figure}
"""The figure of each series (series_evaluate draws it)."""
