"""Stage report: reports/README.md, one page with every model beside its baselines, its
figures and samples.

Reads only what the other stages wrote for it, as data: every model's metrics, plots, run,
figures and samples, every series model's predictions on its test part, the stock series'
meta record and its training and test parts, the vocabulary; the few params that name the
models; and the lecture's numbers (lecture/slide.json: what the slides print;
lecture/results.json: what the lecture's scripts printed when `make lecture` last ran).
dvc.yaml's cmd names the text, adding and stock data files and the folders it finds each
model's files in (``text_files``, ``series_files``). It loads them below, section by section,
and the sections' prose in rnnlab/report/ makes the page of them; no TensorFlow, a moment.
"""
import csv
import os

from rnnlab import params
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, read_json, reading
from rnnlab.data import series, vocab
from rnnlab.report import adding as adding_page
from rnnlab.report import lecture, samples, sine, stock, text
from rnnlab.scores import forecast, ngram

STAGE = "report"
OUT = "reports/README.md"
SLIDE, LECTURE = "lecture/slide.json", "lecture/results.json"
HEADER = ["# RNN lab: results\n",
          "Written by the `report` stage of `dvc repro` from the files the other stages wrote; "
          "do not edit by hand.\n"]


# ---- reading ----

def arguments():
    parser = Arguments(STAGE)
    parser.path("vocab", "text_encode's vocabulary (JSON)")
    parser.path("text-train", "text_encode's training ids (.npy)")
    for name in ngram.BASELINES:
        parser.path(name, f"text_baselines' {name} metrics (JSON)")
    parser.path("adding", "adding_evaluate's metrics (JSON)")
    parser.path("stock-meta", "stock_data's meta record (JSON)")
    parser.path("stock-train", "stock_data's training part (.npz)")
    parser.path("stock-test", "stock_data's test part (.npz)")
    parser.path("metrics", "the folder of every text and series model's metrics")
    parser.path("plots", "the folder of every text and series model's plots")
    parser.path("predictions", "the folder of every series model's predictions on its test part")
    parser.path("runs", "the folder of every text and series model's MLflow run")
    parser.path("figures", "the folder of every text and series model's figures")
    parser.path("samples", "the folder of every text model's samples")
    return parser.parse_args()


def text_files(args, name):
    """The files of text model ``name`` in the folders on the command line: the names its
    stages' outs have in dvc.yaml (metrics/text_${key}.json, ..., reports/samples/${key}.json)."""
    return {"metrics": os.path.join(args.metrics, f"text_{name}.json"),
            "history": os.path.join(args.plots, f"text_{name}_history.csv"),
            "run": os.path.join(args.runs, f"text_{name}.json"),
            "figure": os.path.join(args.figures, f"text_{name}.png"),
            "samples": os.path.join(args.samples, f"{name}.json")}


def series_files(args, name):
    """The files of series model ``name`` in the folders on the command line: the names its
    stages' outs have in dvc.yaml (metrics/${key}.json, predictions/${key}_test.csv, ...,
    reports/figures/${key}.png), those of series_walkforward and series_strategy where they
    score it."""
    return {"metrics": os.path.join(args.metrics, f"{name}.json"),
            "train_plot": os.path.join(args.plots, f"{name}_train.csv"),
            "test_predictions": os.path.join(args.predictions, f"{name}_test.csv"),
            "forecast_plot": os.path.join(args.plots, f"{name}_forecast.csv"),
            "figure": os.path.join(args.figures, f"{name}.png"),
            "run": os.path.join(args.runs, f"{name}.json"),
            "walkforward_metrics": os.path.join(args.metrics, f"{name}_walkforward.json"),
            "walkforward_plot": os.path.join(args.plots, f"{name}_walkforward.csv"),
            "walkforward_figure": os.path.join(args.figures, f"{name}_walkforward.png"),
            "strategy_metrics": os.path.join(args.metrics, f"{name}_strategy.json"),
            "strategy_figure": os.path.join(args.figures, f"{name}_strategy.png")}


def rows_of(path):
    """The rows of a CSV (a plot, the predictions), as dicts of strings."""
    with reading(path), open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def run_of(path):
    """runs/<model>.json: the MLflow run its train stage linked (run_id, experiment_name,
    run_name)."""
    info = read_json(path)
    with reading(path):
        return {k: info[k] for k in ("run_id", "experiment_name", "run_name")}


def samples_of(path):
    """The records of a variant's samples JSON (rnnlab/report/samples.py)."""
    data = read_json(path)
    with reading(path):
        return samples.check(data)


def from_reports(path):
    """A path under reports/ as the page links it: 'figures/sine.png'."""
    return os.path.relpath(path, "reports")


SECTIONS = ("stock_data", "series", "series_walkforward", "series_strategy", "text_train",
            "adding_data", "adding_train")
"""The params that say which models there are, what each is and what was asked of it."""


def load_params():
    """The params that name the models and say what was asked, by section."""
    found = params.load(STAGE, "sine_data.window", *SECTIONS)
    return {"sine_data": {"window": found["sine_data.window"]},
            **{key: found[key] for key in SECTIONS}}


def of_data(p, data):
    """The series models of ``data`` ('sine', 'stock'), in params.yaml's order: {name: Series}."""
    return {name: s for name, s in series.defined(p["series"]).items() if s.data == data}


def series_model(p, s, files):
    """What the page shows of series model ``s``: its scores, labels, section, figure, run
    (``files``: its ``series_files``)."""
    section = p["series"][s.name]
    return {"metrics": read_json(files["metrics"]), "metrics_path": files["metrics"],
            "labels": forecast.labels(section["layer"], section["units"],
                                      p[f"{s.data}_data"]["window"]),
            "target": section["target"], "section": s.train_section,
            "figure": from_reports(files["figure"]), "run": run_of(files["run"]),
            "forecast_steps": len(rows_of(files["forecast_plot"]))}


# ---- the sections, each from its files ----

def lecture_part(p, args):
    """The slides, the lecture's scripts and the lab: the lecture's sine model (the first of
    the sine's: its window is the slide's) and the lecture's text model."""
    sines = of_data(p, "sine")
    lab_sine = None
    if sines:
        first = series_files(args, next(iter(sines)))
        lab_sine = {"train_mse": read_json(first["metrics"])["train"]["mse"],
                    "train_windows": len(rows_of(first["train_plot"]))}
    name = lecture.lecture_model(p["text_train"])
    model = None
    if name is not None:
        voc, meta = vocab.load(args.vocab)
        files = text_files(args, name)
        model = {"units": p["text_train"][name]["units"], "vocab_size": len(voc), "meta": meta,
                 "history": rows_of(files["history"]),
                 "greedy": samples.greedy(samples_of(files["samples"])),
                 "text": voc.decode(vocab.load_ids(args.text_train))}
    return lecture.section(read_json(SLIDE), read_json(LECTURE), lab_sine,
                           p["sine_data"]["window"], model)


def sine_part(p, args):
    """Example 1: every sine model's scores, its fed-back forecast's length, its run."""
    models = {name: series_model(p, s, series_files(args, name))
              for name, s in of_data(p, "sine").items()}
    return sine.section(models) if models else []


def text_part(args, names):
    """Examples 2 and 3: every text model's scores on the scored split, beside the baselines;
    its figure, samples and run."""
    _, meta = vocab.load(args.vocab)
    split = vocab.scored_split(meta)
    models = {}
    for name in names:
        files = text_files(args, name)
        models[name] = {"scores": read_json(files["metrics"])[split],
                        "figure": from_reports(files["figure"]),
                        "samples": samples_of(files["samples"]), "run": run_of(files["run"])}
    return text.section(meta, split, models, read_json(args.ngram),
                        read_json(args.unigram)[split], read_json(args.ceiling)[split])


def stock_part(p, args):
    """Example 4: every stock model, the data's record and test days, the walk-forward and
    trading rule of those params.yaml asks them for."""
    stocks = of_data(p, "stock")
    if not stocks:
        return []
    files = {name: series_files(args, name) for name in stocks}
    first = next(iter(files.values()))  # the page's test days and every score: the first's
    models = {name: series_model(p, s, files[name]) for name, s in stocks.items()}
    above = series.above_training(series.load_parts({"train": args.stock_train,
                                                     "test": args.stock_test}))
    walkforward = {name: {"metrics": read_json(files[name]["walkforward_metrics"]),
                          "rows": rows_of(files[name]["walkforward_plot"]),
                          "figure": from_reports(files[name]["walkforward_figure"]),
                          "epochs": wp["epochs"]}
                   for name, wp in p["series_walkforward"].items() if name in files}
    strategy = {name: {"metrics": read_json(files[name]["strategy_metrics"]),
                       "figure": from_reports(files[name]["strategy_figure"])}
                for name in p["series_strategy"] if name in files}
    return stock.section(models, series.load_meta(args.stock_meta), p["stock_data"],
                         rows_of(first["test_predictions"]), above, walkforward, strategy)


def adding_part(p, args):
    """Example 5: every cell at every length."""
    return adding_page.section(read_json(args.adding), p)


# ---- the page ----

def main():
    args = arguments()
    p = load_params()
    names = list(params.variants())
    parts = (HEADER + lecture_part(p, args) + sine_part(p, args) + text_part(args, names)
             + stock_part(p, args) + adding_part(p, args))
    page = "\n".join(parts)
    with all_or_nothing(OUT):
        with open(OUT, "w", encoding="utf-8") as f:
            f.write(page)
    print(f"report: {OUT}")


if __name__ == "__main__":
    run(main)
