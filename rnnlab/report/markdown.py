"""How the results page writes numbers and tables (Markdown), the same in every section, and
the tables of a series model's scores (the sine's, the stock models')."""
from rnnlab.scores import forecast

EXACT = 1e-12
"""An error below this is floating-point noise around 0 (AR(3) on a clean sine: 1e-31)."""
ERRORS = ("mse", "rmse", "mae", "mape", "theil_u")
"""The metrics that are errors: 'exact (~0)' where they are that noise."""

PART_NAMES = {"train": "training windows, next value", "val": "validation part, next value",
              "test": "test part, next value", "forecast": "test part, forecast fed back"}
COLUMNS = {"mse": "mse", "rmse": "rmse", "mae": "mae", "mape": "mape %", "theil_u": "Theil's U",
           "direction": "direction", "dm_pvalue": "DM p"}
"""The metrics of metrics/<series>.json the tables show, and their headers."""


def table(rows, columns):
    """A Markdown table: a header of ``columns``, a line per row (cells as str())."""
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(str(c) for c in row) + " |\n" for row in rows)


def fmt(value):
    """A figure in 4 decimals (1.2e-05 below 1e-4), '–' where there is none."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) >= 1e-4 or value == 0 else f"{value:.1e}"
    return str(value)


def fmt_lag(lag):
    """A peak lag in days ('+1'), '–' where there is none (a series that never moved)."""
    return "–" if lag is None else f"{lag:+d}"


def fmt_error(value):
    """An error figure; 'exact (~0)' where it is rounding noise, not a measurement."""
    return "exact (~0)" if isinstance(value, float) and 0 <= value < EXACT else fmt(value)


def pvalue(p):
    """A p-value as a test's sentence says it: '< 0.001', '= 0.036'."""
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def run_line(run):
    """The line under a model's figures naming its MLflow run; ``run``: runs/<model>.json as
    its train stage wrote it (run_id, experiment_name, run_name)."""
    return f"MLflow run `{run['run_id']}` ({run['experiment_name']} / {run['run_name']}).\n"


def horizon_note(horizon, key):
    """What the fed-back forecast's title adds where the test part held fewer steps than
    ``key`` (<data>_evaluate.horizon) asks for: how many were forecast, and why."""
    if horizon["used"] == horizon["asked"]:
        return ""
    return (f" ({horizon['used']} steps: `{key}` asks for {horizon['asked']}, but the test part "
            f"holds only {horizon['test_values']} values)")


def score_tables(metrics, labels, horizon_key):
    """One table per part: a row per predictor, a column per metric (lower is better but for
    direction, scored on the steps that moved; DM p: Diebold-Mariano p-value against
    persistence); the forecast's title says if it has fewer steps than ``horizon_key`` asks.
    ``metrics``: metrics/<series>.json; ``labels``: forecast.labels of the model."""
    parts = []
    for part, title in PART_NAMES.items():
        if part not in metrics:
            continue
        scores = metrics[part]
        keys = [k for k in COLUMNS if k in scores]
        names = [n for n in forecast.NAMES if n in scores["rmse"]]
        rows = [[labels[n]] + [(fmt_error if k in ERRORS else fmt)(scores[k].get(n)) for k in keys]
                for n in names]
        shares = (f" (of the steps that moved, {scores['up_share']:.3f} went up; "
                  f"{scores['flat_share']:.3f} did not move)" if "up_share" in scores else "")
        if part == "forecast":
            shares = horizon_note(scores["horizon"], horizon_key)
        parts += [f"**{title}**{shares}\n",
                  table(rows, ["predictor"] + [COLUMNS[k] for k in keys])]
    return parts
