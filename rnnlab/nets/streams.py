"""Training and evaluation windows streamed from a split's ids (tf.data).

Each batch gathers its windows of ``window + 1`` ids out of the 1-D id array when it is
needed: memory holds the ids and a few batches; no array of all windows, no shuffle buffer,
and no one-hot (windows, window, vocabulary) array at all (the models one-hot inside, see
models.text_model). The ``split`` of the model's kind (rnnlab/data/variants.py: SPLITS) then makes
inputs and sparse integer targets of each batch. One gather per batch, not per window as
``keras.utils.timeseries_dataset_from_array`` does (it also keeps one start index per window).
"""
import tensorflow as tf

from rnnlab.data.windows import EVAL_BATCH  # noqa: F401  (windows per batch when only predicting)


def window_batches(ids, window, split, batch_size, shuffle=False, seed=0):
    """Batches of (inputs (B, window), targets) over every window of ``ids``: in order, or
    with ``shuffle`` in a new order every epoch (seeded: same seed, same orders)."""
    ids = tf.constant(ids)
    count = len(ids) - window
    offsets = tf.range(window + 1, dtype=tf.int64)

    def batches(order=None):
        starts = tf.data.Dataset.range(count).batch(batch_size)
        if order is not None:
            starts = starts.map(order)
        return starts.map(lambda first: split(tf.gather(ids, first[:, tf.newaxis] + offsets)))

    if not shuffle:
        return batches().prefetch(tf.data.AUTOTUNE)

    # Each epoch (each pass over the dataset) draws a new key from a seeded stream; window i
    # then goes to place index_shuffle(i) of a pseudo-random permutation of all windows,
    # computed batch by batch, so no order of `count` indices is ever held.
    def epoch(key):
        seed_pair = tf.stack([key, tf.constant(seed, tf.int64)])
        return batches(lambda i: tf.random.experimental.index_shuffle(i, seed_pair, count - 1))

    keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    shuffled = keys.flat_map(epoch)  # tf.data cannot count flat_map's batches; Keras must know:
    known = tf.data.experimental.assert_cardinality(-(-count // batch_size))
    return shuffled.apply(known).prefetch(tf.data.AUTOTUNE)
