"""Stage series_train@<series>: a recurrent network learns the next value of a series.

sine   (the lecture)  SimpleRNN(10) + Dense(1, linear) on the raw values, mse, SGD, 100 epochs.
stock  (its agenda)   LSTM + Dense(1) on a window of past days, the stock tutorials' model, on
                      min-max scaled prices (target: price) or on log returns (log_return).
Params: <series>_train (layer, units, target, optimizer, learning_rate, epochs, batch_size,
patience, seed) and <series>_data.window. The scaling (rnnlab/series.py: Transform) is fitted
on the training part only. Where the series has a val part, Keras scores it after every epoch
(val_loss); with patience > 0 training stops once val_loss has not improved for `patience`
epochs and the weights of its best epoch are restored (Keras' EarlyStopping).

Outputs: models/<series>.keras, models/<series>_untrained.keras (the seeded initial weights:
series_evaluate scores 'before training' with them, without TensorFlow),
models/<series>_transform.json, plots/<series>_history.csv,
runs/<series>.json (the MLflow run that series_evaluate logs into as well). The run also
registers a forecaster, '<experiment>-forecaster' (rnnlab/forecaster.py): raw rows in, the
next value out.
"""
import json

from rnnlab import params, series, tracking
from rnnlab.errors import run
from rnnlab.outputs import all_or_nothing, write_csv


def main():
    s = series.from_argv("series_train")
    stage, data, section = f"series_train@{s.name}", f"{s.name}_data", f"{s.name}_train"
    p = params.load(stage, {data: {"window": params.WINDOW}, section: params.SERIES_TRAIN})
    window, tp = p[data]["window"], p[section]
    meta = series.load_meta(s)
    series.check_positive(tp["target"], meta["non_positive"], section)
    parts = series.load_parts(s, ("train", "val"))
    transform = series.Transform.fit(tp["target"], parts["train"]["values"])
    W, y = series.part_windows(parts, "train", window)
    X, Y = transform.inputs(W), transform.targets(W, y)
    val = None
    if len(parts["val"]["values"]):
        W_val, y_val = series.part_windows(parts, "val", window)
        val = (transform.inputs(W_val), transform.targets(W_val, y_val))

    import keras
    import mlflow
    import pandas as pd
    from mlflow.models import infer_signature

    from rnnlab import models, notes

    experiment = meta["experiment"]
    run_params = {**tp, "window": window, "columns": ",".join(meta["columns"]),
                  "source": meta["source"], "samples": len(X),
                  "val_samples": len(val[0]) if val else 0}
    note = notes.series_run(tp, window, meta, len(X))
    logged = {}  # the ids of the models logged, for runs/<series>.json
    with all_or_nothing(s.model, s.untrained, s.transform, s.history, s.run), \
            tracking.new_run(experiment, s.name, stage, s.run, run_params, record={"models": logged},
                             notes=(notes.experiment(s.name, meta["source"]),
                                    notes.pending(note, f"series_evaluate@{s.name}"))):
        model = models.compiled_series_model(s.name, transform.steps(window), X.shape[2], tp)
        model.save(s.untrained)
        stop = (keras.callbacks.EarlyStopping(monitor="val_loss", patience=tp["patience"],
                                              restore_best_weights=True)
                if val and tp["patience"] else None)
        history = model.fit(X, Y, validation_data=val, epochs=tp["epochs"],
                            batch_size=tp["batch_size"], verbose=0,
                            callbacks=[models.stop_on_nan(), models.EpochLog(stage, tp["epochs"]),
                                       *([stop] if stop else [])])
        models.check_converged(history.history, section, "" if tp["target"] != "value" else
                               f" or train on scaled values ('{section}.target: price')")
        model.save(s.model)
        transform.save(s.transform, window=window, columns=meta["columns"])
        h = history.history
        write_csv(s.history, {"epoch": range(1, len(h["loss"]) + 1), **h})
        mlflow.log_text(models.summary(model), "model_summary.txt")
        # The logged models carry the metrics of the epoch whose weights they hold.
        kept = stop.best_epoch if stop and stop.stopped_epoch else len(h["loss"]) - 1
        keras_model = mlflow.keras.log_model(
            model, name=f"{s.name}-keras", step=kept,
            signature=infer_signature(X[:1], model.predict_on_batch(X[:1])),
            pip_requirements=tracking.pip_requirements())
        # The served forecaster: the last `window` raw rows in, the next value out.
        example = pd.DataFrame(W[-1], columns=meta["columns"])
        registered = s.registered_name(experiment)
        forecaster = tracking.log_pyfunc(
            requirements=("pandas",), name=f"{s.name}-forecaster", step=kept,
            python_model="rnnlab/forecaster.py",
            artifacts={"model": s.model, "transform": s.transform},
            signature=infer_signature(example, [float(y[-1])]), input_example=example,
            registered_model_name=registered)
        logged.update(keras=keras_model.model_id, forecaster=forecaster.model_id)
        version = forecaster.registered_model_version
        tracking.describe_registered(
            registered, version, notes.forecaster(experiment, meta["columns"], window),
            notes.serving(registered, version, json.dumps(
                {"dataframe_split": {"columns": meta["columns"], "data": W[-1].tolist()}})))
    best = ""
    if stop and stop.stopped_epoch:  # the weights kept are the best epoch's
        best = (f", stopped early: kept epoch {stop.best_epoch + 1}, val_loss "
                f"{h['val_loss'][stop.best_epoch]:.4g}")
    held = f", val_loss {h['val_loss'][-1]:.4g}" if "val_loss" in h else ""
    print(f"{stage}: loss {h['loss'][0]:.4g} -> {h['loss'][-1]:.4g}{held} after {len(h['loss'])} "
          f"epochs{best}; {s.model}")


if __name__ == "__main__":
    run(main)
