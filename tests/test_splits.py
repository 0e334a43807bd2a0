"""Held-out splits (no leakage), the sine baselines and forecasts, and corpus encoding."""
import numpy as np
import pytest

from rnnlab.core.errors import LabError
from rnnlab.data import series, vocab, windows
from rnnlab.scores import forecast
from stages.sine_data import sine_series
from stages.text_encode import split as text_split


def positions(ids, window):
    """Every position that some window (inputs and target) of ``ids`` touches."""
    return set(np.unique(windows.pairs(ids, window)))


@pytest.mark.parametrize("n,val,window", [(406, 0.1, 10), (1000, 0.25, 7), (50, 0.3, 5)])
def test_text_split_is_contiguous_with_a_gap_and_no_shared_position(n, val, window):
    ids = np.arange(n)  # each id is its own position
    train, held = text_split(ids, val, window)
    assert len(held) == round(val * n) and held[-1] == n - 1 and train[0] == 0
    np.testing.assert_array_equal(np.diff(train), 1)  # contiguous
    np.testing.assert_array_equal(np.diff(held), 1)
    assert held[0] - train[-1] - 1 == window  # a gap of exactly the window
    # No training window (inputs or target) shares a position with any held-out window,
    # and none comes within a window of one: shuffling training windows cannot leak.
    assert not positions(train, window) & positions(held, window)
    assert min(positions(held, window)) - max(positions(train, window)) > window


def test_no_held_out_text_trains_on_everything():
    ids = np.arange(406)
    train, held = text_split(ids, 0.0, 10)
    np.testing.assert_array_equal(train, ids)
    assert len(held) == 0


@pytest.mark.parametrize("val,fragment", [(0.01, "holds out 4 of 406"), (0.95, "leaves")])
def test_text_split_too_small_is_refused(val, fragment):
    with pytest.raises(LabError, match=fragment):
        text_split(np.arange(406), val, 10)


def sine_parts(n_train, held_out, frequency=1.0, noise=0.0):
    """The parts sine_data writes, as series.load_parts returns them."""
    t, s = sine_series(1.0, frequency, 10, n_train + held_out, noise=noise)
    cut = {"train": slice(0, n_train), "val": slice(n_train, n_train), "test": slice(n_train, None)}
    return {k: {"time": t[c], "values": s[c, np.newaxis]} for k, c in cut.items()}, s


def test_sine_defaults_train_on_the_lecture_series_and_hold_out_its_future():
    parts, s = sine_parts(20, 15)
    X, Y = series.part_windows(parts, "train", 3)
    # The lecture: X.append(s[i-3:i]); Y.append(s[i]) for i in range(3, 20): X (17, 3, 1)
    _, lecture = sine_series(1.0, 1.0, 10, 20)
    assert X.shape == (17, 3, 1) and Y.shape == (17,)
    np.testing.assert_array_equal(X[..., 0], [lecture[i - 3:i] for i in range(3, 20)])
    np.testing.assert_array_equal(Y, lecture[3:])
    # Test part: the 15 samples after the training series, each predicted from the 3 before it.
    X_test, Y_test = series.part_windows(parts, "test", 3)
    np.testing.assert_array_equal(Y_test, s[20:])
    np.testing.assert_array_equal(X_test[..., 0], [s[i - 3:i] for i in range(20, 35)])


def test_noise_is_seeded_and_does_not_depend_on_the_held_out_length():
    _, a = sine_series(1.0, 1.0, 10, 20, noise=0.1, seed=3)
    _, b = sine_series(1.0, 1.0, 10, 40, noise=0.1, seed=3)
    _, c = sine_series(1.0, 1.0, 10, 20, noise=0.1, seed=4)
    _, clean = sine_series(1.0, 1.0, 10, 20)
    np.testing.assert_array_equal(a, b[:20])  # changing held_out keeps the training data
    assert not np.array_equal(a, c)
    assert 0.02 < np.std(a - clean) < 0.3


def test_ar_is_exact_for_a_clean_sine_and_persistence_is_the_last_value():
    parts, s = sine_parts(20, 40)
    X, y = series.part_windows(parts, "train", 3)
    ar = forecast.ar(X, y)
    X_test, y_test = series.part_windows(parts, "test", 3)
    np.testing.assert_allclose(ar(X_test), y_test, atol=1e-9)
    future = forecast.autoregress(ar, s[17:20, np.newaxis], 40)  # fed back, 40 steps: still exact
    np.testing.assert_allclose(future, s[20:], atol=1e-9)
    np.testing.assert_array_equal(forecast.persistence(X), s[2:19])
    flat = forecast.autoregress(forecast.persistence, s[17:20, np.newaxis], 5)
    np.testing.assert_array_equal(flat, [s[19]] * 5)


def held_out_repeats(frequency, noise=0.0):
    """forecast.repeats of the test windows (20 trained samples, 20 held out, window 3)."""
    parts, _ = sine_parts(20, 20, frequency, noise)
    return forecast.repeats(*series.part_windows(parts, "test", 3),
                            *series.part_windows(parts, "train", 3))


def test_held_out_windows_of_a_clean_sine_repeat_the_training_ones_and_noisy_ones_do_not():
    assert held_out_repeats(1.0) == 1.0  # 1 Hz at 10 samples/s: a period of 10 samples
    assert held_out_repeats(1.0, noise=0.1) == 0.0
    # 0.3 Hz: a period of 33 1/3 samples, longer than the training series and never whole
    assert held_out_repeats(0.3) == 0.0


def test_autoregress_feeds_predictions_back():
    seen = []

    def predict(raw):
        seen.append(raw[0, :, 0].tolist())
        return raw[:, -1, 0] + 1

    assert forecast.autoregress(predict, [[1.0], [2.0]], 3).tolist() == [3.0, 4.0, 5.0]
    assert seen == [[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]]


def test_scores_put_the_predictors_of_a_metric_side_by_side():
    e = forecast.scores([1.0, 2.0], {"model": np.array([1.0, 4.0]), "persistence": np.zeros(2)})
    assert e["mse"] == {"model": 2.0, "persistence": 2.5}
    assert e["mae"] == {"model": 1.0, "persistence": 1.5}
    assert e["theil_u"]["model"] == pytest.approx(np.sqrt(2.0 / 2.5))
    assert e["mape"]["persistence"] == pytest.approx(100.0)


def test_a_byte_order_mark_is_not_a_character(tmp_path):
    from stages.text_encode import read_corpus

    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffSing a song of sixpence".encode("utf-8"))
    assert read_corpus(str(path), 10) == "Sing a song of sixpence"


def test_encode_corpus_equals_the_dictionary_encoding():
    text = "Sing a song of sixpence, 노래해요 🎶 a pocket full of rye"
    voc, ids = vocab.encode_corpus(text)
    reference = vocab.Vocab.from_text(text)
    assert voc.chars == reference.chars
    np.testing.assert_array_equal(ids, reference.encode(text))
    assert ids.dtype == np.int32 and voc.decode(ids) == text
