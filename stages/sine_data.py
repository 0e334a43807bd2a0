"""Stage sine_data: the lecture's sampled sine wave and a held-out future (numpy only).

s[n] = A sin(2 pi f n / fs) (+ Gaussian noise of std `noise`, seeded) for n = 0 .. n_samples
+ held_out - 1. The network trains on the first n_samples values, the lecture's series: with
the defaults (20 samples, fs 10, f 1, window 3) its windows are X (17, 3, 1) and Y (17, 1),
as in the lecture. The next held_out values are the test part, the future it never sees; the
sine has no validation part.

Outputs, at the paths dvc.yaml's cmd names: the three parts (--train, --val, --test: time
in seconds, values, columns) and the meta record (--meta), the files every series stage of
the sine's models reads (rnnlab/data/series.py).
"""
import numpy as np

from rnnlab import params
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import LabError, run
from rnnlab.core.outputs import all_or_nothing
from rnnlab.data import limits, series
from rnnlab.tracking import names

STAGE = "sine_data"


def sine_series(amplitude, frequency, sampling_rate, n_samples, noise=0.0, seed=0):
    """Times and values; the noise of the first k samples does not depend on n_samples."""
    t = np.arange(n_samples) / sampling_rate
    s = amplitude * np.sin(2 * np.pi * frequency * t)
    if noise:
        s = s + noise * np.random.default_rng(seed).standard_normal(n_samples)
    return t, s


def arguments():
    parser = Arguments(STAGE)
    for name in series.PARTS:
        parser.path(name, f"the {name} part written (.npz)")
    parser.path("meta", "the series' meta record written (JSON)")
    return parser.parse_args()


def main():
    args = arguments()
    p = params.load(STAGE, STAGE)[STAGE]
    if p["n_samples"] < p["window"] + 1:
        raise LabError(f"params.yaml: 'sine_data.n_samples' ({p['n_samples']}) must be at least "
                       f"'sine_data.window' + 1 ({p['window'] + 1})")
    limits.check_size(p["n_samples"] + p["held_out"], p["window"], 1,
                      "'sine_data.n_samples' + 'sine_data.held_out'")
    with np.errstate(all="ignore"):  # an overflow is refused just below, in one line
        t, s = sine_series(p["amplitude"], p["frequency"], p["sampling_rate"],
                           p["n_samples"] + p["held_out"], p["noise"], p["seed"])
    limits.check_float32(s, "'sine_data.amplitude', '.frequency', '.sampling_rate' or '.noise' "
                            "(amplitude * sin(2 pi frequency n / sampling_rate) + noise overflows)")
    files = series.part_files(args)
    with all_or_nothing(*files.values(), args.meta):
        series.save_parts(files, args.meta, t, s[:, np.newaxis], ["s"],
                          (p["n_samples"], 0, p["held_out"]),
                          source="sine_data params", time="seconds", experiment=names.SINE)
    print(f"sine_data: {len(s)} samples; trains on {p['n_samples']}: X "
          f"({p['n_samples'] - p['window']}, {p['window']}, 1); holds out the next {p['held_out']}")


if __name__ == "__main__":
    run(main)
