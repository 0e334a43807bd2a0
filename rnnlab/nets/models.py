"""The Keras models of the train stages: built, compiled and fitted, with the guards every
training shares (seeds, a stop on NaN, a loss that must stay finite)."""
import math
import warnings

from rnnlab.core.errors import LabError
from rnnlab.nets import keras

OPTIMIZERS = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam,
              "rmsprop": keras.optimizers.RMSprop}
RECURRENT_LAYERS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM,
                    "gru": keras.layers.GRU}
"""The recurrent layer a series network uses (``<series>_train.layer``)."""
TEXT_KINDS = ("many_to_one", "many_to_many")
"""What a character model predicts (``text_train.<variant>.kind``): the character after the
window, or the next character at every step of it."""

STEPS_PER_EXECUTION = 32
"""Training batches run per call into TensorFlow: the same updates in the same order (the
same numbers, tested), with Python's per-batch overhead paid once per 32 batches rather than
once per batch, which on a small model is much of an epoch."""


def seed_everything(seed):
    """Python, numpy and TensorFlow seeds, and deterministic TF kernels: same params, same numbers."""
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def optimizer(name, learning_rate, clipnorm=0):
    """Keras optimizer ``name``; with ``clipnorm`` > 0, each gradient's norm is clipped to it."""
    clip = {"clipnorm": float(clipnorm)} if clipnorm else {}
    return OPTIMIZERS[name](learning_rate=float(learning_rate), **clip)


# ---- the networks ----

def series_model(name, steps, features, layer, units):
    """A window of ``steps`` rows of ``features`` values -> the next value: a recurrent
    layer, then one linear output. The lecture's sine model is SimpleRNN(10) over (3, 1)."""
    return keras.Sequential([
        keras.Input((steps, features)),
        RECURRENT_LAYERS[layer](units),
        keras.layers.Dense(1, activation="linear"),
    ], name=f"{name}_{layer}")


def compiled_series_model(name, steps, features, p):
    """The untrained series model for train params ``p``, seeded and compiled with mse."""
    seed_everything(p["seed"])
    model = series_model(name, steps, features, p["layer"], p["units"])
    model.compile(loss="mse", steps_per_execution=STEPS_PER_EXECUTION,
                  optimizer=optimizer(p["optimizer"], p["learning_rate"], p.get("clipnorm", 0)))
    return model


def text_model(kind, vocab_size, units, name=None, layer="lstm"):
    """Character model over integer ids of any length: a recurrent ``layer`` (the lecture's
    LSTM, or GRU, SimpleRNN) of ``units``; kind ``many_to_one`` predicts the character after the
    sequence, ``many_to_many`` the next character at every step. ``name``: the model's
    (default: its kind).

    The one-hot encoding the lecture does with ``to_categorical`` happens inside the model,
    so no (samples, window, vocabulary) array is ever built: a frozen identity embedding
    maps id i < vocab_size to the i-th unit vector and the padding id ``vocab_size``
    (``Vocab.pad``) to all zeros, which no character encodes to; ``Masking`` then makes the
    LSTM skip padded steps, so a left-padded prompt gives exactly what the prompt alone gives.
    Built-in layers only: the saved model loads anywhere Keras does.
    """
    if kind not in TEXT_KINDS:
        raise ValueError(f"unknown kind of text model {kind!r}")
    ids = keras.Input((None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(vocab_size + 1, vocab_size, embeddings_initializer="identity",
                               trainable=False, name="one_hot")(ids)
    x = keras.layers.Masking(0.0, name="skip_padding")(x)
    x = RECURRENT_LAYERS[layer](units, return_sequences=kind == "many_to_many", name=layer)(x)
    probs = keras.layers.Dense(vocab_size, activation="softmax", name="next_char")(x)
    return keras.Model(ids, probs, name=name or kind)


def compiled_text_model(name, vocab_size, p):
    """The untrained character model of variant ``name`` for its params ``p`` (kind, units,
    optimizer, ...), seeded and compiled with sparse categorical cross-entropy: the lecture's
    categorical cross-entropy on one-hot targets, without the one-hot arrays."""
    seed_everything(p["seed"])
    model = text_model(p["kind"], vocab_size, p["units"], name=name, layer=p["layer"])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=STEPS_PER_EXECUTION,
                  optimizer=optimizer(p["optimizer"], p["learning_rate"]))
    return model


# ---- training ----

def fit(model, data, section, p, validation=None, hint="", callbacks=()):
    """Train ``model`` on ``data`` ((inputs, targets) arrays, batched by ``p['batch_size']``, or
    a dataset of batches) for ``p['epochs']``, scoring ``validation`` (the same kind) after
    each; with ``p['patience']`` > 0 and a validation part, stop once its loss has not
    improved for that many epochs and keep the best epoch's weights (Keras' EarlyStopping);
    with ``p['stop_below']`` > 0, stop once the training loss is below it. ``callbacks``: more
    Keras callbacks (a train stage's report of each epoch to its MLflow run and the terminal,
    rnnlab/nets/progress.py, its sink given by the stage: the lesson's code records nothing
    itself).

    Keras is told every epoch's batches (steps_per_epoch, validation_steps: ``epoch_batches``,
    counted for arrays, the count a dataset holds for a dataset): it then starts
    its input pipeline once an epoch, where it otherwise starts another ahead of every epoch
    that is never read (docs/speed.md). The same batches in the same order: the same numbers.

    Returns Keras' history ({metric: [per epoch]}) and the epoch whose weights the model holds.
    LabError naming ``section``'s learning rate (and ``hint``) if the loss is not finite."""
    epochs, patience = p["epochs"], p.get("patience", 0)
    stop = (keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                          restore_best_weights=True)
            if patience and validation is not None else None)
    below = [StopBelow(p["stop_below"])] if p.get("stop_below") else []
    if isinstance(data, tuple):
        inputs, targets = data
        batching = {"batch_size": p["batch_size"]}
    else:  # batched and shuffled already: Keras' own shuffle would do nothing, and says so
        inputs, targets, batching = data, None, {}
        warnings.filterwarnings("ignore", message="`shuffle=True` was passed")
    steps = {"steps_per_epoch": epoch_batches(data, p["batch_size"]),
             "validation_steps": epoch_batches(validation, p["batch_size"])}
    batching.update({key: count for key, count in steps.items() if count})
    history = model.fit(inputs, targets, validation_data=validation, epochs=epochs, verbose=0,
                        callbacks=[stop_on_nan(), *callbacks, *([stop] if stop else []),
                                   *below],
                        **batching).history
    check_converged(history, section, hint)
    kept = stop.best_epoch if stop and stop.stopped_epoch else len(history["loss"]) - 1
    return history, kept


def epoch_batches(part, batch_size):
    """The batches of one pass over ``part`` (Keras' steps_per_epoch): of ``batch_size`` for
    (inputs, targets) arrays, the count a dataset of batches holds (rnnlab/nets/streams.py's
    streams know theirs); None for no part, or a dataset that cannot count its batches."""
    if part is None:
        return None
    if isinstance(part, tuple):
        return -(-len(part[0]) // batch_size)
    count = int(part.cardinality())
    return count if count > 0 else None


def load(path):
    """A saved model, with its optimizer's state (a compiled model's file keeps it)."""
    return keras.saving.load_model(path)


def continue_training(model, inputs, targets, epochs, batch_size, seed, section):
    """More epochs of ``model``'s training on (inputs, targets), where it left off (its
    optimizer's state too), seeded; nothing logged to MLflow (a walk-forward fold's training
    is not the run's training). LabError naming ``section`` if the loss is not finite."""
    seed_everything(seed)
    history = model.fit(inputs, targets, epochs=epochs, batch_size=batch_size, verbose=0,
                        steps_per_epoch=epoch_batches((inputs, targets), batch_size),  # (see fit)
                        callbacks=[stop_on_nan()]).history
    check_converged(history, section)
    return history


def predict(model, inputs):
    """The model's single output for each input, (n,) float64."""
    return model.predict(inputs, batch_size=1024, verbose=0)[:, 0].astype("float64")


class StopBelow(keras.callbacks.Callback):
    """Stop training after the first epoch whose training loss is below ``threshold``: the
    budget of a comparison that is met, not spent (Keras' EarlyStopping waits for the loss to
    stop improving instead, and its ``baseline`` stops a loss that does not reach a value)."""

    def __init__(self, threshold):
        super().__init__()
        self.threshold = threshold

    def on_epoch_end(self, epoch, logs=None):
        if (logs or {}).get("loss", float("inf")) < self.threshold:
            self.model.stop_training = True


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
