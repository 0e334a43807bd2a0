"""Runs the lecture's two examples as the slide writes them and records what they print.

    make lecture        (the same as: .venv/bin/python lecture/run.py, from the repository root)

The three scripts (sine.py, sixpence_train.py, sixpence_generate.py, the slide's code with the
Keras 3 changes marked on their lines) each run as a fresh Python process from the repository
root, as a student runs them, timed as a whole (TensorFlow's import included). Their output
is shown as it comes, then parsed: the numbers are what the scripts print themselves (the
shapes, Keras' model summary and epoch lines, the generated text); where the slide prints
nothing (the sine's mse), a line marked "added for the lab" in the script prints it.

Writes lecture/results.json, keyed like lecture/slide.json (what the slide prints): "sine"
and "sixpence" hold the numbers, which repeat exactly from run to run on one machine (the
scripts are seeded; TensorFlow runs its plain kernels, as in the pipeline's stages);
"seconds" and "machine" say how long this run took, where. lecture/README.md lists the keys.
A script that fails, or prints something the parsing below does not find, ends this with one
line naming the script and a non-zero exit; results.json is then left as it was (it is only
ever replaced whole). So does, before any script runs, a file or folder of the run that this
process cannot write (results.json, lecture/, a script's output in lecture/out/): it would
otherwise be met only after a minute of scripts.
"""
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "lecture" / "results.json"
PROMPTS = ["Sing a son", "king was i", "hello worl"]  # the slide's three seed texts
# What each script must leave in lecture/out/ (git ignores the folder).
OUTPUTS = {"sine.py": ["sine.png"],
           "sixpence_train.py": ["model_many2one_sixpence.keras", "mapping.json"],
           "sixpence_generate.py": []}

# The same quiet, repeatable TensorFlow as every pipeline stage (rnnlab/__init__.py), and
# matplotlib without a display; values already in the environment win.
ENV = dict(os.environ)
for key, value in {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
                   "KERAS_BACKEND": "tensorflow", "MPLBACKEND": "Agg"}.items():
    ENV.setdefault(key, value)


class Failed(Exception):
    """A script that failed or printed something unexpected: the one line to show."""


def cannot_write(path):
    """Why this process cannot write ``path`` as the run will, or None: an existing file is
    opened for writing without truncating it; for a folder, or a file not made yet, a temporary
    file is made and removed in it (or in the nearest folder above it that exists). Tried for
    real, since permission bits alone do not tell (root ignores them, and the immutable
    attribute or a read-only mount stops root too)."""
    tried = path
    while not tried.exists():
        tried = tried.parent
    try:
        if tried.is_dir():
            with tempfile.NamedTemporaryFile(dir=tried):
                pass
        else:
            with open(tried, "r+b"):
                pass
    except OSError as err:
        what = "it" if tried == path else f"{path.relative_to(tried)} in it"
        return f"{tried.relative_to(ROOT)}: cannot write {what} ({err.strerror})"
    return None


def check_writable():
    """Raise Failed, before any script runs, if a file the run writes cannot be written."""
    outputs = [ROOT / "lecture" / "out" / name for names in OUTPUTS.values() for name in names]
    for path in [RESULTS, RESULTS.parent, *outputs]:  # the folder: write_whole's renaming
        reason = cannot_write(path)
        if reason:
            raise Failed(f"{reason}: nothing was run; make it writable for this user and run "
                         "make lecture again")


def write_whole(path, text):
    """``text`` into ``path`` whole or not at all: into a temporary file beside it, then renamed
    over it (a full disk leaves the old file as it was)."""
    part = path.with_name(f".{path.name}.part")
    try:
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def run(script):
    """Run lecture/<script> from the repository root, echoing its output (stderr merged);
    its output lines and wall seconds."""
    path = f"lecture/{script}"
    print(f"$ python {path}", flush=True)
    lines, start = [], time.perf_counter()
    with subprocess.Popen([sys.executable, path], cwd=ROOT, env=ENV, text=True,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT) as proc:
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line.rstrip("\n"))
    seconds = time.perf_counter() - start
    if proc.returncode:
        last = next((line.strip() for line in reversed(lines) if line.strip()), "no output")
        raise Failed(f"{path} failed (exit {proc.returncode}): {last}")
    for name in OUTPUTS[script]:
        if not (ROOT / "lecture" / "out" / name).is_file():
            raise Failed(f"{path} ran but wrote no lecture/out/{name}")
    print(f"({path}: {seconds:.1f} s)\n", flush=True)
    return lines, seconds


def find(pattern, lines, script, what):
    """The match of ``pattern`` in the first line that has one."""
    for line in lines:
        match = re.search(pattern, line)
        if match:
            return match
    raise Failed(f"lecture/{script}: no {what} in its output")


def shape(text):
    """'(396, 10, 34)' -> [396, 10, 34]"""
    return [int(n) for n in re.findall(r"\d+", text)]


def count(text):
    """'35,584' -> 35584"""
    return int(text.replace(",", ""))


# ---- Example 1: the sine ----

def sine(lines):
    shapes = find(r"^(\(\d+(?:, \d+)*\)) (\(\d+(?:, \d+)*\))$", lines, "sine.py",
                  "'X.shape Y.shape' line")
    mse = find(r"mse before (\S+) after (\S+) last loss (\S+)", lines, "sine.py", "mse line")
    return {"X_shape": shape(shapes[1]), "Y_shape": shape(shapes[2]),
            "mse_before": float(mse[1]), "mse_after": float(mse[2]),
            "loss_last_epoch": float(mse[3])}


# ---- Example 2: sixpence, training ----

def epochs(lines):
    """{epoch: {metric: value}} from Keras' verbose=2 lines: 'Epoch 98/100', then
    '13/13 - 0s - 12ms/step - accuracy: 0.9823 - loss: 0.2481'."""
    found, epoch = {}, None
    for line in lines:
        head = re.match(r"Epoch (\d+)/\d+$", line)
        if head:
            epoch = int(head[1])
        elif epoch is not None and " - loss: " in line:
            found[epoch] = {k: float(v) for k, v in re.findall(r"(\w+): ([-+.\de]+)", line)}
            epoch = None
    return found


def sixpence_train(lines):
    script = "sixpence_train.py"
    sizes = find(r"text (\d+) vocab_size (\d+) sequence (\(.*?\)) X_oh (\(.*?\)) y_oh (\(.*?\))",
                 lines, script, "sizes line")
    # Keras' summary table: the last number on a layer's row is its parameter count.
    lstm = find(r"\(LSTM\).*?([\d,]*\d)\D*$", lines, script, "LSTM row in the model summary")
    dense = find(r"\(Dense\).*?([\d,]*\d)\D*$", lines, script, "Dense row in the model summary")
    total = find(r"Total params: ([\d,]+)", lines, script, "'Total params' line")
    per_epoch = epochs(lines)
    last = sorted(per_epoch)[-3:]
    if len(last) < 3:
        raise Failed(f"lecture/{script}: fewer than 3 epoch lines in its output")
    return {"characters": int(sizes[1]), "vocab_size": int(sizes[2]),
            "sequence_shape": shape(sizes[3]), "X_oh_shape": shape(sizes[4]),
            "y_oh_shape": shape(sizes[5]), "windows": shape(sizes[3])[0],
            "params_lstm": count(lstm[1]), "params_dense": count(dense[1]),
            "params_total": count(total[1]),
            "last_epochs": last,
            "loss_last_epochs": [per_epoch[e]["loss"] for e in last],
            "accuracy_last_epochs": [per_epoch[e]["accuracy"] for e in last]}


# ---- Example 2: sixpence, generating ----

def sixpence_generate(lines):
    generated = []
    for prompt in PROMPTS:
        line = find("^" + re.escape(prompt), lines, "sixpence_generate.py",
                    f"line starting with {prompt!r}")
        generated.append(line.string)
    return {"prompts": PROMPTS, "generated": generated}


# ---- results.json ----

def tensorflow_version():
    """TensorFlow's version without importing it (~5 s); its CPU build is another package."""
    for name in ("tensorflow", "tensorflow-cpu"):
        try:
            return version(name)
        except PackageNotFoundError:
            pass
    return None


def to_json(data):
    """Sections of one value per line (a shape stays [17, 3, 1]), in the order built."""
    def value(v):
        return json.dumps(v, ensure_ascii=False)

    parts = []
    for name, section in data.items():
        if isinstance(section, dict):
            rows = ",\n".join(f"    {value(k)}: {value(v)}" for k, v in section.items())
            parts.append(f"  {value(name)}: {{\n{rows}\n  }}")
        else:
            parts.append(f"  {value(name)}: {value(section)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main():
    os.chdir(ROOT)
    check_writable()
    sine_out, sine_s = run("sine.py")
    train_out, train_s = run("sixpence_train.py")
    generate_out, generate_s = run("sixpence_generate.py")
    results = {
        "about": "What the lecture's scripts (lecture/*.py) printed on this machine, written "
                 "by `make lecture`; slide.json holds what the slide prints under the same "
                 "keys (lecture/README.md).",
        "sine": sine(sine_out),
        "sixpence": {**sixpence_train(train_out), **sixpence_generate(generate_out)},
        "seconds": {"sine.py": round(sine_s, 1), "sixpence_train.py": round(train_s, 1),
                    "sixpence_generate.py": round(generate_s, 1),
                    "total": round(sine_s + train_s + generate_s, 1)},
        "machine": {"python": platform.python_version(), "keras": version("keras"),
                    "tensorflow": tensorflow_version(), "numpy": version("numpy"),
                    "cpus": os.cpu_count(), "system": f"{platform.system()} {platform.machine()}"},
    }
    try:
        write_whole(RESULTS, to_json(results))
    except OSError as err:  # made unwritable while the scripts ran, or a full disk
        raise Failed(f"{RESULTS.relative_to(ROOT)}: cannot write it ({err.strerror})") from None
    s, t = results["sine"], results["sixpence"]
    print(f"lecture/results.json: sine X {s['X_shape']} Y {s['Y_shape']}, mse "
          f"{s['mse_before']:.4f} before training, {s['mse_after']:.4f} after; sixpence "
          f"{t['windows']} windows, vocabulary {t['vocab_size']}, {t['params_total']:,} params, "
          f"accuracy {t['accuracy_last_epochs'][-1]:.4f} at epoch {t['last_epochs'][-1]}; "
          f"{results['seconds']['total']:.1f} s in all")


if __name__ == "__main__":
    try:
        main()
    except Failed as err:
        sys.exit(f"error: {err}")
