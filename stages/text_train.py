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

    from rnnlab import models, streams, textgen

    experiment = variants.experiment_name(meta["corpus"])
    run_params = {**p, "variant": v.name, "window": window, "vocab_size": len(voc),
                  "corpus": meta["corpus"], "samples": len(train) - window,
                  "val_samples": max(len(val) - window, 0)}
    with all_or_nothing(v.model, v.history, v.run), \
            tracking.new_run(experiment, v.name, stage, v.run, run_params):
        mlflow.log_dict(voc.to_json(), "vocab.json")
        mlflow.keras.autolog(log_models=False, log_datasets=False, silent=True)
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
        # shuffle does nothing); batch_size is for MLflow's autologging, which logs fit()'s
        # arguments and would otherwise record None against params.yaml's.
        warnings.filterwarnings("ignore", message="`shuffle=True` was passed")
        history = model.fit(batches, validation_data=val_batches, epochs=p["epochs"],
                            batch_size=p["batch_size"], verbose=0,
                            callbacks=[models.stop_on_nan()])
        models.check_converged(history.history, section)
        model.save(v.model)
        write_csv(v.history, {"epoch": range(1, p["epochs"] + 1), **history.history})
        first = train[np.newaxis, :window]  # the corpus's first window
        mlflow.keras.log_model(model, name=f"{experiment}_{v.name}",
                               signature=infer_signature(first, model.predict_on_batch(first)),
                               pip_requirements=tracking.pip_requirements())
        # The served generator (prompts in, text out), registered as <corpus>-<variant>.
        example = [voc.decode(first[0])]
        mlflow.pyfunc.log_model(
            name="generator", python_model="rnnlab/generator.py", code_paths=["rnnlab"],
            artifacts={"model": v.model, "vocab": vocab.VOCAB},
            signature=infer_signature(example, example, params=textgen.GENERATOR_PARAMS),
            pip_requirements=tracking.pyfunc_requirements(),
            registered_model_name=v.registered_name(meta["corpus"]))
    h = history.history
    held = f"; held out: accuracy {h['val_accuracy'][-1]:.4f}" if "val_accuracy" in h else ""
    print(f"{stage}: loss {h['loss'][-1]:.4f}, accuracy {h['accuracy'][-1]:.4f}{held} "
          f"after {p['epochs']} epochs; {v.model}")


if __name__ == "__main__":
    run(main)
