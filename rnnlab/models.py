"""Keras model builders and training guards shared by the train stages."""
import math
import sys

import keras

from rnnlab.errors import LabError
from rnnlab.variants import VARIANTS

OPTIMIZERS = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam,
              "rmsprop": keras.optimizers.RMSprop}


def seed_everything(seed):
    """Python, numpy and TensorFlow seeds, and deterministic TF kernels: same params, same numbers."""
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


STEPS_PER_EXECUTION = 32
"""Training batches run per call into TensorFlow: the same updates in the same order (the
same numbers, tested), with Python's per-batch overhead paid once per 32 batches (~3 s of
each text model's 18 s on the rhyme)."""

def stop_on_nan():
    """Keras' TerminateOnNaN: training ends at the first batch whose loss is NaN or infinite
    (a diverged network learns nothing more), and check_converged then says why."""
    return keras.callbacks.TerminateOnNaN()


def check_converged(history, section, hint=""):
    """LabError naming the likely params if a loss of ``history`` (Keras' History.history)
    is not finite: the stage then writes no model and no metrics."""
    for key in ("loss", "val_loss"):
        for epoch, value in enumerate(history.get(key, []), 1):
            if not math.isfinite(value):
                raise LabError(f"training diverged: {key} is {value} at epoch {epoch}; lower "
                               f"'{section}.learning_rate'{hint}")


class EpochLog(keras.callbacks.Callback):
    """Each epoch's metrics into the active MLflow run (step = epoch, from 0) and onto the
    terminal: Keras' Progbar when stdout is a terminal, else one line every tenth of the epochs
    and at the last, so that training on a large corpus never looks hung and a log stays short.

    In place of ``mlflow.keras.autolog``, which also logged some thirty fit and optimizer
    fields as params (``optimizer_learning_rate 0.0010000000474974513`` beside params.yaml's
    ``learning_rate 0.001``) and gave a logged model its first epoch's metrics."""

    def __init__(self, stage, epochs, stream=None):
        super().__init__()
        self.stage, self.epochs = stage, epochs
        self.stream = stream or sys.stdout
        self.bar = None
        if self.stream.isatty():
            self.bar = keras.utils.Progbar(epochs, unit_name="epoch", stateful_metrics=None)
        self.every = max(1, epochs // 10)

    def on_epoch_end(self, epoch, logs=None):
        import mlflow

        values = {key: float(value) for key, value in (logs or {}).items()}
        mlflow.log_metrics(values, step=epoch)
        if self.bar is not None:
            self.bar.stateful_metrics = set(values)  # show this epoch's values, not a mean
            self.bar.update(epoch + 1, values=list(values.items()))
        elif (epoch + 1) % self.every == 0 or epoch + 1 == self.epochs:
            shown = ", ".join(f"{key} {value:.4g}" for key, value in values.items())
            print(f"{self.stage}: epoch {epoch + 1}/{self.epochs}: {shown}", file=self.stream,
                  flush=True)


def summary(model):
    """Keras' model summary as text (logged beside the model: layers, shapes, weights)."""
    lines = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    return "\n".join(lines) + "\n"


LAYERS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM,
          "gru": keras.layers.GRU}


def optimizer(name, learning_rate):
    return OPTIMIZERS[name](learning_rate=float(learning_rate))


def series_model(name, steps, features, layer, units):
    """A window of ``steps`` rows of ``features`` values -> the next value: a recurrent
    layer, then one linear output. The lecture's sine model is SimpleRNN(10) over (3, 1)."""
    return keras.Sequential([
        keras.Input((steps, features)),
        LAYERS[layer](units),
        keras.layers.Dense(1, activation="linear"),
    ], name=f"{name}_{layer}")


def compiled_series_model(name, steps, features, p):
    """The untrained series model for train params ``p``, seeded and compiled with mse: the
    train stage fits it; the evaluate stage rebuilds it to score 'before training'."""
    seed_everything(p["seed"])
    model = series_model(name, steps, features, p["layer"], p["units"])
    model.compile(loss="mse", optimizer=optimizer(p["optimizer"], p["learning_rate"]),
                  steps_per_execution=STEPS_PER_EXECUTION)
    return model


def text_model(variant, vocab_size, units):
    """Character LSTM over integer ids of any length; ``many_to_one`` predicts the character
    after the sequence, ``many_to_many`` the next character at every step.

    The one-hot encoding the lecture does with ``to_categorical`` happens inside the model,
    so no (samples, window, vocabulary) array is ever built: a frozen identity embedding
    maps id i < vocab_size to the i-th unit vector and the padding id ``vocab_size``
    (``Vocab.pad``) to all zeros, which no character encodes to; ``Masking`` then makes the
    LSTM skip padded steps, so a left-padded prompt gives exactly what the prompt alone gives.
    Built-in layers only: the saved model loads anywhere Keras does.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown text model variant {variant!r}")
    ids = keras.Input((None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(vocab_size + 1, vocab_size, embeddings_initializer="identity",
                               trainable=False, name="one_hot")(ids)
    x = keras.layers.Masking(0.0, name="skip_padding")(x)
    x = keras.layers.LSTM(units, return_sequences=variant == "many_to_many", name="lstm")(x)
    probs = keras.layers.Dense(vocab_size, activation="softmax", name="next_char")(x)
    return keras.Model(ids, probs, name=variant)
