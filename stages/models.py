"""Keras model builders shared by the train, evaluate and generate stages."""
import keras

from stages.variants import VARIANTS

OPTIMIZERS = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam,
              "rmsprop": keras.optimizers.RMSprop}


def seed_everything(seed):
    """Python, numpy and TensorFlow seeds, and deterministic TF kernels: same params, same numbers."""
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def optimizer(name, learning_rate):
    return OPTIMIZERS[name](learning_rate=learning_rate)


def sine_model(window, units):
    """The lecture's model: SimpleRNN(units) over (window, 1) inputs, then one linear output."""
    return keras.Sequential([
        keras.Input((window, 1)),
        keras.layers.SimpleRNN(units),
        keras.layers.Dense(1, activation="linear"),
    ], name="sine_simple_rnn")


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
