"""Stage text_train@<variant>: a character LSTM learns the corpus (the rhyme by default).

many_to_one   (the lecture)  LSTM(units) + Dense(V, softmax): the character after each window.
many_to_many  (its agenda)   LSTM(units, return_sequences) + Dense(V, softmax) at every step:
                             the window shifted by one.
Windows stream from the training ids (rnnlab/streams.py), shuffled with the seed; sparse
integer targets with sparse categorical cross-entropy are the lecture's one-hot targets with
categorical cross-entropy, without the one-hot arrays. With a held-out split
(text_encode.val > 0) Keras also scores it after every epoch (val_loss, val_accuracy).

Outputs: models/text_<variant>.keras, plots/text_<variant>_history.csv, runs/text_<variant>.json
(the MLflow run that text_evaluate and text_generate log into as well).
"""
import json
import warnings

import numpy as np

from rnnlab import params, tracking, variants, vocab
from rnnlab.errors import run
from rnnlab.outputs import all_or_nothing, write_csv


def main():
    v = variants.from_argv("text_train")
    stage, section = f"text_train@{v.name}", f"text_train.{v.name}"
    p = params.load(stage, {section: params.TEXT_TRAIN})[section]
    voc, meta = vocab.load(vocab.VOCAB)
    window = meta["window"]
    train, val = (vocab.load_ids(name) for name in ("train", "val"))

    import mlflow
    from mlflow.models import infer_signature

    from rnnlab import models, notes, streams, textgen

    experiment = variants.experiment_name(meta["corpus"])
    samples = len(train) - window
    run_params = {**p, "variant": v.name, "window": window, "vocab_size": len(voc),
                  "corpus": meta["corpus"], "samples": samples,
                  "val_samples": max(len(val) - window, 0)}
    note = notes.text_run(v.name, p, window, len(voc), meta["corpus"], samples)
    logged = {}  # the ids of the models logged, for runs/<variant>.json
    with all_or_nothing(v.model, v.history, v.run), \
            tracking.new_run(experiment, v.name, stage, v.run, run_params, record={"models": logged},
                             notes=(notes.experiment("text", meta["corpus"]),
                                    notes.pending(note, f"text_evaluate@{v.name}"))):
        mlflow.log_dict(voc.to_json(), "vocab.json")
        models.seed_everything(p["seed"])
        model = models.text_model(v.name, len(voc), p["units"])
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      steps_per_execution=models.STEPS_PER_EXECUTION,
                      optimizer=models.optimizer(p["optimizer"], p["learning_rate"]))
        batches = streams.window_batches(train, window, v.split, p["batch_size"], shuffle=True,
                                         seed=p["seed"])
        val_batches = (streams.window_batches(val, window, v.split, streams.EVAL_BATCH)
                       if len(val) else None)
        # Keras takes the batches as they come (shuffled already: it warns that its own
        # shuffle does nothing).
        warnings.filterwarnings("ignore", message="`shuffle=True` was passed")
        history = model.fit(batches, validation_data=val_batches, epochs=p["epochs"], verbose=0,
                            callbacks=[models.stop_on_nan(), models.EpochLog(stage, p["epochs"])])
        models.check_converged(history.history, section)
        model.save(v.model)
        write_csv(v.history, {"epoch": range(1, p["epochs"] + 1), **history.history})
        mlflow.log_text(models.summary(model), "model_summary.txt")
        first = train[np.newaxis, :window]  # the corpus's first window
        last = p["epochs"] - 1  # the logged models carry the metrics of this epoch
        keras_model = mlflow.keras.log_model(
            model, name=f"{v.name}-keras", step=last,
            signature=infer_signature(first, model.predict_on_batch(first)),
            pip_requirements=tracking.pip_requirements())
        # The served generator (prompts in, text out), registered as <corpus>-<variant>.
        example = [voc.decode(first[0])]
        registered = v.registered_name(meta["corpus"])
        generator = tracking.log_pyfunc(
            name=f"{v.name}-generator", python_model="rnnlab/generator.py", step=last,
            artifacts={"model": v.model, "vocab": vocab.VOCAB},
            signature=infer_signature(example, example, params=textgen.GENERATOR_PARAMS),
            input_example=(example, textgen.GENERATOR_PARAMS), registered_model_name=registered)
        logged.update(keras=keras_model.model_id, generator=generator.model_id)
        tracking.describe_registered(
            registered, generator.registered_model_version, notes.generator(meta["corpus"], v.name),
            notes.serving(registered, generator.registered_model_version,
                          json.dumps({"inputs": example, "params": {"length": 40}})))
    h = history.history
    held = f"; held out: accuracy {h['val_accuracy'][-1]:.4f}" if "val_accuracy" in h else ""
    print(f"{stage}: loss {h['loss'][-1]:.4f}, accuracy {h['accuracy'][-1]:.4f}{held} "
          f"after {p['epochs']} epochs; {v.model}")


if __name__ == "__main__":
    run(main)
