"""What the MLflow UI says about each experiment, run and registered model: a few lines of
Markdown that a student reads first (the descriptions MLflow shows: the tag
``mlflow.note.content`` of experiments and runs, ``description`` of registered models and
their versions). The train stages write them; the stages that log an evaluation (a
model's track stage, adding_evaluate) add the results."""

from rnnlab.scores.forecast import LAYER_LABELS

RESULTS = "`reports/README.md` in the project (made by `dvc repro`)"


SERIES_METRICS = (
    "**Metrics.** Per epoch: `loss` (mse on the training windows, in the network's scaled "
    "units) and `val_loss` (the val part). From the evaluate stage, "
    "`eval_<part>_<metric>_<predictor>`: part `train`, `val`, `test` (one step ahead from "
    "observed windows) or `forecast` (predictions fed back); metric `mse`, `rmse`, `mae`, "
    "`theil_u` (rmse / persistence's: below 1 beats the random walk), `direction`, "
    "`dm_pvalue` (Diebold-Mariano test against persistence); predictor `model` (this network), "
    "`persistence` (tomorrow = today), `drift`, `ar` (least-squares autoregression).")

TEXT_METRICS = (
    "**Metrics.** Per epoch, Keras' `loss` and `accuracy` on the training batches "
    "(many_to_many: averaged over every position of the window, so lower than the comparable "
    "figure). From the evaluate stage, on every window of the scored text (`train`, or `val` "
    "with a held-out split): `eval_<split>_accuracy` and `_loss`, `_bits_per_char`, "
    "`_perplexity` of the last character's prediction (the lecture's task, the same for both "
    "variants), beside the baselines `_unigram`, `_ngram` and the `_ceiling` of the window.")


def experiment(kind, source):
    """The experiment's description: what the example is, where its results are."""
    if kind == "sine":
        what = ("Example 1 of the lecture: a SimpleRNN reads a window of a sampled sine wave "
                "and predicts the next sample (stages `sine_data` -> `series_train@<model>` -> "
                "`series_evaluate@<model>` -> `series_track@<model>`, a model per section of "
                "params.yaml's `series` whose data is the sine).")
    elif kind == "stock":
        what = (f"Example 4 (the lecture's agenda): a recurrent network reads the last days of "
                f"`{source}` and predicts the next close, scored against a random walk "
                "(stages `stock_data` -> `series_train@<model>` -> `series_evaluate@<model>` -> "
                "`series_track@<model>`, a model per section of params.yaml's `series` whose "
                "data is the prices).")
    else:
        what = (f"Examples 2 and 3: character LSTMs learn `{source}` and write from a prompt. "
                "`many_to_one` (the lecture) predicts the character after a window; "
                "`many_to_many` predicts every next character of the window (stages "
                "`text_encode`, `text_baselines`, `text_train@<variant>`, "
                "`text_evaluate@<variant>`, `text_generate@<variant>`, `text_track@<variant>`).")
    return (f"{what}\n\nOne run per training; the track stages log its evaluation into the "
            f"same run. Select runs and **Compare** to see what a param changed. Results, "
            f"beside the baselines: {RESULTS}.")


def series_run(p, window, meta, samples):
    return (f"**Model.** {p['layer']}({p['units']}) + Dense(1) reads {window} values of "
            f"{', '.join(meta['columns'])} and predicts the next {meta['columns'][0]} "
            f"(target `{p['target']}`); {p['optimizer']}, learning rate {p['learning_rate']}, "
            f"batch {p['batch_size']}, up to {p['epochs']} epochs.\n\n"
            f"**Data.** {meta['source']}: {samples} training windows.")


def text_run(variant, p, window, vocab_size, corpus, samples):
    predicts = ("the character after the window (the lecture)" if p["kind"] == "many_to_one"
                else "every next character of the window")
    return (f"**Model.** {variant}: {LAYER_LABELS[p['layer']]}({p['units']}) + "
            f"Dense({vocab_size}, softmax) reads "
            f"{window} characters (one-hot) and predicts {predicts}; {p['optimizer']}, learning "
            f"rate {p['learning_rate']}, batch {p['batch_size']}, {p['epochs']} epochs.\n\n"
            f"**Data.** `{corpus}`: {samples} training windows, {vocab_size} characters.")


def with_result(note, result, metrics):
    """A train stage's note with the evaluation's headline result and metric meanings."""
    head = note.split("\n\n**Result.**")[0]
    return f"{head}\n\n**Result.** {result}\n\n{metrics}"


def pending(note, stage):
    return f"{note}\n\n**Result.** not evaluated yet (`{stage}`)."


def forecaster(experiment, columns, window):
    return (f"Forecaster of the `{experiment}` experiment: input the last {window} rows of "
            f"{', '.join(columns)} (raw values), output the next {columns[0]}. Runs the saved "
            "weights in NumPy (no TensorFlow).")


def generator(corpus, variant):
    return (f"Text generator trained on `{corpus}` ({variant}): input prompt strings, output "
            "each prompt followed by its continuation; params `length`, `temperature` "
            "(0 = greedy), `top_k`, `seed`. Runs the saved weights in NumPy (no TensorFlow).")


def serving(name, version, body):
    body = body.replace("'", "'\\''")  # inside the shell's single quotes
    return (f"Serve it from the project: `make serve MODEL={name} MODEL_VERSION={version}` (it "
            f"checks the store and the model, then runs `mlflow models serve` on port 5001), "
            f"then\n\n```\ncurl -s http://127.0.0.1:5001/invocations "
            f"-H 'Content-Type: application/json' -d '{body}'\n```")


# ---- the columns of each experiment's runs table (experiments.use_experiment's view) ----

def _columns(kind, names):
    return [f"{kind}.`{name}`" for name in names]  # how MLflow's UI keys a column


def series_view():
    return (_columns("metrics", ("eval_test_rmse_model", "eval_test_rmse_persistence",
                                 "eval_test_theil_u_model", "eval_test_dm_pvalue_model"))
            + _columns("params", ("layer", "units", "target", "window")))


def text_view(split):
    return (_columns("metrics", (f"eval_{split}_accuracy", f"eval_{split}_bits_per_char",
                                 f"eval_{split}_accuracy_ngram", f"eval_{split}_accuracy_ceiling"))
            + _columns("params", ("variant", "kind", "layer", "units", "epochs")))


# ---- example 5: the adding problem ----

ADDING_METRICS = (
    "**Metrics.** Per epoch, `loss`: the training mse. From the train stage, `train_seconds`, "
    "and `gradient_ratio_untrained` and `gradient_ratio`: g(1)/g(T-1), how much stronger the "
    "gradient of the loss is at the input 1 step before the output than at the one T-1 steps "
    "before it, before and after training (a norm that underflowed float32 counts as float32's "
    "smallest normal number, so the ratio is then a lower bound). From `adding_evaluate`: "
    "`eval_test_mse`, beside `eval_test_mse_baseline` (predicting the mean sum for every "
    "sequence, about 1/6) and their ratio `eval_test_baseline_ratio` (near 1: it learned "
    "nothing of the dependency; far below 1: it did).")


def adding_experiment():
    return ("Example 5, the lecture's \"problem with RNNs\", measured: the adding problem. Each "
            "sequence of T steps holds a random value and a marker per step; the target is the "
            "sum of the two marked values, one in each half of the sequence. A SimpleRNN, a GRU "
            "and an LSTM get the same budget; one run per cell and length, tagged `lab.cell` and "
            "`lab.length` (stages `adding_data@<T>` -> `adding_train@<cell>-<T>` -> "
            "`adding_evaluate`). Predicting the mean scores an mse of 1/6; far below it, the "
            "network carried the first marked value across the sequence.\n\nSelect runs and "
            f"**Compare**. Results, the table and the gradient figure: {RESULTS}.")


def adding_run(cell, length, p):
    clip = f", gradients clipped to norm {p['clipnorm']}" if p["clipnorm"] else ""
    stop = f", stopped once the training mse < {p['stop_below']}" if p["stop_below"] else ""
    return (f"**Model.** {LAYER_LABELS[cell]}({p['units']}) + Dense(1) reads sequences of {length} "
            f"steps of (value, marker) and predicts the sum of the two marked values; "
            f"{p['optimizer']}, learning rate {p['learning_rate']}{clip}, batch "
            f"{p['batch_size']}, at most {p['epochs']} epochs{stop}.")


def adding_result(cell, length, scores, baseline):
    ratio = scores["baseline_ratio"]
    verdict = ("learned the dependency" if ratio < 0.1 else
               "learned nothing of it: the mean's error" if ratio > 0.9 else "learned part of it")
    return (f"test mse {scores['mse']:.4f}, {ratio:.2f}x the baseline's {baseline:.4f}: "
            f"{LAYER_LABELS[cell]} {verdict} at T = {length} (after {scores['epochs']} epochs); "
            f"gradient g(1)/g({length - 1}) {scores['gradient_ratio']:.3g} after training, "
            f"{scores['gradient_ratio_untrained']:.3g} before.")


def adding_view():
    return (_columns("metrics", ("eval_test_mse", "eval_test_baseline_ratio", "gradient_ratio",
                                 "train_seconds"))
            + _columns("params", ("cell", "length", "units", "learning_rate")))
