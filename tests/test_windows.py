import numpy as np
import pytest

from rnnlab.data import windows
from stages.sine_data import sine_series


def test_lecture_sine_windows():
    t, s = sine_series(amplitude=1.0, frequency=1.0, sampling_rate=10, n_samples=20)
    X, y = windows.next_step(s, 3)
    assert X.shape == (17, 3) and y.shape == (17,)
    # the lecture's loop: X.append(s[i-seq_len:i]); Y.append(s[i]) for i in range(3, 20)
    np.testing.assert_array_equal(X, np.array([s[i - 3:i] for i in range(3, 20)]))
    np.testing.assert_array_equal(y, s[3:])
    np.testing.assert_allclose(s[:3], [0.0, 0.58778525, 0.95105652], atol=1e-8)
    assert t[1] == pytest.approx(0.1)


def test_shifted_targets_are_inputs_moved_by_one():
    series = np.arange(12)
    X, Y = windows.shifted(series, 4)
    assert X.shape == Y.shape == (8, 4)
    np.testing.assert_array_equal(X[:, 1:], Y[:, :-1])
    np.testing.assert_array_equal(Y[:, -1], series[4:])


def test_windows_are_views_not_copies():
    series = np.arange(1000)
    X, _ = windows.next_step(series, 50)
    assert np.shares_memory(X, series)


@pytest.mark.parametrize("length,window", [(3, 3), (0, 1), (5, 0)])
def test_too_short_series_is_refused(length, window):
    with pytest.raises(ValueError):
        windows.next_step(np.arange(length), window)
