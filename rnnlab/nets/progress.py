"""Training progress, epoch by epoch: handed over to a sink and shown on the terminal (a Keras
callback; the train stages import it and give it rnnlab/tracking/runs.py's ``EpochMetrics``,
which sends the epochs to the model's MLflow run: the lesson's code imports no MLflow). It
reports; it changes no number of the training."""
import sys

from rnnlab.nets import keras


class EpochLog(keras.callbacks.Callback):
    """Each epoch's metrics to ``sink`` (``add(epoch, values)``, then ``send()`` when it says
    ``due(last=...)``: the train stages' sink puts them into the active MLflow run, step =
    epoch, from 0) and onto the terminal: Keras' Progbar when stdout is a terminal, else one line every tenth of the epochs
    and at the last, so that training on a large corpus never looks hung and a log stays short.

    The train stages' store gets them ten seconds at most after each epoch, several epochs to a
    request (rnnlab/tracking/runs.py, ``EpochMetrics``).

    Not ``mlflow.keras.autolog``: that also logs some thirty fit and optimizer fields as params
    (``optimizer_learning_rate 0.0010000000474974513`` beside params.yaml's
    ``learning_rate 0.001``) and gives a logged model its first epoch's metrics."""

    def __init__(self, stage, epochs, sink, stream=None):
        super().__init__()
        self.stage, self.epochs = stage, epochs
        self.stream = stream or sys.stdout
        self.bar = None
        if self.stream.isatty():
            self.bar = keras.utils.Progbar(epochs, unit_name="epoch", stateful_metrics=None)
        self.every = max(1, epochs // 10)
        self.metrics = sink

    def on_epoch_end(self, epoch, logs=None):
        values = {key: float(value) for key, value in (logs or {}).items()}
        self.metrics.add(epoch, values)
        if self.metrics.due(last=epoch + 1 == self.epochs):
            self.metrics.send()
        if self.bar is not None:
            self.bar.stateful_metrics = set(values)  # show this epoch's values, not a mean
            self.bar.update(epoch + 1, values=list(values.items()))
        elif (epoch + 1) % self.every == 0 or epoch + 1 == self.epochs:
            shown = ", ".join(f"{key} {value:.4g}" for key, value in values.items())
            print(f"{self.stage}: epoch {epoch + 1}/{self.epochs}: {shown}", file=self.stream,
                  flush=True)

    def on_train_end(self, logs=None):
        self.metrics.send()  # an early stop's last epochs
