"""Stage sine_train: the lecture's SimpleRNN learns the next sample of the sine wave.

SimpleRNN(units) + Dense(1, linear), mean squared error, optimizer and learning rate from
params.yaml (the lecture: SGD at Keras' default 0.01, 100 epochs, seed 0).

Outputs: models/sine.keras, plots/sine_history.csv (loss per epoch), runs/sine.json (the
MLflow run that sine_evaluate logs into as well).
"""
import numpy as np

from stages import params, tracking
from stages.sine_data import TRAIN
from stages.errors import run
from stages.outputs import all_or_nothing, write_csv

STAGE = "sine_train"
MODEL, HISTORY, RUN = "models/sine.keras", "plots/sine_history.csv", "runs/sine.json"
EXPERIMENT = "sine"


def build(data_params, train_params):
    """The untrained model, seeded: sine_evaluate rebuilds it to show 'before training'."""
    from stages import models

    models.seed_everything(train_params["seed"])
    model = models.sine_model(data_params["window"], train_params["units"])
    model.compile(loss="mse", optimizer=models.optimizer(train_params["optimizer"],
                                                         train_params["learning_rate"]))
    return model


def main():
    p = params.load(STAGE, {"sine_data": {"window": params.SINE_DATA["window"]},
                            "sine_train": params.TRAIN})
    train = p["sine_train"]
    with np.load(TRAIN) as data:  # the lecture's series; the held-out future stays unseen
        X, Y = data["X"], data["Y"]

    import mlflow
    from mlflow.models import infer_signature

    run_params = {**train, "window": p["sine_data"]["window"], "samples": len(X)}
    with all_or_nothing(MODEL, HISTORY, RUN), \
            tracking.new_run(EXPERIMENT, "sine", STAGE, RUN, run_params):
        mlflow.keras.autolog(log_models=False, log_datasets=False, silent=True)
        model = build(p["sine_data"], train)
        history = model.fit(X, Y, epochs=train["epochs"], batch_size=train["batch_size"],
                            verbose=0)
        model.save(MODEL)
        write_csv(HISTORY, {"epoch": range(1, train["epochs"] + 1), **history.history})
        mlflow.keras.log_model(model, name="sine_simple_rnn",
                               signature=infer_signature(X[:1], model.predict_on_batch(X[:1])),
                               pip_requirements=tracking.pip_requirements())
    print(f"sine_train: loss {history.history['loss'][0]:.4f} -> {history.history['loss'][-1]:.4f} "
          f"after {train['epochs']} epochs; {MODEL}")


if __name__ == "__main__":
    run(main)
