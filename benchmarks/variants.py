"""The runs docs/why-lstm.md quotes beside the default's, recorded: writes benchmarks/variants.json.

The default run's numbers are in metrics/ (committed). The page also shows what a few
one-param changes give, which no committed metric holds; this reruns them, each a cold
`dvc exp run -S ...` in a fresh copy of the project (HEAD's files, no outputs, no DVC cache;
benchmarks/pipeline_parts/processes.py), and keeps what the pipeline wrote for each:

- adding_<seed>: example 5 at T = 10 and 100 (`adding_data.lengths=[10,100]`) with
  `adding_data.seed` and `adding_train.seed` set to 0, 1 and 2: metrics/adding.json;
- adding_lr_0.001: the LSTM alone at T = 100 with Keras' default learning rate
  (`adding_train.learning_rate=0.001`): metrics/adding.json and the training mse per epoch
  (plots/adding/lstm_100_history.csv);
- adding_clipnorm_0: the same with no gradient clipping (`adding_train.clipnorm=0`);
- text_<layer>: many_to_one with each cell (`text_train.many_to_one.layer`):
  metrics/text_many_to_one.json.

Each entry also has its params, its wall time and the copy's commit; the file the machine,
the date and the load average at the start. Run from the repository root:

    .venv/bin/python benchmarks/variants.py [--only adding,lr,clipnorm,text] [--out FILE]
        [--timeout 900] [--time-limit 3600]

About ten minutes on two cores. Past --time-limit, as on Ctrl-C or SIGTERM, the `dvc exp run`
still running is stopped and the copies removed (benchmarks/lifetime.py).
"""
import argparse
import csv
import datetime
import json
import os
import platform
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import lifetime  # noqa: E402
from benchmarks.pipeline_parts.processes import check, copy_project, dvc, git, measure  # noqa: E402

TIME_LIMIT = 3600
OUT = ROOT / "benchmarks" / "variants.json"
SEEDS = [0, 1, 2]
LAYERS = ["simple_rnn", "gru", "lstm"]
PARTS = ["adding", "lr", "clipnorm", "text"]


def runs(parts):
    """(name, [-S settings], target, {key: file to keep}) of every run asked for."""
    adding = {"metrics": "metrics/adding.json"}
    lstm_only = ["adding_train.cells=[lstm]"]
    out = []
    if "adding" in parts:
        out += [(f"adding_{seed}", [f"adding_data.seed={seed}", f"adding_train.seed={seed}",
                                    "adding_data.lengths=[10,100]"], "adding_evaluate", adding)
                for seed in SEEDS]
    history = {**adding, "history": "plots/adding/lstm_100_history.csv"}
    if "lr" in parts:
        out.append(("adding_lr_0.001", [*lstm_only, "adding_train.learning_rate=0.001"],
                    "adding_evaluate", history))
    if "clipnorm" in parts:
        out.append(("adding_clipnorm_0", [*lstm_only, "adding_train.clipnorm=0"],
                    "adding_evaluate", history))
    if "text" in parts:
        out += [(f"text_{layer}", [f"text_train.many_to_one.layer={layer}"],
                 "text_evaluate@many_to_one", {"metrics": "metrics/text_many_to_one.json"})
                for layer in LAYERS]
    return out


def kept(copy, files):
    result = {}
    for key, name in files.items():
        path = copy / name
        if name.endswith(".json"):
            result[key] = json.loads(path.read_text())
        else:
            with open(path, newline="") as f:
                result[key] = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(PARTS), metavar="PART[,PART...]",
                        help=f"any of {', '.join(PARTS)} (default: all)")
    parser.add_argument("--out", type=Path, default=OUT, help="the JSON file written")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per dvc exp run")
    lifetime.add_time_limit(parser, TIME_LIMIT)
    args = parser.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    if not parts or set(parts) - set(PARTS):
        parser.error(f"--only takes {', '.join(PARTS)}")
    lifetime.limit(args.time_limit)
    record = {
        "about": "Runs docs/why-lstm.md quotes beside the default's: what the pipeline wrote in "
                 "a fresh copy of the project after each `dvc exp run -S ... <target>` "
                 "(benchmarks/variants.py).",
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "date": datetime.date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "system": f"{platform.system()} {platform.machine()}",
                    "python": platform.python_version(), "load_average_start": os.getloadavg()[0]},
        "runs": {},
    }
    with lifetime.scratch("variants_") as tmp:
        logs = tmp / "logs"
        logs.mkdir()
        for name, settings, target, files in runs(parts):
            copy = tmp / name
            copy_project(copy, "head")
            sets = [arg for s in settings for arg in ("-S", s)]
            r = check(measure(dvc("exp", "run", *sets, target), copy, logs / f"{name}.log",
                              args.timeout), f"dvc exp run {' '.join(settings)} {target}")
            record["runs"][name] = {"set": settings, "target": target,
                                    "wall_seconds": round(r["wall"], 1), **kept(copy, files)}
            print(f"{name}: {r['wall']:.1f} s", flush=True)
            shutil.rmtree(copy, ignore_errors=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    lifetime.run(main)
