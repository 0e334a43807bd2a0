"""Example 4: networks on daily stock prices beside the random walk. The test part's table
(every network, then persistence, drift and AR, each with its verdict), why a model of
min-max scaled prices loses by so much, the lagged copy, each model params.yaml asks it of at
several origins (walk-forward) and as a trading rule, and every score of the first model.

Each model is told apart by its fields (its ``series.<name>.target``), not by its name: the
page calls it after what it predicts (``WHO``), or by its name where two predict the same."""
from rnnlab.data import scaling
from rnnlab.report.markdown import (
    fmt,
    fmt_error,
    fmt_lag,
    pvalue,
    run_line,
    score_tables,
    table,
)
from rnnlab.scores import forecast, trading

WHO = {"log_return": "the lab's", "price": "the tutorials'", "value": "the raw prices'"}
"""What the page calls a stock model, by what it predicts (its target): the lab's predicts
log returns, the tutorials' min-max scaled prices."""
PANELS = ("the parts, the test part, a zoom, daily changes, lags, the fed-back forecast, loss, "
          "errors")


def who(models):
    """{name: what the page calls it}: ``WHO`` of its target, or 'the <name>' where another
    model predicts the same."""
    targets = [m["target"] for m in models.values()]
    return {name: WHO[m["target"]] if targets.count(m["target"]) == 1 else f"the {name}"
            for name, m in models.items()}


def missing_note(meta):
    """What the data stage did with rows that had empty cells (data/stock/meta.json)."""
    missing = meta.get("missing") or {}
    if not missing.get("rows"):
        return ""
    done = {"drop": "dropped", "ffill": "filled from the day before"}[missing["rule"]]
    return f"; {missing['rows']} rows with empty cells {done} (`stock_data.missing`)"


def side_by_side(models):
    """The test part's table: every network, then the baselines (the first model's), each with
    its verdict."""
    lab, called = next(iter(models)), who(models)
    rows = []
    for name, by in [*((name, "model") for name in models), (lab, "persistence"),
                     (lab, "drift"), (lab, "ar")]:
        m, labels = models[name]["metrics"]["test"], models[name]["labels"]
        label = f"{labels[by]}, {called[name]}" if by == "model" else labels[by]
        verdict = ("the random walk itself" if by == "persistence"
                   else forecast.verdict(m, by))
        rows.append([label, fmt_error(m["rmse"][by]), fmt(m["theil_u"][by]),
                     f"{m['bias'][by]:+.3f}", fmt(m.get("dm_pvalue", {}).get(by)),
                     fmt(m.get("direction", {}).get(by)),
                     f"{m['peak_lag'][by]:+d}" if by in m.get("peak_lag", {}) else "–",
                     fmt(m.get("change_corr", {}).get(by)), verdict])
    return table(rows, ["predictor", "rmse", "Theil's U", "bias", "DM p", "direction",
                        "peak lag", "change r", "verdict"])


def scaler_notes(models, above):
    """Why a model of min-max scaled prices (target ``price``) loses by so much, in numbers,
    when the test part's prices lie above the training part's (``above``: the training part's
    maximum and the test part's, else None), beside a model of log returns, which has no level
    to leave behind."""
    if above is None:
        return []
    train_max, test_max = above
    free = [name for name, m in models.items() if m["target"] == "log_return"]
    called, notes = who(models), []
    for name in (name for name, m in models.items() if m["target"] == "price"):
        m = models[name]["metrics"]["test"]
        note = (f"**Why {called[name]} model loses by so much**: the test prices reach "
                f"{test_max:.2f}, above anything in the training part (at most {train_max:.2f}); "
                "scaled to the training range they lie outside what the network ever saw, and "
                f"it extrapolates low: its predictions sit {abs(m['bias']['model']):.2f} below "
                f"the price on average (persistence: {m['bias']['persistence']:+.3f}). That is "
                "its scaler's failure, not the lesson.")
        if free:
            bias = models[free[0]]["metrics"]["test"]["bias"]["model"]
            note += (f" {called[free[0]].capitalize()} model predicts the next day's "
                     f"return instead, which has no level to leave behind (bias {bias:+.3f}): "
                     "it loses to the random walk for the lesson's reason, that yesterday's "
                     "price is about all a window of past prices tells.")
        notes.append(note + "\n")
    return notes


def lag_note(models):
    """The lagged copy: where each network's predictions correlate best with the price."""
    called = who(models)
    return ("**A lagged copy**: a network that learnt 'tomorrow is about today' tracks the "
            "price on a long chart and is a day late. "
            + "; ".join(f"{called[n].capitalize()} model peaks at "
                        f"{fmt_lag(m['metrics']['test'].get('peak_lag', {}).get('model'))} "
                        f"day(s), change r "
                        f"{fmt(m['metrics']['test'].get('change_corr', {}).get('model'))}"
                        for n, m in models.items())
            + " (a perfect forecaster peaks at 0 with change r 1; persistence at +1).\n")


def walkforward_section(wf, rows, epochs, labels, name="stock", called="the lab's",
                        figure="figures/stock_walkforward.png"):
    """Model ``name`` (what the page calls it: ``called``) at several origins: ``wf``
    metrics/<name>_walkforward.json, ``rows`` its plot's rows (a fold each: fold, start, stop),
    ``epochs`` series_walkforward.<name>.epochs, ``labels`` the model's, ``figure`` its figure's
    path from reports/."""
    names = ["model", "drift", "ar"]

    def cells(scores):  # no Theil's U where persistence makes no error: '–'
        return [*[fmt(scores.get("theil_u", {}).get(n)) for n in names],
                fmt(scores.get("dm_pvalue", {}).get("model"))]

    body = [[f"{r['fold']}: {r['start']} .. {r['stop']}", str(wf[f"fold_{r['fold']}"]["windows"]),
             *cells(wf[f"fold_{r['fold']}"])] for r in rows]
    pooled = wf["pooled"]
    body.append(["**pooled**", str(pooled["windows"]), *cells(pooled)])
    folds = wf["folds"]
    count = f"{folds['used']} fold{'s' * (folds['used'] != 1)}"
    if folds["used"] < folds["asked"]:
        count += (f" (`series_walkforward.{name}.folds` asks for {folds['asked']}, but the test part's "
                  f"{folds['test_windows']} windows hold only {folds['used']} of at least "
                  f"{folds['min_fold_windows']})")
    flat = [r["fold"] for r in rows if "theil_u" not in wf[f"fold_{r['fold']}"]]
    never = (f" In fold{'s' * (len(flat) != 1)} {', '.join(flat)} the price never moves: "
             "persistence makes no error there, so no Theil's U (–)." if flat else "")
    return [f"### Walk-forward: {called} model at several origins\n",
            f"One test split is one sample. The test part's end in {count} "
            "(scikit-learn's TimeSeriesSplit, an expanding window); at each fold's origin the "
            f"model continues training for {epochs} epoch(s) on every window before it, and "
            "the baselines are refitted on the same windows. Theil's U per fold (below 1 beats "
            f"the random walk); DM p: Diebold-Mariano against persistence.{never} Pooled, the "
            f"{labels['model']} {forecast.verdict(pooled)}.\n",
            table(body, ["fold", "days", f"U {labels['model']}", "U drift", f"U {labels['ar']}",
                         "DM p"]),
            f"![walk-forward: Theil's U per fold]({figure})\n"]


def strategy_section(r, called="the lab's", figure="figures/stock_strategy.png", heading="it"):
    """Could one trade on a model (what the page calls it: ``called``)? ``r``:
    metrics/<name>_strategy.json; ``figure`` its figure's path from reports/."""
    d = r["direction"]
    rows = [[name, f"{m['cumulative_return']:+.1%}", f"{m['annual_volatility']:.1%}",
             f"{m['sharpe']:.2f}", f"{m['max_drawdown']:.1%}", str(m["trades"])]
            for name, m in ((f"long/flat, {r['cost_bps']:g} bp per trade", r["strategy"]),
                            ("long/flat, before costs", r["strategy_before_costs"]),
                            ("buy and hold", r["buy_and_hold"]))]
    return [f"### Could one trade on {heading}?\n",
            "Not financial advice: a classroom backtest, with no slippage, taxes or dividends. "
            f"A long/flat rule on {called} model's calls: long the next day when it predicts a "
            "rise, else out of the market. Its calls were right on "
            f"{d['accuracy']:.1%} of the {d['n']} days that moved (binomial test: p "
            f"{pvalue(d['p_vs_half'])} against a coin, p {pvalue(d['p_vs_up_share'])} "
            f"against always guessing the more common move, right {d['best_constant']:.1%} of "
            f"the time). The rule {trading.verdict(r, calls=False)}.\n",
            table(rows, ["on the test part", "return", "volatility (a year)", "Sharpe",
                         "max drawdown", "trades"]),
            f"![equity curves of the rule and of buy-and-hold]({figure})\n"]


COUNT = {1: "a network", 2: "two networks", 3: "three networks", 4: "four networks"}


def section(models, meta, data, test, above, walkforward, strategy):
    """The section. ``models``: {name (params.yaml's order): 'metrics' (metrics/<name>.json),
    'labels' (forecast.labels), 'target' (series.<name>.target), 'section' (series.<name>),
    'metrics_path', 'figure' (its path from reports/), 'run' (runs/<name>.json)}; ``meta``
    data/stock/meta.json; ``data`` the stock_data params; ``test`` the test part's days (the
    rows of the first model's predictions on it, predictions/<name>_test.csv); ``above`` as
    ``scaler_notes`` reads it; ``walkforward`` {name: 'metrics', 'rows', 'epochs', 'figure'}
    of the models walked forward; ``strategy`` {name: 'metrics'
    (metrics/<name>_strategy.json), 'figure'} of those traded on."""
    lab, *others = models
    called = who(models)
    target = meta["columns"][0]
    inputs = f" and {', '.join(meta['columns'][1:])}" if len(meta["columns"]) > 1 else ""
    count = COUNT.get(len(models), f"{len(models)} networks")
    alike = len({(m["labels"]["model"], m["target"]) for m in models.values()}) == len(models) \
        and len({m["labels"]["model"] for m in models.values()}) == 1
    parts = [f"## Example 4: {count} on daily stock prices, against a random walk\n",
             f"`{meta['source']}`, column {target}{inputs}; windows of {data['window']} days; "
             f"parts in time: train, val {data['val']:.0%}, test {data['test']:.0%} (never "
             "shuffled across)" + missing_note(meta) + ". "
             + (f"{count.capitalize()}, the same layer, window, data and early stopping, differ "
                "in what they predict:\n" if alike and len(models) > 1 else
                "Each network, and what it predicts:\n"),
             "".join(f"- **{called[name]}** (`{m['section']}`): {m['labels']['model']}, "
                     f"{scaling.FORMULATIONS[m['target']]}.\n" for name, m in models.items()),
             "Beside them: persistence (tomorrow = today: the random walk), drift (persistence "
             "plus the training part's mean daily change) and "
             f"{models[lab]['labels']['ar']}, a least-squares autoregression on the same "
             f"window. On the test part ({test[0]['time']} to {test[-1]['time']}, {len(test)} "
             f"days), one step ahead, prices in {target}'s units; bias: the mean error "
             "(prediction - actual); peak lag: the lag k at which the predictions correlate "
             "best with the price k days earlier (+1: yesterday's price, a day late); change r: "
             "the correlation of predicted and actual daily changes.\n",
             side_by_side(models)]
    parts += scaler_notes(models, above)
    parts.append(lag_note(models))
    for name, wf in walkforward.items():
        parts += walkforward_section(wf["metrics"], wf["rows"], wf["epochs"],
                                     models[name]["labels"], name, called[name], wf["figure"])
    for name, r in strategy.items():
        heading = "it" if len(strategy) == 1 else f"{called[name]} model"
        parts += strategy_section(r["metrics"], called[name], r["figure"], heading)
    others_are = "; ".join(f"{called[n]} are in `{models[n]['metrics_path']}`" for n in others)
    parts += [f"**Every score of {called[lab]} model**" + (f" ({others_are})" if others else "")
              + ":\n",
              *score_tables(models[lab]["metrics"], models[lab]["labels"],
                            f"{models[lab]['section']}.horizon")]
    for i, name in enumerate(models):
        panels = PANELS if i == 0 else "the same panels"
        parts += [f"![{called[name]} model: {panels}]({models[name]['figure']})\n",
                  run_line(models[name]["run"])]
    return parts
