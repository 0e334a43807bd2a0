"""Benchmark: the lecture's two Keras examples (lecture/) against the DVC pipeline of
examples 1-3 (prints figures and ratios side by side, asserts nothing).

In one invocation, everything in a temporary directory (removed at the end unless --keep):

1. lecture: the lecture's scripts as lecture/ holds them (lecture/sine.py, then
   lecture/sixpence_train.py and lecture/sixpence_generate.py, the slide's training and
   generation scripts; see lecture/README.md), run in the copy of the project from its root,
   each its own fresh Python process timed as a whole, TensorFlow import included: wall time
   and peak RSS of each, and their sum. What they print is read with lecture/run.py's own
   parsers (imported from the copy), so the figures shown are those `make lecture` records.
2. repro: a cold `dvc repro` of examples 1-3 (series_evaluate@sine, text_evaluate@* and
   text_generate@*, and everything they depend on; not `report`, which needs example 4's stock
   stages) in a fresh copy of the project: a new git repo with no outputs, no DVC cache and its
   own mlflow.db. The stages run one by one in dependency order (`dvc repro --single-item`,
   each a process waited for with os.wait4, whose ru_maxrss covers its largest descendant,
   i.e. the stage's Python process): wall time and peak RSS per stage. The cold repro's figure
   is one `dvc repro` of the targets in another fresh copy, as a user runs it; the ratio cold
   repro / lecture scripts is taken from it. Then a no-op `dvc repro` of the same targets (wall
   time), and `dvc repro` after setting text_train.many_to_one.units=64 in params.yaml (wall
   time and the stages that ran).
3. generate: greedy generation characters/s on the same trained model (the cold repro's
   models/text_many_to_one.keras, units 75): the lecture's loop (one model.predict per
   character, one prompt at a time) beside the pipeline's rnnlab.forward.textgen.generate (all prompts
   per step, on rnnlab.forward.inference.load_model's model where the copy has that function, else
   Keras'), whether their first 20 characters agree, and the time of one 10,000-character
   request. The lecture's loop is lecture/sixpence_generate.py's generate_seq written out
   again here, not imported: importing that script runs it (as on the slide, it loads its own
   model and prints at the top level), and the pipeline's model takes integer ids where the
   slide's takes one-hot vectors, so the loop is given the ids and keeps what is measured, one
   predict() call over one window per character.
4. params: what reading its params costs a stage, each a fresh process from the copy's root:
   `import dvc.api; dvc.api.params_show(stages=["text_train@many_to_one"])` (how a stage reads
   them through DVC) beside `python -m rnnlab.params` (the lab's own check, which reads
   params.yaml directly) and `python -c pass` (Python's start-up, the floor of both), run in
   turn PARAMS_RUNS times each, medians printed with the ratio; and how many stages declare
   params in dvc.yaml (`dvc stage list` for the stage names, dvc.yaml for their params), i.e.
   pay the difference once each in a cold repro.
5. whole: a cold `dvc repro` of every stage in one call in a fresh copy (what a user's first
   `make repro` runs), and of example 5 alone (`dvc repro adding_evaluate`) in another: what
   the adding problem adds (its size: adding_data.lengths, adding_train.cells); in a third,
   example 4's two models, then its walk-forward stage alone (its size: stock_walkforward.folds
   and .epochs), then its strategy stage alone.
6. A summary table: figure | lecture | pipeline | ratio | target, with the targets of the
   project's issue marked met / not met.

Run from the repository root:  .venv/bin/python benchmarks/pipeline.py [--source head|worktree]
    [--only PART[,PART...]] [--keep] [--timeout 900]

--source head (the default) benchmarks the last commit (`git archive HEAD`); --source worktree
copies the working tree's files as they are now (those git tracks plus untracked, not ignored
ones, such as a new module), to measure uncommitted work. Either way the outputs git tracks
(dvc.lock, metrics/, plots/, runs/, reports/) are left out, and the copy is committed to a new
git repo inside the temporary directory. All of it takes several minutes on two cores;
--only lecture,params (or any of lecture, repro, generate, params; generate needs repro and
runs it) measures a part in about a minute, and the summary then has the rows of that part.

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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's bin: dvc, and the python dvc runs stages with
MB = 2**20
TARGETS = ["series_evaluate@sine", "text_evaluate@many_to_one", "text_evaluate@many_to_many",
           "text_generate@many_to_one", "text_generate@many_to_many"]
OUTPUTS = ["dvc.lock", "metrics", "plots", "runs", "reports"]  # outputs git tracks: left out
PROMPTS = ["Sing a son", "king was i", "hello worl"]  # the lecture's (and params.yaml's)
LECTURE_SCRIPTS = ["sine.py", "sixpence_train.py", "sixpence_generate.py"]  # in lecture/, in order
PARTS = ["lecture", "repro", "generate", "params", "whole"]
PARAMS_STAGE = "text_train@many_to_one"
PARAMS_RUNS = 5  # fresh processes of each way of reading params; the median is shown
LECTURE_SECONDS = 2.0  # the lecture's loop repeats until at least this much work is timed
PIPELINE_LENGTH, REQUEST_LENGTH = 2000, 10_000
TARGET = {"whole_s": 240.0, "adding_s": 90.0,  # the whole default repro, and what example 5 adds
          "walkforward_s": 60.0,  # what example 4's walk-forward adds
          "cold": 1.5, "noop_s": 2.0, "stage_s": 3.0, "stage_mb": 300.0, "speedup": 500.0,
          "request_s": 2.0}

# ---- running and measuring processes ----

def clean_env():
    """The venv first on PATH (dvc runs stages as `python -m ...`), MLflow's default store."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    return env


def measure(cmd, cwd, log, timeout, env=None):
    """Run ``cmd`` in its own process group, output to ``log``; its wall time, peak RSS (MB,
    the largest of the process and its waited-for descendants), exit code and output."""
    with open(log, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env or clean_env(), stdin=subprocess.DEVNULL,
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


# ---- part 3, in a child process (TensorFlow stays out of the launcher) ----

def generation_child(lab, model_path, vocab_path):
    """Both ways of greedy generation on one saved model; prints one JSON line."""
    sys.path.insert(0, lab)
    os.chdir(lab)
    import keras
    import numpy as np

    import rnnlab  # noqa: F401  (the copy's TensorFlow environment defaults, as in its stages)
    from rnnlab.data import vocab
    from rnnlab.forward import textgen

    voc, meta = vocab.load(vocab_path)
    window = meta["window"]
    result = {"window": window}

    # (a) the lecture's loop (lecture/sixpence_generate.py's generate_seq, given ids: see part 3
    # in the docstring): one model.predict per character, one prompt at a time.
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
        from rnnlab.forward import inference
        loader = getattr(inference, "load_model", None)
    except ImportError:  # a copy from before rnnlab/forward/inference.py
        loader = None
    start = time.perf_counter()
    if loader:
        model, result["loader"] = loader(model_path), "rnnlab.forward.inference.load_model (NumPy)"
    else:
        model = keras.saving.load_model(model_path)
        result["loader"] = "keras.saving.load_model (this copy has no rnnlab.forward.inference.load_model)"
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
    return "–" if ok is None else "met" if ok else "NOT met"


def lecture_parsers(lab):
    """The copy's lecture/run.py as a module: the parsers `make lecture` reads the scripts'
    output with (importing it runs nothing)."""
    path = lab / "lecture" / "run.py"
    if not path.is_file():
        raise RuntimeError("the copy has no lecture/run.py (--source head measures the last "
                           "commit; --source worktree measures lecture/ before it is committed)")
    spec = spec_from_file_location("lecture_run", path)
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lecture_line(script, found):
    if script == "sine.py":
        return (f"X {found['X_shape']} Y {found['Y_shape']}; mse {found['mse_before']:.4f} before "
                f"training, {found['mse_after']:.4f} after")
    if script == "sixpence_train.py":
        return (f"{found['windows']} windows, {found['params_total']:,} params; epoch "
                f"{found['last_epochs'][-1]}: loss {found['loss_last_epochs'][-1]:.4f}, accuracy "
                f"{found['accuracy_last_epochs'][-1]:.4f}")
    return " ".join(repr(text) for text in found["generated"])


def lecture_part(lab, logs, timeout):
    """Part 1: the lecture's three scripts, each a fresh process from the copy's root."""
    parsers = lecture_parsers(lab)
    parse = {"sine.py": parsers.sine, "sixpence_train.py": parsers.sixpence_train,
             "sixpence_generate.py": parsers.sixpence_generate}
    env = {**clean_env(), "MPLBACKEND": "Agg"}  # no display: as `make lecture` runs them
    print("1. The lecture's scripts, each a fresh `python lecture/<script>` from the copy's root "
          "(TensorFlow import included)", flush=True)
    runs = {}
    for script in LECTURE_SCRIPTS:
        r = runs[script] = check(measure([sys.executable, f"lecture/{script}"], lab,
                                         logs / f"lecture_{script}.log", timeout, env),
                                 f"lecture/{script}")
        try:
            found = parse[script](r["out"].splitlines())
        except parsers.Failed as err:
            raise RuntimeError(str(err)) from None
        print(f"   {script:<21} {r['wall']:6.1f} s   peak RSS {r['peak_mb']:6.1f} MB   "
              f"{lecture_line(script, found)}", flush=True)
    total = sum(r["wall"] for r in runs.values())
    print(f"   {'sum':<21} {total:6.1f} s   (largest peak "
          f"{max(r['peak_mb'] for r in runs.values()):.1f} MB)\n", flush=True)
    return {"runs": runs, "total": total}


def repro_part(args, lab, tmp, logs, lecture_total):
    """Part 2: a cold repro in one call (what a user runs) in one fresh copy, stage by stage
    in ``lab``; then a no-op repro and one with a param changed, in ``lab``."""
    once_lab = tmp / "lab-once"
    copy_project(once_lab, args.source)
    once = check(measure(dvc("repro", *TARGETS), once_lab, logs / "cold_once.log", args.timeout),
                 "cold dvc repro")
    shutil.rmtree(once_lab, ignore_errors=True)
    against = (f"; the lecture's scripts {lecture_total:.1f} s; cold repro / lecture scripts = "
               f"{once['wall'] / lecture_total:.2f}x" if lecture_total else "")
    print(f"2. Cold `dvc repro {' '.join(TARGETS)}` (examples 1-3; `report` is left out: it "
          f"depends on example 4's stock stages), in one call: {once['wall']:.1f} s (peak RSS "
          f"{once['peak_mb']:.1f} MB){against}", flush=True)
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
    more = cold - once["wall"]
    print(f"   sum of the {len(order)}: {cold:.1f} s (" + (
        f"{more:.1f} s more than one call: DVC's start-up and checks, paid once per call)"
        if more >= 0 else f"{-more:.1f} s less than one call: the machine's load changed "
                          f"between the two)"), flush=True)
    bench_dir = tmp / "bench"  # the trained model of the cold repro (units 75), for part 3
    bench_dir.mkdir()
    model_path = shutil.copy2(lab / "models" / "text_many_to_one.keras", bench_dir)
    vocab_path = shutil.copy2(lab / "data" / "text" / "vocab.json", bench_dir)

    noop = check(measure(dvc("repro", *TARGETS), lab, logs / "noop.log", args.timeout),
                 "no-op dvc repro")
    print(f"   No-op `dvc repro` of the same targets: {noop['wall']:.1f} s, stages run: "
          f"{stages_run(noop['out']) or 'none'}", flush=True)

    import yaml

    params_file = lab / "params.yaml"
    saved = params_file.read_text()
    params = yaml.safe_load(saved)
    params["text_train"]["many_to_one"]["units"] = 64
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    change = check(measure(dvc("repro", *TARGETS), lab, logs / "units64.log", args.timeout),
                   "dvc repro after text_train.many_to_one.units=64")
    params_file.write_text(saved)  # the copy's params as they were, for part 4
    changed = stages_run(change["out"])
    print(f"   `dvc repro` after text_train.many_to_one.units=64: {change['wall']:.1f} s "
          f"(peak RSS {change['peak_mb']:.1f} MB), stages run: {', '.join(changed) or 'none'}\n",
          flush=True)
    return {"once": once, "order": order, "stages": stages, "cold": cold, "noop": noop,
            "change": change, "changed": changed, "model": model_path, "vocab": vocab_path}


def generate_part(args, lab, logs, rep):
    """Part 3: greedy generation both ways, in a child process (TensorFlow stays out of the
    launcher)."""
    gen = check(measure([sys.executable, str(Path(__file__).resolve()), "--child-generate",
                         str(lab), rep["model"], rep["vocab"]], lab, logs / "generate.log",
                        args.timeout), "the generation child")
    g = json.loads(gen["out"].strip().splitlines()[-1])
    lcps, pcps = g["lecture"]["cps"], g["pipeline"]["cps"]
    same = [a == b for a, b in zip(g["lecture"]["texts"], g["pipeline"]["texts"])]
    print(f"3. Greedy generation on the cold repro's models/text_many_to_one.keras (LSTM(75), "
          f"window {g['window']}), one process (peak RSS {gen['peak_mb']:.1f} MB), each way "
          f"warmed up by an untimed call:\n"
          f"   lecture:  keras.saving.load_model ({g['keras_load_s']:.3f} s), model.predict(ids, "
          f"verbose=0) + argmax per character, one prompt at a time: {g['lecture']['chars']} "
          f"characters (20 x {len(PROMPTS)} prompts, repeated) in {g['lecture']['seconds']:.2f} s "
          f"= {lcps:,.1f} chars/s\n"
          f"   pipeline: {g['loader']} ({g['pipeline_load_s']:.3f} s), textgen.generate: "
          f"{PIPELINE_LENGTH:,} characters x {len(PROMPTS)} prompts in "
          f"{g['pipeline']['seconds']:.2f} s = {pcps:,.1f} chars/s\n"
          f"   pipeline / lecture: {fmt_ratio(pcps / lcps)}", flush=True)
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
    return {"lecture_cps": lcps, "pipeline_cps": pcps, "request_s": req["seconds"]}


def params_part(args, lab, logs, order):
    """Part 4: a stage's params read through DVC beside the lab's own reading of params.yaml,
    each a fresh process; how many stages read params."""
    ways = {
        "dvc": ("import dvc.api; dvc.api.params_show(stages=[...])",
                [sys.executable, "-c",
                 f"import dvc.api; dvc.api.params_show(stages=[{PARAMS_STAGE!r}])"]),
        "lab": ("python -m rnnlab.params (reads and checks all of params.yaml)",
                [sys.executable, "-m", "rnnlab.params"]),
        "floor": ("python -c pass (Python's start-up: the floor of both)",
                  [sys.executable, "-c", "pass"]),
    }
    walls, failed = {name: [] for name in ways}, {}
    for i in range(PARAMS_RUNS):
        for name, (_, cmd) in ways.items():  # in turn: a busy moment of the machine hits all
            if name in failed:
                continue
            r = measure(cmd, lab, logs / f"params_{name}_{i}.log", args.timeout)
            if r["rc"] or r["timed_out"]:  # shown in its row; the other parts still count
                why = "timed out" if r["timed_out"] else f"exit {r['rc']}"
                last = next((ln for ln in reversed(r["out"].splitlines()) if ln.strip()), "")
                failed[name] = f"failed ({why}): {last}"
            else:
                walls[name].append(r["wall"])
    median = {name: statistics.median(w) for name, w in walls.items() if name not in failed}

    listed = check(measure(dvc("stage", "list", "--name-only"), lab, logs / "stage_list.log",
                           args.timeout), "dvc stage list")
    import yaml

    definitions = yaml.safe_load((lab / "dvc.yaml").read_text())["stages"]
    names = [ln.strip() for ln in listed["out"].splitlines()
             if ln.strip().split("@")[0] in definitions]

    def declares_params(stage):
        d = definitions[stage.split("@")[0]]
        return bool(d.get("do", d).get("params"))

    reading = [n for n in names if declares_params(n)]
    uses_dvc = "import dvc.api" in (lab / "rnnlab" / "params.py").read_text()

    print(f"4. Reading a stage's params, each way a fresh process from the copy's root, run in "
          f"turn {PARAMS_RUNS} times (median):", flush=True)
    for name, (label, _) in ways.items():
        shown = failed.get(name) or f"{median[name]:.3f} s"
        label = label.replace("[...]", f"[{PARAMS_STAGE!r}]")
        print(f"   {label:<78} {shown}")
    result = {"median": median, "reading": len(reading), "stages": len(names), "ratio": None}
    if "dvc" in median and "lab" in median:
        extra = median["dvc"] - median["lab"]
        result.update(ratio=median["dvc"] / median["lab"], extra=extra)
        floor = median.get("floor", 0.0)
        print(f"   params_show / rnnlab.params = {fmt_ratio(result['ratio'])}: {extra:.3f} s more "
              f"per stage ({median['dvc'] - floor:.3f} s vs {median['lab'] - floor:.3f} s above "
              f"Python's start-up)")
        print(f"   stages that declare params in dvc.yaml: {len(reading)} of {len(names)}; a cold "
              f"repro of all of them pays the difference {len(reading)} times: "
              f"~{len(reading) * extra:.1f} s", end="")
        if order:
            in_order = sum(declares_params(s) for s in order if s.split("@")[0] in definitions)
            print(f"; part 2's cold repro (examples 1-3) runs {len(order)} stages, "
                  f"{in_order} of them with params: ~{in_order * extra:.1f} s", end="")
        print()
    print(f"   (the copy's rnnlab/params.py {'calls' if uses_dvc else 'does not call'} "
          f"dvc.api.params_show)\n", flush=True)
    return result


def whole_part(args, tmp, logs):
    """Part 5: what a user's first `make repro` costs: one cold `dvc repro` of every stage in a
    fresh copy, and of example 5 alone (`dvc repro adding_evaluate`) in another, with each
    stage's own line of time from DVC's output order."""
    result = {}
    for name, targets in (("whole", []), ("adding", ["adding_evaluate"])):
        copy = tmp / f"lab-{name}"
        copy_project(copy, args.source)
        r = check(measure(dvc("repro", *targets), copy, logs / f"{name}.log", args.timeout),
                  f"cold dvc repro {' '.join(targets)}".strip())
        shutil.rmtree(copy, ignore_errors=True)
        result[name] = r
        print(f"5. Cold `dvc repro {' '.join(targets) or '(every stage)'}` in one call, a fresh "
              f"copy: {r['wall']:.1f} s (peak RSS {r['peak_mb']:.1f} MB), "
              f"{len(stages_run(r['out']))} stages", flush=True)
    share = result["adding"]["wall"] / result["whole"]["wall"]
    print(f"   example 5 (the adding problem, adding_data.lengths and adding_train.cells its "
          f"size) is {share:.0%} of the whole", flush=True)
    # Example 4 step by step in a third copy: its two models, then what each later stage adds.
    copy = tmp / "lab-stock"
    copy_project(copy, args.source)
    for name, targets in (("stock_models", ["series_evaluate@stock", "series_evaluate@stock_tutorial"]),
                          ("walkforward", ["series_walkforward@stock"]),
                          ("strategy", ["stock_strategy"])):
        r = check(measure(dvc("repro", *targets), copy, logs / f"{name}.log", args.timeout),
                  f"dvc repro {' '.join(targets)}")
        result[name] = r
        print(f"   example 4, `dvc repro {' '.join(targets)}` after the stages before it: "
              f"{r['wall']:.1f} s (peak RSS {r['peak_mb']:.1f} MB), "
              f"{len(stages_run(r['out']))} stages", flush=True)
    shutil.rmtree(copy, ignore_errors=True)
    print(f"   walk-forward (stock_walkforward.folds x .epochs its size) is "
          f"{result['walkforward']['wall'] / result['whole']['wall']:.0%} of the whole\n",
          flush=True)
    return result


def summary(lec, rep, gen, par, load_start, whole=None):
    """Part 5: one row per figure measured, beside the target of the project's issue."""
    rows = []
    if rep:
        ratio = rep["once"]["wall"] / lec["total"] if lec else None
        rows += [("cold repro ex. 1-3 (s)", f"{lec['total']:.1f}" if lec else "–",
                  f"{rep['once']['wall']:.1f}", fmt_ratio(ratio), f"<= {TARGET['cold']}x",
                  None if ratio is None else ratio <= TARGET["cold"]),
                 ("no-op repro (s)", "–", f"{rep['noop']['wall']:.1f}", "–",
                  f"<= {TARGET['noop_s']:g} s", rep["noop"]["wall"] <= TARGET["noop_s"])]
        for stage, r in rep["stages"].items():
            if "evaluate" in stage or "generate" in stage:
                rows.append((f"{stage} (s)", "–", f"{r['wall']:.1f}", "–",
                             f"<= {TARGET['stage_s']:g} s", r["wall"] <= TARGET["stage_s"]))
                rows.append((f"{stage} (peak MB)", "–", f"{r['peak_mb']:.0f}", "–",
                             f"<= {TARGET['stage_mb']:g} MB", r["peak_mb"] <= TARGET["stage_mb"]))
        rows.append(("units=64 repro (s)", "–", f"{rep['change']['wall']:.1f}", "–",
                     f"({len(rep['changed'])} stages ran)", None))
    elif lec:
        rows.append(("lecture scripts (s)", f"{lec['total']:.1f}", "–", "–", "", None))
    if gen:
        lcps, speedup = gen["lecture_cps"], gen["pipeline_cps"] / gen["lecture_cps"]
        rows += [("greedy chars/s", f"{lcps:,.1f}", f"{gen['pipeline_cps']:,.0f}",
                  fmt_ratio(speedup), f">= {TARGET['speedup']:g}x", speedup >= TARGET["speedup"]),
                 (f"{REQUEST_LENGTH:,}-char request (s)", f"~{REQUEST_LENGTH / lcps:,.0f} (est.)",
                  f"{gen['request_s']:.2f}", fmt_ratio(gen["request_s"] / (REQUEST_LENGTH / lcps)),
                  f"< {TARGET['request_s']:g} s", gen["request_s"] < TARGET["request_s"])]
    if par and par["ratio"] is not None:
        m = par["median"]
        rows.append(("params: dvc.api / rnnlab.params (s)", "–", f"{m['dvc']:.2f} / {m['lab']:.2f}",
                     fmt_ratio(par["ratio"]), f"({par['reading']} of {par['stages']} stages read params)",
                     None))
    if whole:
        rows += [("cold repro, every stage (s)", "–", f"{whole['whole']['wall']:.1f}", "–",
                  f"<= {TARGET['whole_s']:g} s", whole["whole"]["wall"] <= TARGET["whole_s"]),
                 ("cold repro, example 5 alone (s)", "–", f"{whole['adding']['wall']:.1f}", "–",
                  f"<= {TARGET['adding_s']:g} s", whole["adding"]["wall"] <= TARGET["adding_s"]),
                 ("example 4's walk-forward stage (s)", "–",
                  f"{whole['walkforward']['wall']:.1f}", "–", f"<= {TARGET['walkforward_s']:g} s",
                  whole["walkforward"]["wall"] <= TARGET["walkforward_s"]),
                 ("example 4's strategy stage (s)", "–", f"{whole['strategy']['wall']:.1f}", "–",
                  "–", None)]
    if rows:
        header = ("figure", "lecture", "pipeline", "ratio", "target", "")
        widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(5)]
        print("6. Summary (ratio = pipeline / lecture; lecture's request time extrapolated from "
              "its chars/s; the params row: dvc.api's time / rnnlab.params')")
        print("   " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " | ")
        print("   " + "-|-".join("-" * w for w in widths) + "-|--------")
        for *cells, ok in rows:
            print("   " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " | "
                  + ("" if ok is None else verdict(ok)))
    if rep:
        stages, cold = rep["stages"], rep["cold"]
        biggest = max(stages, key=lambda s: stages[s]["wall"])
        heaviest = max(stages, key=lambda s: stages[s]["peak_mb"])
        print(f"\n   longest stage: {biggest} ({stages[biggest]['wall']:.1f} s, "
              f"{stages[biggest]['wall'] / cold:.0%} of the cold total); largest peak: {heaviest} "
              f"({stages[heaviest]['peak_mb']:.0f} MB). The {len(stages)} separate dvc calls each "
              f"pay DVC's start-up and checks (the no-op repro, {rep['noop']['wall']:.1f} s, is a "
              f"rough measure of one), which a single `dvc repro` pays once.")
    launcher = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB
    print(f"   (this launcher's own peak RSS: {launcher:.1f} MB, the floor of every child's "
          f"figure; load average at the start {load_start:.1f}, at the end "
          f"{os.getloadavg()[0]:.1f})", flush=True)


def bench(args, tmp):
    parts = set(args.only)
    if "generate" in parts:
        parts.add("repro")  # generation runs on the cold repro's trained model
    lab, logs = tmp / "lab", tmp / "logs"
    logs.mkdir()
    copy_project(lab, args.source)
    sys.path.insert(0, str(lab))
    import rnnlab  # noqa: F401  (the copy's TensorFlow environment defaults, inherited by every
    # child: the lecture's scripts get the same kernels (oneDNN off) and quiet logs as the stages)

    load_start = os.getloadavg()[0]
    print(f"Project: {describe_source(args.source)}.\n"
          f"Parts: {', '.join(p for p in PARTS if p in parts)}.\n"
          f"Temporary copy: {lab} (a new git repo, no outputs, no DVC cache, its own mlflow.db; "
          f"MLFLOW_TRACKING_URI unset, {BIN} first on PATH). Every figure is one run of a fresh "
          f"process; peak RSS = its ru_maxrss from os.wait4, the largest of it and its "
          f"descendants, in MB. {os.cpu_count()} CPUs, load average at start "
          f"{load_start:.1f}.\n", flush=True)

    lec = lecture_part(lab, logs, args.timeout) if "lecture" in parts else None
    rep = repro_part(args, lab, tmp, logs, lec and lec["total"]) if "repro" in parts else None
    gen = generate_part(args, lab, logs, rep) if "generate" in parts else None
    par = params_part(args, lab, logs, rep and rep["order"]) if "params" in parts else None
    whole = whole_part(args, tmp, logs) if "whole" in parts else None
    summary(lec, rep, gen, par, load_start, whole)


def parts_list(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in PARTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"parts are {', '.join(PARTS)} (comma-separated)")
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=["head", "worktree"], default="head",
                        help="benchmark the last commit (default) or the working tree as it is")
    parser.add_argument("--only", type=parts_list, default=PARTS, metavar="PART[,PART...]",
                        help=f"run only these parts ({', '.join(PARTS)}; generate needs repro "
                             f"and runs it); default: all")
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
