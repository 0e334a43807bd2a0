"""Keras model builders shared by the train, evaluate and generate stages."""
import keras

from stages.vocab import PAD

OPTIMIZERS = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam,
              "rmsprop": keras.optimizers.RMSprop}
TEXT_VARIANTS = ("many_to_one", "many_to_many")


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


@keras.saving.register_keras_serializable(package="rnnlab")
class OneHot(keras.layers.Layer):
    """Integer ids (batch, time) -> one-hot vectors (batch, time, vocab_size), masking PAD.

    PAD (-1) encodes to all zeros, which no real character does, and the mask makes the
    LSTM skip those steps, so a left-padded prompt gives exactly what the prompt alone gives.
    (``CategoryEncoding`` would do the encoding but treats a length-1 sequence as one id.)
    """

    def __init__(self, vocab_size, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size

    def call(self, ids):
        return keras.ops.one_hot(keras.ops.cast(ids, "int32"), self.vocab_size)

    def compute_mask(self, ids, mask=None):
        return keras.ops.not_equal(ids, PAD)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.vocab_size)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size}


def text_model(variant, vocab_size, units):
    """Character LSTM over integer ids of any length.

    The one-hot encoding the lecture does with ``to_categorical`` happens inside the model
    (no (N, window, vocab) array is built), and PAD ids are masked. ``many_to_one`` predicts the character after the sequence, ``many_to_many`` the
    next character at every step.
    """
    if variant not in TEXT_VARIANTS:
        raise ValueError(f"unknown text model variant {variant!r}")
    ids = keras.Input((None,), dtype="int32", name="ids")
    x = OneHot(vocab_size, name="one_hot")(ids)
    x = keras.layers.LSTM(units, return_sequences=variant == "many_to_many", name="lstm")(x)
    probs = keras.layers.Dense(vocab_size, activation="softmax", name="next_char")(x)
    return keras.Model(ids, probs, name=variant)
