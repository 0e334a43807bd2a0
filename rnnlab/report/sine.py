"""Example 1: the lecture's SimpleRNN on a sine wave, beside the same network untrained,
persistence, drift and AR, one step ahead and fed back; then any other model of the sine
params.yaml's `series` holds, each with its tables, figure and run."""
from rnnlab.report.markdown import run_line, score_tables


def section(models):
    """The section: ``models`` {name: 'metrics' (metrics/<name>.json), 'labels'
    (forecast.labels of its network), 'forecast_steps' (how many test samples were forecast
    fed back: the rows of its forecast plot), 'section' (series.<name>), 'figure' (its path
    from reports/), 'run' (runs/<name>.json)}, the lecture's first."""
    (name, first), *others = models.items()
    labels, metrics = first["labels"], first["metrics"]
    parts = [f"## Example 1: a {labels['model']} predicts the next sample of a sine wave\n",
             f"Trained on the lecture's series; the samples after it are the test part, never "
             f"trained on (the first {first['forecast_steps']} are also forecast with the "
             f"predictions fed back). Beside the {labels['model']}: the same network untrained, "
             f"persistence (the last value), drift and {labels['ar']} fitted by least squares "
             "on the training windows (exact for a clean sine). Theil's U is the rmse over "
             "persistence's; direction, how often the sign of the predicted change is right.\n",
             *score_tables(metrics, labels, f"{first['section']}.horizon")]
    repeats = metrics["test"]["repeats_training"]
    if repeats:
        parts.append(f"{repeats:.0%} of the test windows (inputs and target) also occur in the "
                     "training series: a clean periodic wave repeats itself, so the one-step "
                     "test score says little about generalisation; the forecast, fed its own "
                     "predictions, does. With `sine_data.noise` > 0 every window is new.\n")
    parts += [f"![{name}: predictions before and after training, loss, forecast]"
              f"({first['figure']})\n", run_line(first["run"])]
    for name, m in others:
        parts += [f"### `{name}`: a {m['labels']['model']} on the same sine\n",
                  *score_tables(m["metrics"], m["labels"], f"{m['section']}.horizon"),
                  f"![{name}: predictions before and after training, loss, forecast]"
                  f"({m['figure']})\n", run_line(m["run"])]
    return parts
