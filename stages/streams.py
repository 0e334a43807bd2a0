"""Training and evaluation windows streamed from a split's ids (tf.data, via Keras).

``keras.utils.timeseries_dataset_from_array`` cuts each batch of windows of ``window + 1``
ids out of the 1-D id array as it is needed, so memory holds the ids, one index per window
and a few batches: no (windows, window) array, and no one-hot (windows, window, vocabulary)
array at all (the models one-hot inside, see models.text_model). A variant's ``split``
(stages.windows) then makes inputs and sparse integer targets of each batch.
"""
import keras


def window_batches(ids, window, split, batch_size, shuffle=False, seed=None):
    """Batches of (inputs (B, window), targets) over every window of ``ids``, in order unless
    ``shuffle`` (seeded: same seed, same order)."""
    batches = keras.utils.timeseries_dataset_from_array(
        ids, None, sequence_length=window + 1, batch_size=batch_size, shuffle=shuffle, seed=seed)
    return batches.map(split)
