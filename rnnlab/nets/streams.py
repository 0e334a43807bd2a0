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
    with ``shuffle`` in a new order every pass (seeded: same seed, same orders). The dataset
    knows how many batches a pass holds, which models.fit tells Keras, so that it starts one
    pass an epoch."""
    ids = tf.constant(ids)
    count = len(ids) - window
    offsets = tf.range(window + 1, dtype=tf.int64)

    def batches(order=lambda first: first):  # one function an epoch: each costs at every start
        def gather(first):
            return split(tf.gather(ids, order(first)[:, tf.newaxis] + offsets))
        return tf.data.Dataset.range(count).batch(batch_size).map(gather)

    if not shuffle:
        return batches().prefetch(tf.data.AUTOTUNE)

    # Each pass (epoch) draws a new key from a seeded stream; window i then goes to place
    # index_shuffle(i) of a pseudo-random permutation of all windows, computed batch by batch,
    # so no order of `count` indices is ever held.
    def epoch(key):
        seed_pair = tf.stack([key, tf.constant(seed, tf.int64)])
        return batches(lambda i: tf.random.experimental.index_shuffle(i, seed_pair, count - 1))

    # The key of a pass: the first of two draws, each from a new pass of a stream that draws
    # anew every pass (rerandomize_each_iteration). Two, because Keras started two passes an
    # epoch before steps_per_epoch, and the epoch had the first one's: the same params give
    # the same orders, and the same models, as they did then.
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    shuffled = tf.data.Dataset.zip(draws, draws).flat_map(lambda key, _second: epoch(key))
    # tf.data cannot count flat_map's batches; Keras must know:
    known = tf.data.experimental.assert_cardinality(-(-count // batch_size))
    return shuffled.apply(known).prefetch(tf.data.AUTOTUNE)
