"""Streamed windows are exactly the lecture's windows, in batches, with sparse targets."""
import numpy as np
import pytest

from rnnlab.data import windows
from rnnlab.data.variants import SPLITS
from rnnlab.nets import models, streams


def collect(batches):
    xs, ys = zip(*((x.numpy(), y.numpy()) for x, y in batches))
    return np.concatenate(xs), np.concatenate(ys)


@pytest.mark.parametrize("kind,reference", [("many_to_one", windows.next_step),
                                            ("many_to_many", windows.shifted)])
def test_in_order_batches_are_the_numpy_windows(kind, reference):
    ids = np.random.default_rng(0).integers(0, 30, 503).astype(np.int32)
    X, y = collect(streams.window_batches(ids, 10, SPLITS[kind], 64))
    X_ref, y_ref = reference(ids, 10)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)  # integer ids, not one-hot vectors
    assert X.dtype == np.int32 and y.ndim == X_ref.ndim - (kind == "many_to_one")


def test_shuffled_batches_hold_every_window_once_in_a_seeded_order():
    ids = np.arange(300, dtype=np.int32)  # a window is known by its first id
    split = SPLITS["many_to_one"]
    first, _ = collect(streams.window_batches(ids, 5, split, 32, shuffle=True, seed=1))
    again, _ = collect(streams.window_batches(ids, 5, split, 32, shuffle=True, seed=1))
    other, _ = collect(streams.window_batches(ids, 5, split, 32, shuffle=True, seed=2))
    assert sorted(first[:, 0]) == list(range(295))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.array_equal(first[:, 0], np.arange(295))


def test_every_epoch_has_a_new_order_and_the_same_orders_for_the_same_seed():
    ids = np.arange(200, dtype=np.int32)
    split = SPLITS["many_to_one"]

    def epochs(seed):
        batches = streams.window_batches(ids, 4, split, 16, shuffle=True, seed=seed)
        return [collect(batches)[0][:, 0] for _ in range(3)]  # each pass is an epoch of fit()

    first = epochs(0)
    assert all(sorted(order) == list(range(196)) for order in first)
    assert not np.array_equal(first[0], first[1]) and not np.array_equal(first[1], first[2])
    for a, b in zip(first, epochs(0)):
        np.testing.assert_array_equal(a, b)


def test_each_pass_has_the_order_of_the_key_keras_used_when_it_made_two_passes_an_epoch():
    """Epoch e's order is index_shuffle with the key of the (2e+1)-th pass of the seeded stream
    that draws anew every pass: the orders of the trainings before fit got steps_per_epoch
    (one pass an epoch instead of two), so the same params still train the same models."""
    import tensorflow as tf

    ids = np.arange(120, dtype=np.int32)
    window, batch, seed = 4, 16, 3
    count = len(ids) - window
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    keys = [int(next(iter(draws))) for _ in range(6)][::2]
    batches = streams.window_batches(ids, window, SPLITS["many_to_one"], batch, shuffle=True,
                                     seed=seed)
    assert models.epoch_batches(batches, batch) == -(-count // batch) \
        == int(batches.cardinality())  # (counting by a pass would use up its keys)
    for key in keys:
        expected = [int(tf.random.experimental.index_shuffle(
            tf.constant(i, tf.int64), tf.constant([key, seed], tf.int64), count - 1))
            for i in range(count)]
        np.testing.assert_array_equal(collect(batches)[0][:, 0], expected)
