"""Example 1: the lecture's SimpleRNN on a sine wave, beside the same network untrained,
persistence, drift and AR, one step ahead and fed back."""
from rnnlab.report.markdown import run_line, score_tables


def section(metrics, labels, forecast_steps, run):
    """The section: ``metrics`` as metrics/sine.json holds them, ``labels`` forecast.labels of
    its network, ``forecast_steps`` how many test samples were forecast fed back (the rows of
    its forecast plot), ``run`` runs/sine.json."""
    parts = [f"## Example 1: a {labels['model']} predicts the next sample of a sine wave\n",
             f"Trained on the lecture's series; the samples after it are the test part, never "
             f"trained on (the first {forecast_steps} are also forecast with the predictions fed "
             f"back). Beside the {labels['model']}: the same network untrained, persistence (the "
             f"last value), drift and {labels['ar']} fitted by least squares on the training "
             "windows (exact for a clean sine). Theil's U is the rmse over persistence's; "
             "direction, how often the sign of the predicted change is right.\n",
             *score_tables(metrics, labels, "sine_evaluate.horizon")]
    repeats = metrics["test"]["repeats_training"]
    if repeats:
        parts.append(f"{repeats:.0%} of the test windows (inputs and target) also occur in the "
                     "training series: a clean periodic wave repeats itself, so the one-step "
                     "test score says little about generalisation; the forecast, fed its own "
                     "predictions, does. With `sine_data.noise` > 0 every window is new.\n")
    parts += ["![sine: predictions before and after training, loss, forecast](figures/sine.png)\n",
              run_line(run)]
    return parts
