"""Keras model builders and training guards shared by the train stages."""
import math

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
