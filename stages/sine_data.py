"""Stage sine_data: the lecture's sampled sine wave, its training windows and a held-out
future (numpy only).

s[n] = A sin(2 pi f n / fs) (+ Gaussian noise of std `noise`, seeded) for n = 0 .. n_samples
+ held_out - 1. The model trains on the first n_samples values, the lecture's series:
X[i] = s[i : i+window], Y[i] = s[i+window]; with the defaults (20 samples, fs 10, f 1,
window 3) X (17, 3, 1) and Y (17, 1), as in the lecture. The next held_out values are the
future it never sees: their windows start in the last `window` training values, so every
held-out target is a sample after the training series.

Outputs: data/sine/train.npz and data/sine/held_out.npz, each with t (seconds), s (its part
of the series), X and Y (its windows and targets).
"""
import numpy as np

from stages import params, windows
from stages.errors import LabError, run
from stages.outputs import all_or_nothing

STAGE = "sine_data"
TRAIN, HELD_OUT = "data/sine/train.npz", "data/sine/held_out.npz"


def sine_series(amplitude, frequency, sampling_rate, n_samples, noise=0.0, seed=0):
    """Times and values; the noise of the first k samples does not depend on n_samples."""
    t = np.arange(n_samples) / sampling_rate
    s = amplitude * np.sin(2 * np.pi * frequency * t)
    if noise:
        s = s + noise * np.random.default_rng(seed).standard_normal(n_samples)
    return t, s


def split(t, s, n_train, window):
    """{'train': ..., 'held_out': ...}: t, s, X (windows, window, 1), Y (windows, 1) each.
    Training windows lie in s[:n_train]; held-out targets are s[n_train:], each predicted
    from the `window` values before it."""
    X, y = windows.next_step(s[:n_train], window)
    X_held, y_held = windows.next_step(s[n_train - window:], window)
    return {"train": {"t": t[:n_train], "s": s[:n_train],
                      "X": X[..., np.newaxis], "Y": y[:, np.newaxis]},
            "held_out": {"t": t[n_train:], "s": s[n_train:],
                         "X": X_held[..., np.newaxis], "Y": y_held[:, np.newaxis]}}


def main():
    p = params.load(STAGE, {STAGE: params.SINE_DATA})[STAGE]
    if p["n_samples"] < p["window"] + 1:
        raise LabError(f"params.yaml: 'sine_data.n_samples' ({p['n_samples']}) must be at least "
                       f"'sine_data.window' + 1 ({p['window'] + 1})")
    t, s = sine_series(p["amplitude"], p["frequency"], p["sampling_rate"],
                       p["n_samples"] + p["held_out"], p["noise"], p["seed"])
    parts = split(t, s, p["n_samples"], p["window"])
    with all_or_nothing(TRAIN, HELD_OUT):
        np.savez(TRAIN, **parts["train"])
        np.savez(HELD_OUT, **parts["held_out"])
    print(f"sine_data: {len(s)} samples; trains on {p['n_samples']}: X {parts['train']['X'].shape}; "
          f"holds out the next {p['held_out']}")


if __name__ == "__main__":
    run(main)
