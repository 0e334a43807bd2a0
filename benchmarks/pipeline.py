"""Benchmark: the lecture's two Keras scripts against the DVC pipeline of examples 1-3
(prints figures and ratios side by side, asserts nothing).

In one invocation, everything in a temporary directory (removed at the end unless --keep):

1. The lecture's example 1 (sine SimpleRNN) and example 2 (sixpence many-to-one LSTM, trained,
   saved, loaded and asked for 20 greedy characters after 'Sing a son', 'king was i', 'hello
   worl'), written as the lecture writes them (Keras 3 adjustments commented), each run as its
   own fresh Python process and timed as a whole, TensorFlow import included: wall time and
   peak RSS of each, and their sum.
2. A cold `dvc repro` of examples 1-3 (series_evaluate@sine, text_evaluate@* and
   text_generate@*, and everything they depend on; not `report`, which needs example 4's stock
   stages) in a fresh copy of the project: a new git repo with no outputs, no DVC cache and its
   own mlflow.db. The stages run one by one in dependency order (`dvc repro --single-item`,
   each a process waited for with os.wait4, whose ru_maxrss covers its largest descendant,
   i.e. the stage's Python process): wall time and peak RSS per stage. The cold repro's figure
   is one `dvc repro` of the targets in another fresh copy, as a user runs it; the ratio cold
   repro / lecture scripts is taken from it.
3. A no-op `dvc repro` of the same targets right after: wall time.
4. `dvc repro` after setting text_train.many_to_one.units=64 in params.yaml: wall time and
   the stages that ran.
5. Greedy generation characters/s on the same trained model (models/text_many_to_one.keras
   of the cold repro, units 75): the lecture's loop (one model.predict per character, one
   prompt at a time) beside the pipeline's rnnlab.textgen.generate (all prompts per step,
   on rnnlab.inference.load_model's model where the copy has that function, else Keras'),
   whether their first 20 characters agree, and the time of one 10,000-character request.
6. A summary table: figure | lecture | pipeline | ratio | target, with the targets of the
   project's issue marked met / not met.

Run from the repository root:  .venv/bin/python benchmarks/pipeline.py [--source head|worktree]
    [--keep] [--timeout 900]

--source head (the default) benchmarks the last commit (`git archive HEAD`); --source worktree
copies the working tree's files as they are now (those git tracks plus untracked, not ignored
ones, such as a new module), to measure uncommitted work. Either way the outputs git tracks
(dvc.lock, metrics/, plots/, runs/, reports/) are left out, and the copy is committed to a new
git repo inside the temporary directory. It takes several minutes on two cores.

Reading it: every figure is one run on a possibly shared machine (load averages are printed);
the per-stage figures include DVC's own start-up and checks for every stage (about what the
no-op repro costs), which a single `dvc repro` pays once. Peak RSS is in MB (2**20 bytes).
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's bin: dvc, and the python dvc runs stages with
MB = 2**20
TARGETS = ["series_evaluate@sine", "text_evaluate@many_to_one", "text_evaluate@many_to_many",
           "text_generate@many_to_one", "text_generate@many_to_many"]
OUTPUTS = ["dvc.lock", "metrics", "plots", "runs", "reports"]  # outputs git tracks: left out
PROMPTS = ["Sing a son", "king was i", "hello worl"]  # the lecture's (and params.yaml's)
LECTURE_SECONDS = 2.0  # the lecture's loop repeats until at least this much work is timed
PIPELINE_LENGTH, REQUEST_LENGTH = 2000, 10_000
TARGET = {"cold": 1.5, "noop_s": 2.0, "stage_s": 3.0, "stage_mb": 300.0, "speedup": 500.0,
          "request_s": 2.0}

# ---- the lecture's two scripts (../shared/seed/rnn-lecture.txt), Keras 3 ----

SINE = '''\
# Example 1: the lecture's SimpleRNN predicting the next sample of a sine wave.
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import SimpleRNN, Dense

# sample list: 20 samples (2 s at fs = 10), [0, 1, 2, ..., 19]
n = np.arange(0, 2 * 10)
fs = 10; Ts = 1 / fs
s = np.sin(2 * np.pi * 1 * n * Ts)    # (20,) samples

# training set X, Y
seq_len = 3
X = []; Y = []
for i in range(seq_len, 20, 1):
    X.append(s[i - seq_len:i])  # s[0:3]
    Y.append(s[i])              # s[3]
X = np.array(X); Y = np.array(Y)
X = np.expand_dims(X, axis=2)   # (17, 3, 1)
Y = np.expand_dims(Y, axis=1)   # (17, 1)
print(X.shape, Y.shape)

# SRNN model
# Keras 3: np.random.seed(0) no longer seeds Keras' initialisers; set_random_seed seeds
# Python, NumPy and the backend.
keras.utils.set_random_seed(0)
model = Sequential()
model.add(keras.Input((3, 1)))  # Keras 3: an Input instead of SimpleRNN(..., input_shape=(3, 1))
model.add(SimpleRNN(10))
model.add(Dense(1, activation="linear"))
model.compile(loss='mse', optimizer='sgd')

Y_hat1 = model.predict(X)                      # randomly initialised
hist = model.fit(X, Y, epochs=100, verbose=0)  # training
Y_hat2 = model.predict(X)                      # predicted after training

# The lecture's two plots (targets, Y_hat1, Y_hat2; the loss per epoch) are skipped: the
# benchmark times the computation, not matplotlib. Instead (added for the benchmark):
print("RESULT mse before training %.4f, after %.4f, loss after the last epoch %.4f"
      % (np.mean((Y_hat1 - Y) ** 2), np.mean((Y_hat2 - Y) ** 2), hist.history['loss'][-1]))
'''

SIXPENCE = '''\
# Example 2: the lecture's many-to-one character LSTM on "Sing a song of sixpence".
import json
import numpy as np
import keras
from keras.utils import to_categorical
from keras.models import Sequential, load_model
from keras.layers import Dense, LSTM
from keras.preprocessing.sequence import pad_sequences

keras.utils.set_random_seed(0)  # Keras 3: seeds Python, NumPy and the backend (the lecture sets none here)

# ---- data set ----
with open(CORPUS, 'r') as f:
    raw_text = f.read()
text = raw_text.split()  # strip the new lines: separated only by white space
text = ' '.join(text)    # Sing a song of sixpence, a pocket full of rye, Four and twenty ...
alphabet = sorted(list(set(text)))
vocab_size = len(alphabet)  # 34
mapping_c2i = {c: i for i, c in enumerate(alphabet)}
text_encoded = [mapping_c2i[c] for c in text]
length = 10
sequence = np.array([text_encoded[i - length:i + 1] for i in range(length, len(text_encoded))])
X, y = sequence[:, :-1], sequence[:, -1]
X_oh = to_categorical(X, num_classes=vocab_size)  # (396, 10, 34)
y_oh = to_categorical(y, num_classes=vocab_size)  # (396, 34)
print(X_oh.shape, y_oh.shape)

# ---- model ----
model = Sequential(name="many-to-one_RNN")  # Keras 3 refuses spaces in a model's name
model.add(keras.Input((X_oh.shape[1], X_oh.shape[2])))  # Keras 3: Input instead of input_shape=
model.add(LSTM(75))
model.add(Dense(vocab_size, activation='softmax'))
print(model.summary())
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
hist = model.fit(X_oh, y_oh, epochs=100, verbose=0)  # the lecture prints every epoch (verbose=2)
model.save('model_many2one_sixpence.keras')  # Keras 3: .keras instead of .h5
json.dump(mapping_c2i, open('mapping.json', 'w'))  # the lecture pickles it; this lab keeps JSON
print("RESULT loss after the last epoch %.4f, accuracy %.4f"
      % (hist.history['loss'][-1], hist.history['accuracy'][-1]))  # added for the benchmark


# ---- evaluation: generate 20 characters after each seed text ----
def generate_seq(model, seq_length, seed_text='Sing a son', nb_chars=20):
    in_text = seed_text
    for _ in range(nb_chars):
        encoded = [mapping_c2i[char] for char in in_text]
        encoded = pad_sequences([encoded], maxlen=seq_length, truncating='pre')  # (1, 10)
        encoded_ohe = to_categorical(encoded, num_classes=len(mapping_c2i))     # (1, 10, 34)
        # Keras 3 has no predict_classes: the argmax of predict's probabilities
        yhat = np.argmax(model.predict(encoded_ohe, verbose=0), axis=-1)
        char = mapping_i2c[yhat[0]]
        in_text += char
    return in_text


model = load_model('model_many2one_sixpence.keras')  # Keras 3: .keras instead of .h5
mapping_c2i = json.load(open('mapping.json'))
mapping_i2c = {v: k for k, v in mapping_c2i.items()}
for seed_text in ['Sing a son', 'king was i', 'hello worl']:
    print("RESULT", repr(generate_seq(model, 10, seed_text, 20)))
'''


# ---- running and measuring processes ----

def clean_env():
    """The venv first on PATH (dvc runs stages as `python -m ...`), MLflow's default store."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    return env


def measure(cmd, cwd, log, timeout):
    """Run ``cmd`` in its own process group, output to ``log``; its wall time, peak RSS (MB,
    the largest of the process and its waited-for descendants), exit code and output."""
    with open(log, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=clean_env(), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # only the group this benchmark started
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = Path(log).read_text(errors="replace")
    return {"wall": wall, "peak_mb": usage.ru_maxrss * 1024 / MB, "rc": proc.returncode,
            "timed_out": timed_out.is_set(), "out": text, "log": str(log)}


def check(result, what):
    if result["rc"] or result["timed_out"]:
        why = "timed out" if result["timed_out"] else f"exit {result['rc']}"
        tail = "\n".join(result["out"].splitlines()[-30:])
        raise RuntimeError(f"{what} failed ({why}); the end of {result['log']}:\n{tail}")
    return result


def stages_run(output):
    return re.findall(r"Running stage '([^']+)'", output)


def stage_order(dot, targets):
    """The stages ``targets`` need, each after its dependencies (a depth-first post-order over
    `dvc dag --dot`'s edges, the targets in the order given): the order `dvc repro` runs them."""
    deps = {}
    for a, b in re.findall(r'"([^"]+)" -> "([^"]+)"', dot):
        deps.setdefault(b, []).append(a)
    order = []

    def visit(stage):
        if stage not in order:
            for dep in deps.get(stage, []):
                visit(dep)
            order.append(stage)

    for target in targets:
        visit(target)
    return order


def dvc(*args):
    return [str(BIN / "dvc"), *args]


# ---- the temporary copy of the project ----

def git(*args, cwd=ROOT, **kw):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          timeout=120, **kw).stdout


def copy_project(dest, source):
    """The project's files (HEAD's or the working tree's), without the outputs git tracks,
    committed to a new git repo at ``dest``."""
    dest.mkdir()
    if source == "head":
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"],
                                 check=True, capture_output=True, timeout=120).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True, timeout=120)
    else:
        names = git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
        for name in filter(None, names):
            src = ROOT / name
            if src.is_file():  # a tracked file deleted in the working tree is skipped
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / name)
    for name in OUTPUTS:
        path = dest / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    ident = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
             "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    git("init", "-q", "-b", "main", cwd=dest)
    git("add", "-A", cwd=dest)
    git("commit", "-qm", "copy of the project", cwd=dest, env={**os.environ, **ident})


def describe_source(source):
    commit = git("rev-parse", "--short", "HEAD").strip()
    changed = [line for line in git("--no-optional-locks", "status", "--porcelain").splitlines()
               if line.strip()]
    if source == "head":
        note = (f"; {len(changed)} file(s) differ in the working tree and are NOT measured "
                f"(--source worktree measures them)" if changed else "")
        return f"HEAD {commit}{note}"
    return (f"the working tree as of now (HEAD {commit} plus {len(changed)} changed/untracked "
            f"path(s): {', '.join(line[3:] for line in changed) or 'none'})")


# ---- step 5, in a child process (TensorFlow stays out of the launcher) ----

def generation_child(lab, model_path, vocab_path):
    """Both ways of greedy generation on one saved model; prints one JSON line."""
    sys.path.insert(0, lab)
    os.chdir(lab)
    import rnnlab  # noqa: F401  (the copy's TensorFlow environment defaults, as in its stages)
    import keras
    import numpy as np
    from rnnlab import textgen, vocab

    voc, meta = vocab.load(vocab_path)
    window = meta["window"]
    result = {"window": window}

    # (a) the lecture's loop: one model.predict per character, one prompt at a time.
    start = time.perf_counter()
    kmodel = keras.saving.load_model(model_path)
    result["keras_load_s"] = time.perf_counter() - start
    mapping_c2i, mapping_i2c = voc.index, dict(enumerate(voc.chars))

    def generate_seq(model, seq_length, seed_text, nb_chars):
        in_text = seed_text
        for _ in range(nb_chars):
            encoded = [mapping_c2i[char] for char in in_text]
            encoded = keras.utils.pad_sequences([encoded], maxlen=seq_length, truncating='pre')
            # The lecture one-hot encodes here (to_categorical, (1, 10, 34)) and predicts on
            # that; the pipeline's model takes integer ids and one-hot encodes inside (a frozen
            # identity Embedding), so it gets the (1, 10) ids: the same one predict() call per
            # character over one window, the work pattern being measured.
            yhat = np.argmax(model.predict(encoded, verbose=0), axis=-1)
            in_text += mapping_i2c[int(yhat[0])]
        return in_text

    generate_seq(kmodel, window, PROMPTS[0], 2)  # warm-up (builds predict's function): untimed
    lecture_texts, chars, start = None, 0, time.perf_counter()
    while True:
        texts = [generate_seq(kmodel, window, p, 20) for p in PROMPTS]
        lecture_texts = lecture_texts or texts
        chars += 20 * len(PROMPTS)
        elapsed = time.perf_counter() - start
        if elapsed >= LECTURE_SECONDS:
            break
    result["lecture"] = {"chars": chars, "seconds": elapsed, "cps": chars / elapsed,
                         "texts": lecture_texts}

    # (b) the pipeline's way: textgen.generate, one call per character for all prompts at once.
    try:
        from rnnlab import inference
        loader = getattr(inference, "load_model", None)
    except ImportError:  # a copy from before rnnlab/inference.py
        loader = None
    start = time.perf_counter()
    if loader:
        model, result["loader"] = loader(model_path), "rnnlab.inference.load_model (NumPy)"
    else:
        model = keras.saving.load_model(model_path)
        result["loader"] = "keras.saving.load_model (this copy has no rnnlab.inference.load_model)"
    result["pipeline_load_s"] = time.perf_counter() - start
    textgen.generate(model, voc, PROMPTS, 2, window)  # warm-up, as for the lecture's loop
    first = textgen.generate(model, voc, PROMPTS, 20, window)
    start = time.perf_counter()
    long = textgen.generate(model, voc, PROMPTS, PIPELINE_LENGTH, window)
    elapsed = time.perf_counter() - start
    result["pipeline"] = {"chars": PIPELINE_LENGTH * len(PROMPTS), "seconds": elapsed,
                          "cps": PIPELINE_LENGTH * len(PROMPTS) / elapsed, "texts": first,
                          "long_starts_alike": all(t.startswith(f) for t, f in zip(long, first))}
    start = time.perf_counter()
    request = textgen.generate(model, voc, PROMPTS[:1], REQUEST_LENGTH, window)[0]
    elapsed = time.perf_counter() - start
    result["request"] = {"chars": REQUEST_LENGTH, "seconds": elapsed,
                         "cps": REQUEST_LENGTH / elapsed, "tail": request[-60:]}
    if loader:  # beside it: the same function on the Keras model (what the NumPy pass buys)
        length = 200
        textgen.generate(kmodel, voc, PROMPTS, 2, window)
        start = time.perf_counter()
        textgen.generate(kmodel, voc, PROMPTS, length, window)
        elapsed = time.perf_counter() - start
        result["pipeline_keras"] = {"chars": length * len(PROMPTS), "seconds": elapsed,
                                    "cps": length * len(PROMPTS) / elapsed}
    print(json.dumps(result), flush=True)


# ---- the launcher ----

def fmt_ratio(x):
    if x is None:
        return "–"
    return f"{x:,.0f}x" if x >= 100 else f"{x:.2f}x" if x >= 0.1 else f"1/{1 / x:,.0f}"


def verdict(ok):
    return "met" if ok else "NOT met"


def bench(args, tmp):
    lab, logs, lecture = tmp / "lab", tmp / "logs", tmp / "lecture"
    logs.mkdir()
    lecture.mkdir()
    copy_project(lab, args.source)
    sys.path.insert(0, str(lab))
    import rnnlab  # noqa: F401  (the copy's TensorFlow environment defaults, inherited by every
    # child: the lecture's scripts get the same kernels (oneDNN off) and quiet logs as the stages)

    print(f"Project: {describe_source(args.source)}.\n"
          f"Temporary copy: {lab} (a new git repo, no outputs, no DVC cache, its own mlflow.db; "
          f"MLFLOW_TRACKING_URI unset, {BIN} first on PATH). Every figure is one run of a fresh "
          f"process; peak RSS = its ru_maxrss from os.wait4, the largest of it and its "
          f"descendants, in MB. {os.cpu_count()} CPUs, load average at start "
          f"{os.getloadavg()[0]:.1f}.\n", flush=True)

    # 1. the lecture's two scripts
    print("1. The lecture's scripts, each a fresh `python <script>` (TensorFlow import included)",
          flush=True)
    (lecture / "sine.py").write_text(SINE)
    corpus = lab / "data" / "sixpence.txt"
    (lecture / "sixpence.py").write_text(f"CORPUS = {str(corpus)!r}  # the lecture's "
                                         f"'data/rnn_sixpence_data.txt'\n" + SIXPENCE)
    lec = {}
    for name in ("sine", "sixpence"):
        r = lec[name] = check(measure([sys.executable, f"{name}.py"], lecture,
                                      logs / f"lecture_{name}.log", args.timeout),
                              f"the lecture's {name}.py")
        print(f"   {name + '.py':<12} {r['wall']:6.1f} s   peak RSS {r['peak_mb']:6.1f} MB", flush=True)
        for line in r["out"].splitlines():
            if line.startswith("RESULT "):
                print(f"      {line[7:]}")
    lecture_total = lec["sine"]["wall"] + lec["sixpence"]["wall"]
    print(f"   {'sum':<12} {lecture_total:6.1f} s   (largest peak "
          f"{max(r['peak_mb'] for r in lec.values()):.1f} MB)\n", flush=True)

    # 2. a cold repro in one call (what a user runs), then stage by stage in a second copy
    once_lab = tmp / "lab-once"
    copy_project(once_lab, args.source)
    once = check(measure(dvc("repro", *TARGETS), once_lab, logs / "cold_once.log", args.timeout),
                 "cold dvc repro")
    once_ratio = once["wall"] / lecture_total
    print(f"2. Cold `dvc repro {' '.join(TARGETS)}` (examples 1-3; `report` is left out: it "
          f"depends on example 4's stock stages), in one call: {once['wall']:.1f} s (peak RSS "
          f"{once['peak_mb']:.1f} MB); the lecture's scripts {lecture_total:.1f} s; cold repro / "
          f"lecture scripts = {once_ratio:.2f}x", flush=True)
    shutil.rmtree(once_lab, ignore_errors=True)
    print("   The same in a second fresh copy, one `dvc repro --single-item <stage>` per "
          "stage, each after the stages it depends on (from `dvc dag`: `dvc repro --dry` fails in "
          "a cold copy, on the missing data of the stages after the first):", flush=True)
    dag = check(measure(dvc("dag", "--dot"), lab, logs / "dag.log", args.timeout), "dvc dag")
    order = stage_order(dag["out"], TARGETS)
    print(f"   order: {' -> '.join(order)}", flush=True)
    print(f"   {'#':>2}  {'stage':<28} {'wall s':>7} {'peak RSS MB':>12}", flush=True)
    stages = {}
    for i, stage in enumerate(order, 1):
        r = stages[stage] = check(measure(dvc("repro", "--single-item", stage), lab,
                                          logs / f"cold_{i:02d}_{stage}.log", args.timeout),
                                  f"dvc repro --single-item {stage}")
        ran = stages_run(r["out"])
        note = "" if ran == [stage] else f"   (ran: {ran})"
        print(f"   {i:>2}  {stage:<28} {r['wall']:7.1f} {r['peak_mb']:12.1f}{note}", flush=True)
    cold = sum(r["wall"] for r in stages.values())
    print(f"   sum of the {len(order)}: {cold:.1f} s ({cold - once['wall']:.1f} s more than one "
          f"call: DVC's start-up and checks, paid once per call)\n", flush=True)
    bench_dir = tmp / "bench"  # the trained model of the cold repro (units 75), kept for step 5
    bench_dir.mkdir()
    model_path = shutil.copy2(lab / "models" / "text_many_to_one.keras", bench_dir)
    vocab_path = shutil.copy2(lab / "data" / "text" / "vocab.json", bench_dir)

    # 3. no-op
    noop = check(measure(dvc("repro", *TARGETS), lab, logs / "noop.log", args.timeout),
                 "no-op dvc repro")
    print(f"3. No-op `dvc repro` of the same targets: {noop['wall']:.1f} s, stages run: "
          f"{stages_run(noop['out']) or 'none'}\n", flush=True)

    # 4. one param changed
    import yaml

    params_file = lab / "params.yaml"
    params = yaml.safe_load(params_file.read_text())
    params["text_train"]["many_to_one"]["units"] = 64
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    change = check(measure(dvc("repro", *TARGETS), lab, logs / "units64.log", args.timeout),
                   "dvc repro after text_train.many_to_one.units=64")
    changed_stages = stages_run(change["out"])
    print(f"4. `dvc repro` after text_train.many_to_one.units=64: {change['wall']:.1f} s "
          f"(peak RSS {change['peak_mb']:.1f} MB), stages run: "
          f"{', '.join(changed_stages) or 'none'}\n", flush=True)

    # 5. greedy generation
    gen = check(measure([sys.executable, str(Path(__file__).resolve()), "--child-generate",
                         str(lab), model_path, vocab_path], lab, logs / "generate.log",
                        args.timeout), "the generation child")
    g = json.loads(gen["out"].strip().splitlines()[-1])
    lcps, pcps = g["lecture"]["cps"], g["pipeline"]["cps"]
    speedup = pcps / lcps
    same = [a == b for a, b in zip(g["lecture"]["texts"], g["pipeline"]["texts"])]
    print(f"5. Greedy generation on the cold repro's models/text_many_to_one.keras (LSTM(75), "
          f"window {g['window']}), one process (peak RSS {gen['peak_mb']:.1f} MB), each way "
          f"warmed up by an untimed call:\n"
          f"   lecture:  keras.saving.load_model ({g['keras_load_s']:.3f} s), model.predict(ids, "
          f"verbose=0) + argmax per character, one prompt at a time: {g['lecture']['chars']} "
          f"characters (20 x {len(PROMPTS)} prompts, repeated) in {g['lecture']['seconds']:.2f} s "
          f"= {lcps:,.1f} chars/s\n"
          f"   pipeline: {g['loader']} ({g['pipeline_load_s']:.3f} s), textgen.generate: "
          f"{PIPELINE_LENGTH:,} characters x {len(PROMPTS)} prompts in "
          f"{g['pipeline']['seconds']:.2f} s = {pcps:,.1f} chars/s\n"
          f"   pipeline / lecture: {fmt_ratio(speedup)}", flush=True)
    if "pipeline_keras" in g:
        k = g["pipeline_keras"]
        print(f"   (the same textgen.generate on the Keras model, predict_on_batch per step: "
              f"{k['chars']} characters in {k['seconds']:.2f} s = {k['cps']:,.1f} chars/s, "
              f"{k['cps'] / lcps:,.1f}x the lecture's loop)", flush=True)
    print(f"   first 20 greedy characters identical both ways: "
          f"{'yes, all 3' if all(same) else f'{sum(same)} of {len(same)}'}"
          f"{'' if g['pipeline']['long_starts_alike'] else ' (but the 2,000-character texts start differently!)'}")
    for p, a, b, s in zip(PROMPTS, g["lecture"]["texts"], g["pipeline"]["texts"], same):
        print(f"     {p!r}: lecture {a!r}  pipeline {b!r}{'' if s else '   <- differ'}")
    req = g["request"]
    print(f"   one request of {req['chars']:,} characters after {PROMPTS[0]!r}, the pipeline's "
          f"way: {req['seconds']:.2f} s ({req['cps']:,.0f} chars/s; it ends ...{req['tail']!r})\n",
          flush=True)

    # 6. summary
    rows = [("cold repro ex. 1-3 (s)", f"{lecture_total:.1f}", f"{once['wall']:.1f}",
             fmt_ratio(once_ratio), f"<= {TARGET['cold']}x", once_ratio <= TARGET["cold"]),
            ("no-op repro (s)", "–", f"{noop['wall']:.1f}", "–", f"<= {TARGET['noop_s']:g} s",
             noop["wall"] <= TARGET["noop_s"])]
    for stage, r in stages.items():
        if "evaluate" in stage or "generate" in stage:
            rows.append((f"{stage} (s)", "–", f"{r['wall']:.1f}", "–",
                         f"<= {TARGET['stage_s']:g} s", r["wall"] <= TARGET["stage_s"]))
            rows.append((f"{stage} (peak MB)", "–", f"{r['peak_mb']:.0f}", "–",
                         f"<= {TARGET['stage_mb']:g} MB", r["peak_mb"] <= TARGET["stage_mb"]))
    rows += [("units=64 repro (s)", "–", f"{change['wall']:.1f}", "–",
              f"({len(changed_stages)} stages ran)", None),
             ("greedy chars/s", f"{lcps:,.1f}", f"{pcps:,.0f}", fmt_ratio(speedup),
              f">= {TARGET['speedup']:g}x", speedup >= TARGET["speedup"]),
             (f"{REQUEST_LENGTH:,}-char request (s)", f"~{REQUEST_LENGTH / lcps:,.0f} (est.)",
              f"{req['seconds']:.2f}", fmt_ratio(req["seconds"] / (REQUEST_LENGTH / lcps)),
              f"< {TARGET['request_s']:g} s", req["seconds"] < TARGET["request_s"])]
    header = ("figure", "lecture", "pipeline", "ratio", "target", "")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(5)]
    print("6. Summary (ratio = pipeline / lecture; lecture's request time extrapolated from its "
          "chars/s)")
    print("   " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " | ")
    print("   " + "-|-".join("-" * w for w in widths) + "-|--------")
    for *cells, ok in rows:
        print("   " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " | "
              + ("" if ok is None else verdict(ok)))
    biggest = max(stages, key=lambda s: stages[s]["wall"])
    heaviest = max(stages, key=lambda s: stages[s]["peak_mb"])
    print(f"\n   longest stage: {biggest} ({stages[biggest]['wall']:.1f} s, "
          f"{stages[biggest]['wall'] / cold:.0%} of the cold total); largest peak: {heaviest} "
          f"({stages[heaviest]['peak_mb']:.0f} MB). The {len(order)} separate dvc calls each pay "
          f"DVC's start-up and checks (the no-op repro, {noop['wall']:.1f} s, is a rough measure "
          f"of one), which a single `dvc repro` pays once.")
    launcher = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB
    print(f"   (this launcher's own peak RSS: {launcher:.1f} MB, the floor of every child's "
          f"figure; load average at the end: {os.getloadavg()[0]:.1f})", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=["head", "worktree"], default="head",
                        help="benchmark the last commit (default) or the working tree as it is")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per subprocess")
    parser.add_argument("--child-generate", nargs=3, metavar=("LAB", "MODEL", "VOCAB"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_generate:
        generation_child(*args.child_generate)
        return
    tmp = Path(tempfile.mkdtemp(prefix="pipeline_bench_"))
    try:
        bench(args, tmp)
    except RuntimeError as e:
        sys.exit(f"pipeline benchmark: {e}" + ("" if args.keep else "\n(--keep keeps the logs)"))
    finally:
        if args.keep:
            print(f"(kept {tmp}: the copy in lab/, every process's output in logs/)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
