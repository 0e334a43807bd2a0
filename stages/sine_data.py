"""Stage sine_data: the lecture's sampled sine wave and its training windows (numpy only).

s[n] = A sin(2 pi f n / fs) for n = 0 .. n_samples-1; X[i] = s[i : i+window], Y[i] = s[i+window].
With the defaults (20 samples, fs 10, f 1, window 3): X (17, 3, 1) and Y (17, 1).

Output: data/sine.npz with arrays t (seconds), s (the series), X and Y.
"""
import numpy as np

from stages import params, windows
from stages.errors import LabError, run
from stages.outputs import all_or_nothing

OUT = "data/sine.npz"


def sine_series(amplitude, frequency, sampling_rate, n_samples):
    t = np.arange(n_samples) / sampling_rate
    return t, amplitude * np.sin(2 * np.pi * frequency * t)


def main():
    p = params.load("sine_data", {"sine_data": params.SINE_DATA})["sine_data"]
    if p["n_samples"] < p["window"] + 1:
        raise LabError(f"params.yaml: 'sine_data.n_samples' ({p['n_samples']}) must be at least "
                       f"'sine_data.window' + 1 ({p['window'] + 1})")
    t, s = sine_series(p["amplitude"], p["frequency"], p["sampling_rate"], p["n_samples"])
    X, y = windows.next_step(s, p["window"])
    X, Y = X[..., np.newaxis], y[:, np.newaxis]  # (samples, window, 1) and (samples, 1)
    with all_or_nothing(OUT):
        np.savez(OUT, t=t, s=s, X=X, Y=Y)
    print(f"sine_data: {len(s)} samples -> X {X.shape}, Y {Y.shape} in {OUT}")


if __name__ == "__main__":
    run(main)
