"""The results page's library (rnnlab/report/) and the report stage's reading: the samples as
data and as lines for people, the sections against the committed page, the models told apart
by their fields. Reads files only (no TensorFlow, no MLflow): a second or two.

The whole page, byte for byte, is the report stage's (tests/test_pipeline.py runs it); here
every section whose inputs git holds (metrics/, plots/, runs/, params.yaml) is rebuilt from the
committed files and found in the committed reports/README.md.
"""
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rnnlab.core.errors import LabError
from rnnlab.report import adding, lecture, markdown, samples, sine, stock, text
from rnnlab.scores import forecast, trading
from tests.conftest import stage_command
from tests.test_docs import committed

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = (samples.records(0.0, ["Sing a son", "hello worl"],
                           ["Sing a song of sixpence, a poc", "hello worls, he txnnwny baa a "])
           + samples.records(0.5, ["Sing a son", "hello worl"],
                             ["Sing a song of sixpence, a poc", "hello worl,h  heantn!he in oou"]))


# ---- the samples: one list of records, as JSON and as lines ----

def test_samples_page_is_the_text_files_layout():
    assert samples.page(SAMPLES) == (
        "T=0 (greedy)\n"
        "  'Sing a son' -> 'Sing a song of sixpence, a poc'\n"
        "  'hello worl' -> 'hello worls, he txnnwny baa a '\n"
        "T=0.5\n"
        "  'Sing a son' -> 'Sing a song of sixpence, a poc'\n"
        "  'hello worl' -> 'hello worl,h  heantn!he in oou'\n")
    quoted = samples.page(samples.records(1, ["it's"], ["it's \"so\""]))
    assert quoted == "T=1\n  \"it's\" -> 'it\\'s \"so\"'\n"  # repr(), as before: any character


def test_samples_records_and_greedy():
    assert SAMPLES[0] == {"prompt": "Sing a son", "temperature": 0.0,
                          "text": "Sing a song of sixpence, a poc"}
    assert samples.greedy(SAMPLES) == {"Sing a son": "Sing a song of sixpence, a poc",
                                       "hello worl": "hello worls, he txnnwny baa a "}
    assert samples.check(json.loads(json.dumps({"samples": SAMPLES}))) == SAMPLES


def option(name, key):
    """The value of option ``key`` in stage ``name``'s cmd (dvc.yaml)."""
    cmd = stage_command(ROOT, name)
    return cmd[cmd.index(key) + 1]


def test_the_report_finds_a_text_models_files_by_its_stages_names(monkeypatch):
    """The report reads each text model's files in the folders its cmd names, by the names
    the text stages' cmds give them."""
    from stages import report

    monkeypatch.setattr(sys, "argv", ["report", *stage_command(ROOT, "report")[3:]])
    files = report.text_files(report.arguments(), "many_to_one")
    assert files == {"metrics": option("text_evaluate@many_to_one", "--metrics"),
                     "figure": option("text_evaluate@many_to_one", "--figure"),
                     "history": option("text_train@many_to_one", "--history"),
                     "run": option("text_train@many_to_one", "--run"),
                     "samples": option("text_generate@many_to_one", "--samples-json")}
    assert files["samples"] == "reports/samples/many_to_one.json"


def test_the_report_finds_a_series_models_files_by_its_stages_names(monkeypatch):
    """The report reads each series model's files in the folders its cmd names, by the names
    the series stages' cmds give them, and the stock series' data where those stages read it."""
    from stages import report

    monkeypatch.setattr(sys, "argv", ["report", *stage_command(ROOT, "report")[3:]])
    args = report.arguments()
    files = report.series_files(args, "stock")  # scored by every series stage
    assert files == {"metrics": option("series_evaluate@stock", "--metrics"),
                     "train_plot": option("series_evaluate@stock", "--train-plot"),
                     "test_predictions": option("series_evaluate@stock", "--test-predictions"),
                     "forecast_plot": option("series_evaluate@stock", "--forecast-plot"),
                     "figure": option("series_evaluate@stock", "--figure"),
                     "run": option("series_train@stock", "--run"),
                     "walkforward_metrics": option("series_walkforward@stock", "--metrics"),
                     "walkforward_plot": option("series_walkforward@stock", "--plot"),
                     "walkforward_figure": option("series_walkforward@stock", "--figure"),
                     "strategy_metrics": option("series_strategy@stock", "--metrics"),
                     "strategy_figure": option("series_strategy@stock", "--figure")}
    assert files["test_predictions"] == option("series_strategy@stock", "--test-predictions")
    assert files["figure"] == "reports/figures/stock.png"
    for part in ("meta", "train", "test"):
        assert getattr(args, f"stock_{part}") == option("stock_data", f"--{part}") \
            == option("series_evaluate@stock", f"--{part}")


@pytest.mark.parametrize("data", [{}, {"samples": {}}, {"samples": [{"prompt": "a"}]},
                                  {"samples": [{"prompt": 1, "temperature": 0, "text": "b"}]}],
                         ids=["no samples", "not a list", "a record short", "a prompt not text"])
def test_a_samples_file_not_as_text_generate_writes_it_is_one_line(data, tmp_path, monkeypatch):
    from stages import report

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "reports/samples/v.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    with pytest.raises(LabError, match=r"^reports/samples/v\.json is unreadable or corrupt"):
        report.samples_of("reports/samples/v.json")
    path.unlink()
    with pytest.raises(LabError, match=r"^reports/samples/v\.json is missing: `dvc repro` makes it"):
        report.samples_of("reports/samples/v.json")


# ---- the sections, from the committed files, in the committed page ----

def committed_json(relative):
    return json.loads(committed(relative))


def committed_rows(relative):
    return list(csv.DictReader(io.StringIO(committed(relative))))


def committed_run(name):
    run = committed_json(f"runs/{name}.json")
    return {k: run[k] for k in ("run_id", "experiment_name", "run_name")}


@pytest.fixture(scope="module")
def page():
    return committed("reports/README.md")


@pytest.fixture(scope="module")
def p():
    return yaml.safe_load(committed("params.yaml"))


def in_page(parts, page):
    """The parts as the stage joins them are a stretch of the page."""
    joined = "\n".join(parts)
    assert joined in page, f"not in reports/README.md:\n{joined[:2000]}"


def series_model(p, name):
    """What the report stage reads of series model ``name``, from the committed files."""
    section = p["series"][name]
    return {"metrics": committed_json(f"metrics/{name}.json"), "metrics_path": f"metrics/{name}.json",
            "labels": forecast.labels(section["layer"], section["units"],
                                      p[f"{section['data']}_data"]["window"]),
            "target": section["target"], "section": f"series.{name}",
            "figure": f"figures/{name}.png", "run": committed_run(name),
            "forecast_steps": len(committed_rows(f"plots/{name}_forecast.csv"))}


def test_sine_section_is_the_committed_pages(page, p):
    in_page(sine.section({"sine": series_model(p, "sine")}), page)


def test_adding_section_is_the_committed_pages(page, p):
    in_page(adding.section(committed_json("metrics/adding.json"), p), page)


def stock_models(p):
    return {name: series_model(p, name) for name, section in p["series"].items()
            if section["data"] == "stock"}


def test_stock_tables_walkforward_and_rule_are_the_committed_pages(page, p):
    models = stock_models(p)
    lab = models["stock"]
    in_page([stock.side_by_side(models)], page)
    in_page([stock.lag_note(models)], page)
    in_page(stock.walkforward_section(committed_json("metrics/stock_walkforward.json"),
                                      committed_rows("plots/stock_walkforward.csv"),
                                      p["series_walkforward"]["stock"]["epochs"], lab["labels"]), page)
    in_page(stock.strategy_section(committed_json("metrics/stock_strategy.json")), page)
    stock_part = page[page.index("## Example 4"):page.index("## Example 5")]
    called = stock.who(models)
    assert called == {"stock": "the lab's", "stock_tutorial": "the tutorials'"}
    for name in models:
        assert f"![{called[name]} model: " in stock_part and f"(figures/{name}.png)" in stock_part
    in_page(markdown.score_tables(lab["metrics"], lab["labels"], "series.stock.horizon"), page)


# ---- fields, not names ----

def test_a_model_is_called_by_what_it_predicts_or_by_its_name_where_two_share_it():
    models = {"stock": {"target": "log_return"}, "stock_tutorial": {"target": "price"},
              "stock_gru": {"target": "log_return"}}
    assert stock.who(models) == {"stock": "the stock", "stock_tutorial": "the tutorials'",
                                 "stock_gru": "the stock_gru"}
    assert stock.who({"x": {"target": "value"}}) == {"x": "the raw prices'"}


def test_a_second_sine_model_gets_its_own_tables_figure_and_run(p):
    first = series_model(p, "sine")
    gru = {**first, "labels": {**first["labels"], "model": "GRU(10)"}, "section": "series.gru",
           "figure": "figures/gru.png"}
    page = "\n".join(sine.section({"sine": first, "gru": gru}))
    assert page.startswith("## Example 1: a SimpleRNN(10) predicts")
    assert "### `gru`: a GRU(10) on the same sine\n" in page
    assert "(figures/gru.png)" in page and page.count("MLflow run") == 2


def test_the_scaler_note_follows_each_models_target_not_its_name(p):
    models = stock_models(p)
    models["stock"]["target"], models["stock_tutorial"]["target"] = "price", "log_return"
    above = (44.81, 84.56)
    [note] = stock.scaler_notes(models, above)  # 'stock' is now the model of scaled prices
    assert note.startswith("**Why the tutorials' model loses by so much**: the test prices reach 84.56")
    assert "below the price on average (persistence: " in note
    assert f"{abs(models['stock']['metrics']['test']['bias']['model']):.2f} below" in note
    assert " The lab's model predicts the next day's return instead" in note
    models["stock"]["target"] = "log_return"
    assert stock.scaler_notes(models, above) == []  # no model of scaled prices: nothing to explain
    models["stock"]["target"] = "price"
    assert stock.scaler_notes(models, None) == []  # the test prices stay in the training range
    models["stock_tutorial"]["target"] = "value"
    [note] = stock.scaler_notes(models, above)
    assert note.endswith("That is its scaler's failure, not the lesson.\n")  # nothing to contrast


@pytest.mark.parametrize("returns,sharpes,moved", [((3.0, 2.4), (1.3, 1.2), 100),
                                                  ((3.0, 2.4), (1.1, 1.2), 100),
                                                  ((1.7, 2.4), (1.3, 1.2), 100),
                                                  ((1.7, 2.4), (1.1, 1.2), 100),
                                                  ((1.7, 2.4), (1.1, 1.2), 0)])
def test_the_rules_verdict_is_tradings_without_the_calls(returns, sharpes, moved):
    """The page gives the calls' accuracy before the verdict, so it says trading.verdict's
    sentence up to them, built from the metrics rather than cut out of the sentence."""
    r = {"strategy": {"cumulative_return": returns[0], "sharpe": sharpes[0]},
         "buy_and_hold": {"cumulative_return": returns[1], "sharpe": sharpes[1]},
         "direction": {"n": moved, "accuracy": 0.52, "p_vs_half": 0.04, "p_vs_up_share": 0.6,
                       "best_constant": 0.53}}
    said = trading.verdict(r)
    assert said.split(" (directional accuracy")[0] == trading.verdict(r, calls=False)


def test_the_lecture_model_is_the_first_many_to_one_by_its_kind():
    assert lecture.lecture_model({"a": {"kind": "many_to_many"}, "b": {"kind": "many_to_one"},
                                  "c": {"kind": "many_to_one"}}) == "b"
    assert lecture.lecture_model({"many_to_one": {"kind": "many_to_many"}}) is None


def test_the_lecture_rows_quote_the_greedy_samples_of_the_json():
    slide = json.loads((ROOT / "lecture/slide.json").read_text(encoding="utf-8"))["sixpence"]
    script = json.loads((ROOT / "lecture/results.json").read_text(encoding="utf-8"))["sixpence"]
    model = {"units": 75, "vocab_size": 34, "greedy": samples.greedy(SAMPLES),
             "text": (ROOT / "data/sixpence.txt").read_text(encoding="utf-8"),
             "meta": {"characters": 406, "window": 10, "split": {"train": 406}},
             "history": [{"epoch": "99", "loss": "0.25", "accuracy": "0.98"}]}
    rows = {row[0]: row for row in lecture.sixpence_rows(slide, script, model)}
    assert rows["sixpence: 'Sing a son' + 20 greedy characters"][3] == "`Sing a song of sixpence, a poc`"
    assert rows["sixpence: 'king was i' + 20 greedy characters"][3] == "–"  # not generated
    assert rows["sixpence: loss, accuracy at epoch 99"][3] == "0.2500, 0.9800"
    assert rows["sixpence: loss, accuracy at epoch 100"][3] == "–"
    assert rows["sixpence: weights (LSTM + Dense)"][3] == "35,584"
    assert rows["sixpence: 'king was i' + 20 greedy characters"][4] == (
        "' counting ' is followed by 'h' once and by 'o' once in the rhyme: a guess")


def test_a_prompts_note_is_counted_on_the_text_the_models_learnt():
    text = "abcdXabcdYabcdX"
    assert lecture.prompt_note("abc", text, 4) == (
        "'abcd' is followed by 'X' twice and by 'Y' once in the rhyme: a guess")
    assert lecture.prompt_note("hel", "hello world", 3) == (
        "the rhyme goes on one way from it: every model that has learnt it writes it")
    assert lecture.prompt_note("zz", text, 2) == "not in the rhyme: each model guesses its own way"


def test_the_text_section_shows_the_samples_as_the_txt_file_holds_them():
    part = "\n".join(text.model_part("m", {"figure": "figures/text_m.png", "samples": SAMPLES,
                                           "run": {"run_id": "r", "experiment_name": "e",
                                                   "run_name": "n"}}))
    assert f"```\n{samples.page(SAMPLES)}```\n" in part
    assert part.endswith("MLflow run `r` (e / n).\n")


# ---- the package ----

MODULES = sorted((ROOT / "rnnlab/report").glob("*.py")) + [ROOT / "stages/report.py"]


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_each_module_is_short_and_says_what_it_holds(path):
    import ast

    source = path.read_text(encoding="utf-8")
    assert source.count("\n") <= 300, f"{path.name}: {source.count(chr(10))} lines, at most ~300"
    assert ast.get_docstring(ast.parse(source)), f"{path.name} has no docstring"


def test_the_report_package_imports_no_mlflow_and_no_tensorflow():
    """Behind the lesson, beside charts/: the sections take data and return text."""
    code = ("import sys; import rnnlab.report.adding, rnnlab.report.lecture, "
            "rnnlab.report.sine, rnnlab.report.stock, rnnlab.report.text; "
            "print(sorted(m for m in ('mlflow', 'tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert out.strip() == "[]"
