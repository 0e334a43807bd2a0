"""How encoding and one epoch of training scale with corpus size (prints figures, asserts nothing).

For generated corpora of 0.5, 1 and 2 MB (MB = 2**20 bytes throughout) it prints the encode
time (what the text_encode stage does: read and normalise the file, encode it, split off 10%; best of 5),
the time of one training epoch over streamed windows (rnnlab.nets.streams.window_batches, sparse
targets) and the peak RSS of each phase, measured in a fresh child process per phase; beside
them, the size the lecture's one-hot (N, window, vocabulary) float32 array and its (N, window)
int32 window array would have had (computed, never allocated).

Run from the repository root:  .venv/bin/python benchmarks/text_scale.py [--sizes 0.5 1 2]
    [--window 10] [--units 75] [--batch-size 256] [--variant many_to_one] [--time-limit 1800]

Past --time-limit, as on Ctrl-C, SIGTERM or an error, the phase's child still running is
stopped, the corpora removed, and it exits with one `error:` line (benchmarks/lifetime.py).

Reading it: the ratios at the end are relative to the smallest corpus. Times should grow about
like the characters ratio; the training peak RSS should stay nearly flat (it is mostly TensorFlow
itself), while the one-hot array grows like the characters ratio. On a shared machine wall times
follow the other load (see the load averages printed); the training CPU time follows it less.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import rnnlab  # noqa: E402,F401  (sets the TensorFlow environment defaults, inherited by children)
from benchmarks import lifetime  # noqa: E402

MB = 2**20
TIME_LIMIT = 1800  # seconds: the default sizes take about six minutes
SOURCES = [ROOT / "data" / "sixpence.txt", ROOT / "README.md"]
OPTIMIZER, LEARNING_RATE, SEED = "adam", 0.001, 0  # as params.yaml's text_train sections
GENERATED = ("words drawn (numpy default_rng(0)) with their frequencies in data/sixpence.txt + "
             "README.md, in capitalised sentences of 4-15 words with commas and . ? ! endings, "
             "wrapped at 72 columns, 2-6 sentences per paragraph")


def write_corpus(path, size_mb):
    """An English-looking ASCII text of exactly ``size_mb`` MB, the same for the same size."""
    import collections
    import re
    import textwrap

    import numpy as np

    source = "".join(p.read_text(encoding="utf-8") for p in SOURCES)
    counts = collections.Counter(w.lower() for w in re.findall(r"[A-Za-z]+(?:'[a-z]+)?", source))
    words, freq = list(counts), np.array(list(counts.values()), dtype=float)
    freq /= freq.sum()
    rng = np.random.default_rng(SEED)
    target, size, paragraphs = round(size_mb * MB), 0, []
    while size < target:
        sentences = []
        for _ in range(rng.integers(2, 7)):
            chosen = [words[i] for i in rng.choice(len(words), rng.integers(4, 16), p=freq)]
            chosen = [w + "," if rng.random() < 0.08 else w for w in chosen[:-1]] + chosen[-1:]
            sentence = " ".join(chosen) + rng.choice([".", "?", "!"], p=[0.85, 0.1, 0.05])
            sentences.append(sentence[0].upper() + sentence[1:])
        paragraphs.append(textwrap.fill(" ".join(sentences), width=72) + "\n\n")
        size += len(paragraphs[-1])
    Path(path).write_bytes("".join(paragraphs).encode("ascii")[:target])
    return {"bytes": target}


def encode(corpus, args):
    from rnnlab.data import vocab
    from stages import text_encode

    times = []
    for _ in range(5):  # the best of 5: a fraction of a second is at the mercy of other load
        start = time.perf_counter()  # what text_encode does: read, normalise, encode, split
        voc, ids = vocab.encode_corpus(text_encode.read_corpus(corpus, args.window))
        text_encode.split(ids, 0.1, args.window)
        times.append(time.perf_counter() - start)
    seconds = min(times)
    return {"characters": len(ids), "vocab": len(voc), "windows": len(ids) - args.window,
            "encode_s": seconds}


def train(corpus, args):
    from rnnlab.data import variants, vocab
    from rnnlab.nets import models, streams
    from stages import text_encode

    voc, ids = vocab.encode_corpus(text_encode.read_corpus(corpus, args.window))
    ids, _ = text_encode.split(ids, 0, args.window)
    models.seed_everything(SEED)
    model = models.text_model(args.variant, len(voc), args.units)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  optimizer=models.optimizer(OPTIMIZER, LEARNING_RATE))
    batches = streams.window_batches(ids, args.window, variants.SPLITS[args.variant],
                                     args.batch_size, shuffle=True, seed=SEED)
    # shuffle=False: the batches are shuffled already (Keras would only warn that it ignores it).
    start, cpu = time.perf_counter(), time.process_time()
    history = model.fit(batches, epochs=1, verbose=0, shuffle=False)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"windows": len(ids) - args.window, "train_s": seconds, "train_cpu_s": cpu,
            "loss": history.history["loss"][-1]}


def in_child(phase, corpus, args, size):
    """Run one phase in a fresh process: its JSON result plus its own peak RSS in MB.

    A spawned child's ru_maxrss starts from this process's RSS (vfork + exec), so this process
    stays small (no numpy, no TensorFlow): even the corpus is written by a child."""
    options = ["--sizes", str(size), "--window", str(args.window), "--units", str(args.units),
               "--batch-size", str(args.batch_size), "--variant", args.variant]
    proc = subprocess.Popen([sys.executable, __file__, "--child", phase, corpus, *options],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"text_scale: the {phase} child failed on {corpus} (exit {proc.returncode})")
    return {**json.loads(out.splitlines()[-1]), "peak_mb": usage.ru_maxrss * 1024 / MB}


COLUMNS = [("size MB", "{:>7.2f}"), ("characters", "{:>10,}"), ("vocab", "{:>5}"),
           ("windows", "{:>10,}"), ("encode s", "{:>8.3f}"), ("encode peak RSS MB", "{:>18.1f}"),
           ("train 1 epoch s", "{:>15.1f}"), ("train CPU s", "{:>11.1f}"),
           ("train peak RSS MB", "{:>17.1f}"),
           ("one-hot would be MB", "{:>19,.1f}"), ("int32 windows would be MB", "{:>25.1f}")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.5, 1, 2], help="corpus MB")
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--units", type=int, default=75)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--variant", default="many_to_one", choices=["many_to_one", "many_to_many"])
    parser.add_argument("--child", nargs=2, metavar=("PHASE", "CORPUS"), help=argparse.SUPPRESS)
    lifetime.add_time_limit(parser, TIME_LIMIT)
    args = parser.parse_args()
    if args.child:
        phase, corpus = args.child
        if phase == "generate":
            result = write_corpus(corpus, args.sizes[0])
        else:
            result = {"encode": encode, "train": train}[phase](corpus, args)
        print(json.dumps(result), flush=True)
        return
    lifetime.limit(args.time_limit)

    print(f"Corpora: {GENERATED}; whitespace collapsed by stages.text_encode.read_corpus.\n"
          f"Training: {args.variant}, LSTM({args.units}), window {args.window}, batch "
          f"{args.batch_size}, {OPTIMIZER} {LEARNING_RATE}, 1 epoch, shuffled (seed {SEED}); "
          f"each phase in a fresh process (peak RSS = that process's ru_maxrss; train CPU s = "
          f"CPU time of all its threads during the epoch, less sensitive than wall time to other "
          f"load). Load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.\n",
          flush=True)
    print(" | ".join(name for name, _ in COLUMNS), flush=True)
    rows = []
    with lifetime.scratch("text_scale_") as tmp:
        for size in args.sizes:
            corpus = os.path.join(tmp, f"corpus_{size}MB.txt")
            in_child("generate", corpus, args, size)
            enc, fit = in_child("encode", corpus, args, size), in_child("train", corpus, args, size)
            n, v = enc["windows"], enc["vocab"]
            row = [size, enc["characters"], v, n, enc["encode_s"], enc["peak_mb"], fit["train_s"],
                   fit["train_cpu_s"], fit["peak_mb"], n * args.window * v * 4 / MB,
                   n * args.window * 4 / MB]
            rows.append(row)
            print(" | ".join(fmt.format(x) for (_, fmt), x in zip(COLUMNS, row))
                  + f"   (loss after the epoch {fit['loss']:.3f})", flush=True)

    print(f"\nGrowth relative to the {args.sizes[0]} MB corpus:")
    for name, col in [("characters", 1), ("encode time", 4), ("train time", 6),
                      ("train CPU time", 7), ("train peak RSS", 8), ("one-hot size", 9)]:
        ratios = ", ".join(f"{row[col] / rows[0][col]:.2f}x" for row in rows)
        print(f"  {name:<15} {ratios}", flush=True)
    launcher = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB
    print(f"(this launcher's own peak RSS: {launcher:.1f} MB, the floor of every child's figure; "
          f"load average at the end: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    lifetime.run(main)
