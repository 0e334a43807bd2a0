"""Stage series_train@<model>: a recurrent network learns the next value of a series.

sine            (the lecture)  SimpleRNN(10) + Dense(1, linear) on the raw values, mse, SGD,
                               100 epochs.
stock           (the lab's)    LSTM(32) + Dense(1) on a window of past days' log returns: it
                               predicts the next day's return, so no price level is out of range.
stock_tutorial  (the tutorials') the same network on prices min-max scaled on the training
                               part: the popular tutorials' model, biased where the test prices
                               lie above anything it trained on.
Params: its section of params.yaml's `series` (layer, units, target, optimizer,
learning_rate, epochs, batch_size, patience, seed; `data` names the series it learns) and
<data>_data.window.
The scaling (rnnlab/data/scaling.py: Transform) is fitted on the training part only. Where
the series has a val part, Keras scores it after every epoch (val_loss); with patience > 0
training stops once val_loss has not improved for `patience` epochs and the weights of its
best epoch are restored (Keras' EarlyStopping).

Reads its data stage's training and validation parts and meta record (--train, --val,
--meta). Outputs, at the paths dvc.yaml's cmd names: the model (--model), the model as
initialised (--untrained: the seeded initial weights, with which series_evaluate scores
'before training', without TensorFlow), its scaling (--transform), its history per epoch
(--history) and its MLflow run (--run: the run series_track logs the evaluation into; its tag
``lab.formulation`` says which approach it is). The run also registers a forecaster,
'msft-forecaster' for the lab's stock model, 'msft-tutorial-forecaster' for the tutorial's
(rnnlab/serving/forecaster.py): raw rows in, the next value out.
"""
from rnnlab import params
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, write_csv
from rnnlab.data import scaling, series
from rnnlab.tracking import names, notes, runs


def arguments(models):
    parser = Arguments("series_train")
    parser.choice("name", models, "the model: a section of params.yaml's series")
    parser.path("train", "its data stage's training part (.npz)")
    parser.path("val", "its data stage's validation part (.npz)")
    parser.path("meta", "its data stage's meta record (JSON)")
    parser.path("model", "the trained model written (.keras)")
    parser.path("untrained", "the model as initialised written (.keras)")
    parser.path("transform", "its scaling written (JSON)")
    parser.path("history", "its loss per epoch written (CSV)")
    parser.path("run", "its MLflow run written (JSON)")
    return parser.parse_args()


def main():
    models = params.series_models()
    args = arguments(models)
    s = series.defined(models)[args.name]
    stage, window_key, section = f"series_train@{s.name}", s.window_key, s.train_section
    p = params.load(stage, window_key, *s.training_keys)
    window, tp = p[window_key], {key: p[f"{section}.{key}"] for key in series.TRAINING}
    meta = series.load_meta(args.meta)
    scaling.check_positive(tp["target"], meta["non_positive"], section)
    parts = series.load_parts(series.part_files(args, ("train", "val")))
    transform = scaling.Transform.fit(tp["target"], parts["train"]["values"])
    raw, y = series.part_windows(parts, "train", window)
    X, Y = transform.inputs(raw), transform.targets(raw, y)
    val = None
    if len(parts["val"]["values"]):
        raw_val, y_val = series.part_windows(parts, "val", window)
        val = (transform.inputs(raw_val), transform.targets(raw_val, y_val))

    experiment, columns = meta["experiment"], meta["columns"]
    registered = names.forecaster(experiment, s)
    run_params = {**tp, "window": window, "columns": ",".join(columns), "source": meta["source"],
                  "samples": len(X), "val_samples": len(val[0]) if val else 0,
                  **series.missing_params(meta)}
    note = notes.series_run(tp, window, meta, len(X))
    with all_or_nothing(args.model, args.untrained, args.transform, args.history, args.run), \
            runs.new_run(experiment, s.name, stage, args.run, run_params,
                         notes=(notes.experiment(s.data, meta["source"]),
                                notes.pending(note, f"series_track@{s.name}")),
                         view=notes.series_view(),
                         example=s.data, registers=[registered],
                         formulation=scaling.FORMULATIONS[tp["target"]]) as link:
        from rnnlab.nets import models  # TensorFlow: inputs and store are good
        from rnnlab.nets.progress import EpochLog
        from rnnlab.tracking import registry

        model = models.compiled_series_model(s.name, transform.steps(window), X.shape[2], tp)
        model.save(args.untrained)
        history, kept = models.fit(model, (X, Y), section, tp, validation=val,
                                   callbacks=[EpochLog(stage, tp["epochs"], runs.EpochMetrics())],
                                   hint="" if tp["target"] != "value" else
                                   f" or train on scaled values ('{section}.target: price')")
        model.save(args.model)
        transform.save(args.transform, window=window, columns=columns)
        write_csv(args.history, {"epoch": range(1, len(history["loss"]) + 1), **history})
        link.models = registry.log_and_register(
            model, s.name, inputs=X[:1], step=kept,
            served=registry.forecaster(args.model, args.transform, experiment, registered, columns,
                                       raw[-1], y[-1]))
    stopped = ""
    if kept < len(history["loss"]) - 1:  # stopped early: the weights kept are the best epoch's
        stopped = (f", stopped early: kept epoch {kept + 1}, val_loss "
                   f"{history['val_loss'][kept]:.4g}")
    held = f", val_loss {history['val_loss'][-1]:.4g}" if "val_loss" in history else ""
    print(f"{stage}: loss {history['loss'][0]:.4g} -> {history['loss'][-1]:.4g}{held} after "
          f"{len(history['loss'])} epochs{stopped}; {args.model}")


if __name__ == "__main__":
    run(main)
