"""Stage text_train@<variant>: a character LSTM learns the rhyme (or any corpus).

many_to_one   (the lecture)  LSTM(units) + Dense(V, softmax): the character after each window.
many_to_many  (its agenda)   LSTM(units, return_sequences) + Dense(V, softmax) at every step:
                             the window shifted by one.
Sparse integer targets with sparse categorical cross-entropy are the lecture's one-hot
targets with categorical cross-entropy, without the one-hot arrays.

Outputs: models/text_<variant>.keras, plots/text_<variant>_history.csv, runs/text_<variant>.json
(the MLflow run that text_evaluate and text_generate log into as well).
"""
import numpy as np

from stages import params, tracking, variants, vocab
from stages.errors import run
from stages.outputs import all_or_nothing, write_csv

EXPERIMENT = "sixpence"


def main():
    v = variants.from_argv("text_train")
    stage, section = f"text_train@{v.name}", f"text_train.{v.name}"
    p = params.load(stage, {section: params.TRAIN})[section]
    voc, meta = vocab.load("data/text/vocab.json")
    X, y = v.windows(np.load("data/text/ids.npy"), meta["window"])

    import mlflow
    from mlflow.models import infer_signature

    from stages import models, textgen

    run_params = {**p, "variant": v.name, "window": meta["window"], "vocab_size": len(voc),
                  "corpus": meta["corpus"], "samples": len(X)}
    with all_or_nothing(v.model, v.history, v.run), \
            tracking.new_run(EXPERIMENT, v.name, stage, v.run, run_params):
        mlflow.log_dict(voc.to_json(), "vocab.json")
        mlflow.keras.autolog(log_models=False, log_datasets=False, silent=True)
        models.seed_everything(p["seed"])
        model = models.text_model(v.name, len(voc), p["units"])
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      optimizer=models.optimizer(p["optimizer"], p["learning_rate"]))
        history = model.fit(X, y, epochs=p["epochs"], batch_size=p["batch_size"], verbose=0)
        model.save(v.model)
        write_csv(v.history, {"epoch": range(1, p["epochs"] + 1), **history.history})
        mlflow.keras.log_model(model, name=f"sixpence_{v.name}",
                               signature=infer_signature(X[:1], model.predict_on_batch(X[:1])),
                               pip_requirements=tracking.pip_requirements())
        # The served generator (prompts in, text out), registered as sixpence-<variant>.
        example = [voc.decode(X[0])]  # the corpus's first window
        mlflow.pyfunc.log_model(
            name="generator", python_model="stages/generator.py", code_paths=["stages"],
            artifacts={"model": v.model, "vocab": "data/text/vocab.json"},
            signature=infer_signature(example, example, params=textgen.GENERATOR_PARAMS),
            pip_requirements=tracking.pip_requirements(),
            registered_model_name=v.registered_name)
    h = history.history
    print(f"{stage}: loss {h['loss'][-1]:.4f}, accuracy {h['accuracy'][-1]:.4f} "
          f"after {p['epochs']} epochs; {v.model}")


if __name__ == "__main__":
    run(main)
