"""What one student's `make repro` logs, and when: its models, its stages and their moments.

A repro is 8 runs, one per model (sine, stock, stock_tutorial, many_to_one, many_to_many, and
the adding problem's simple_rnn, gru and lstm cells at T = 100: MODELS), in the experiments the
lab names '<user>-sine', '<user>-msft', '<user>-sixpence' and '<user>-adding-problem'. First
the 8 train stages, then the stages that log into the runs, as DVC orders them (``stages``): a
series or text model's track stage (series_track, text_track: what its evaluate stage, and a
text model's generate stage, wrote), the adding cells' evaluate stage (one for the three), the
stock model's walk-forward and strategy (MORE_STAGES); 16 stages in all. The stages that make no
request (series_evaluate, text_evaluate, text_generate: files only; the data's and the
baselines') are not among them. Paced, each stage begins when one default `make repro` on this
machine began it (TIMELINE); the Student (student.py) makes each stage's calls.
"""
import collections
from dataclasses import dataclass


@dataclass(frozen=True)
class Model:
    name: str         # the model: its run is '<prefix>-<name>'
    experiment: str   # the lab's experiment, '<user>-' before it
    kind: str         # series | text | adding
    epochs: int       # epochs the default params run (early stopping included)
    keys: tuple       # per-epoch metrics
    evals: tuple      # evaluation metric keys: the model's own (on each logged model too),
                      # and the baselines' and the data's (the run's only)
    params: int       # params logged
    figure_kb: int    # the evaluation's figure (evaluation_figure)
    weights_kb: int   # the .keras file
    registered: str = None  # the served model's registered name, '<user>-' before it
    patience: int = 0


MODELS = [
    Model("sine", "sine", "series", 100, ("loss",), (28, 95), 14, 140, 21, "sine-forecaster"),
    Model("stock", "msft", "series", 27, ("loss", "val_loss"), (39, 131), 16, 270, 77,
          "msft-forecaster", patience=10),
    Model("stock_tutorial", "msft", "series", 41, ("loss", "val_loss"), (39, 131), 16, 350, 77,
          "msft-tutorial-forecaster", patience=10),
    Model("many_to_one", "sixpence", "text", 100, ("loss", "accuracy"), (4, 10), 14, 100, 465,
          "sixpence-many-to-one"),
    Model("many_to_many", "sixpence", "text", 100, ("loss", "accuracy"), (8, 10), 14, 100, 465,
          "sixpence-many-to-many"),
    Model("simple_rnn_100", "adding-problem", "adding", 30, ("loss",), (2, 1), 12, 85, 90),
    Model("gru_100", "adding-problem", "adding", 5, ("loss",), (2, 1), 12, 85, 90),
    Model("lstm_100", "adding-problem", "adding", 13, ("loss",), (2, 1), 12, 85, 90),
]
BY_NAME = {m.name: m for m in MODELS}
TIMELINE = {  # model: (train at, first epoch after, seconds an epoch, evaluate at)
    "sine": (0.0, 4.4, 0.047, 81.8),
    "stock": (16.5, 6.4, 0.56, 89.5),
    "stock_tutorial": (46.1, 6.0, 0.52, 96.8),
    "many_to_one": (126.5, 8.3, 0.127, 184.2),
    "many_to_many": (154.5, 6.6, 0.143, 191.5),
    "simple_rnn_100": (209.8, 6.2, 0.62, 295.7),
    "gru_100": (242.1, 8.0, 1.65, 295.7),
    "lstm_100": (265.3, 8.2, 1.13, 295.7),
}
"""When one default `make repro` on this machine (2 cores) made its MLflow calls, read from its
mlflow.db (the runs of commit 0ca86de): seconds from the sine's run to each run's start, from a
run's start to its first epoch's metrics (TensorFlow imported, data and model built, one epoch
trained), between two epochs, and to the evaluation's metrics. Here the model's track stage
(the adding cells': their evaluate stage, one for the three) begins at that moment: it runs
right after the evaluate stage, which makes no request. A text model's track stage logs its
samples too, after the evaluation (in TIMELINE's repro they were logged about 10 s later)."""
MORE_STAGES = {"stock": {
    "series_walkforward": (111.9, 84, {"figures/walkforward.png": 41}),
    "series_strategy": (121.1, 26, {"strategy.txt": None, "figures/strategy.png": 100}),
}}
"""The stages that log into a model's run after its evaluation, each a process of its own:
{model: {stage: (at, metric keys, {run file: KB of a figure, or None for a text})}}; when, and
how much, as in TIMELINE's repro."""
EVAL_KEYS = ("eval", "eval_baseline")  # the model's own evaluation metrics; the baselines'
TRAIN_METRICS = ("train_seconds", "gradient_ratio", "gradient_first", "gradient_last")  # adding
# a kind of model: the stage that trains it, the stage that logs its evaluation
STAGES = {"series": ("series_train", "series_track"), "text": ("text_train", "text_track"),
          "adding": ("adding_train", "adding_evaluate")}


def epochs(model, scale):
    return max(2, round(model.epochs * scale))


def served_kind(model):
    return "forecaster" if model.kind == "series" else "generator"


def evaluation_figure(model):
    """The run file of a model's evaluation figure, as its track (or evaluate) stage names it."""
    return "figures/history.png" if model.kind == "text" else "figures/evaluation.png"


def logged_models(model):
    """The logged models of a run: 'keras', and 'served' for the series and text models."""
    return ["keras", "served"] if model.registered else ["keras"]


def epochs_note(scale):
    return "epochs " + ", ".join(f"{m.name} {epochs(m, scale)}" for m in MODELS)


def stages(paced):
    """[(at, stage, the Student's method for it, models)] in the order a repro runs them: paced,
    by TIMELINE (and MORE_STAGES); else the train stages first, then the others. The adding
    cells' evaluate stage is one process for the three; the others are one per model."""
    trains, later = [], collections.defaultdict(list)
    for m in MODELS:
        train_at, _, _, evaluate_at = TIMELINE[m.name]
        train, evaluate = STAGES[m.kind]
        trains.append((train_at, train, "train", [m]))
        later[(evaluate_at, evaluate, "evaluate")].append(m)
        for stage, (at, _, _) in MORE_STAGES.get(m.name, {}).items():
            later[(at, stage, "more")].append(m)
    order = sorted([*trains, *((at, stage, body, models)
                               for (at, stage, body), models in later.items())],
                   key=lambda e: e[0])
    return order if paced else [e for e in order if e in trains] + \
        [e for e in order if e not in trains]
