"""Your own data by params alone, end to end: a text file of your own and a price download
in a finance site's shape, each named in params.yaml, trained and scored by the real
`dvc repro` in a copy of the session's pipeline (conftest.py), with no code change. (Apart
from tests/test_pipeline.py, so that `make test`'s workers run the two at once.)"""
import json

import pytest
from mlflow import MlflowClient

from tests.conftest import (
    ROOT,
    STOCK_STAGES,
    edit_params,
    ran,
    run,
    set_vars,
    tool,
    trained_copy,
)

NOTES_CHARACTERS = 4000
"""How much of README.md stands in for a user's text: enough for every prompt's characters."""


OWN_TEXT_STAGES = {"text_encode", "text_baselines",
                   *(f"text_{s}@many_to_one" for s in ("train", "evaluate", "generate", "track"))}


@pytest.fixture(scope="module")
def own_files(pipeline, tmp_path_factory):
    """A user's own text and a download in a finance site's shape, each named in params.yaml,
    then one `dvc repro` that runs both (the next two tests; one repro, one report, instead of
    one each), in a copy of the session's pipeline. README.md's start stands in for the text.
    One model of each learns them, many_to_one the text and stock the prices (params.yaml
    defines the models: the other sections are left out, and with them their stages)."""
    project = trained_copy(pipeline, tmp_path_factory.mktemp("own") / "lab")
    (project / "data/notes.md").write_text(
        (ROOT / "README.md").read_text(encoding="utf-8")[:NOTES_CHARACTERS], encoding="utf-8")

    def use_notes(p):
        p["text_encode"].update(val=0.1)
        p["text_train"]["many_to_one"].update(epochs=1)
        del p["text_train"]["many_to_many"]

    header, *rows = (ROOT / "data/msft.csv").read_text().splitlines()
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for row in reversed(rows[-1500:]):
        date, o, h, low, c, volume, _ = row.split(",")
        y, m, d = date.split("-")
        lines.append(f"{m}/{d}/{y},{o},{h},{low},{c},{float(c) * 0.9:.4f},{volume}")
    lines.append(",,,,,,")  # a trailing empty row, as some exports have
    (project / "data/MSFT daily.csv").write_text("\n".join(lines) + "\n")

    def use_download(p):
        p["stock_data"].update(target="Adj Close",
                               inputs=["Open", "High", "Low", "Volume"], window=10)
        p["series"]["stock"].update(target="log_return", epochs=1)
        del p["series"]["stock_tutorial"]

    edit_params(project, lambda p: (use_notes(p), use_download(p)))
    set_vars(project, corpus="data/notes.md", prices="'data/MSFT daily.csv'")
    return project, run([tool("dvc"), "repro"], cwd=project).stdout


@pytest.mark.slow
def test_any_text_file_trains_on_its_start_and_is_scored_on_its_held_out_end(own_files):
    """A user's own text, named in params.yaml: no code change."""
    project, out = own_files
    assert OWN_TEXT_STAGES | {"report"} <= ran(out)
    vocab = json.loads((project / "data/text/vocab.json").read_text())
    sizes = vocab["split"]
    assert sizes["val"] == round(0.1 * vocab["characters"]) and sizes["gap"] == 10
    assert sizes["train"] + sizes["gap"] + sizes["val"] == vocab["characters"]
    for name in ("many_to_one", "ngram", "unigram", "ceiling"):
        scores = json.loads((project / f"metrics/text_{name}.json").read_text())
        assert list(scores) == ["val"] or set(scores) == {"val", "order", "order_asked"}, scores
        assert scores["val"]["windows"] == sizes["val"] - 10
    history = (project / "plots/text_many_to_one_history.csv").read_text().splitlines()
    assert history[0].split(",") == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert "'Sing a son' -> 'Sing a son" in (project / "reports/samples/many_to_one.txt").read_text()
    assert "`data/notes.md`" in (project / "reports/README.md").read_text()
    client = MlflowClient(tracking_uri=f"sqlite:///{project}/mlflow.db")
    run_id = json.loads((project / "runs/text_many_to_one.json").read_text())["run_id"]
    r = client.get_run(run_id)
    assert client.get_experiment(r.info.experiment_id).name == "notes"
    assert {"eval_val_accuracy", "eval_val_accuracy_ngram", "val_loss"} <= set(r.data.metrics)
    assert client.search_model_versions("name='notes-many-to-one'")


@pytest.mark.slow
def test_a_finance_site_csv_trains_by_params_alone(own_files):
    """A download in another site's shape (newest first, US dates, Adj Close, Volume) with
    extra input columns and a log-return target: no code change."""
    project, out = own_files
    tutorial = {f"series_{s}@stock_tutorial" for s in ("train", "evaluate", "track")}  # left out
    assert ran(out) - OWN_TEXT_STAGES == (STOCK_STAGES - tutorial) | {"report"}  # text: above
    meta = json.loads((project / "data/stock/meta.json").read_text())
    assert meta["columns"] == ["Adj Close", "Open", "High", "Low", "Volume"]
    assert meta["experiment"] == "msft-daily"
    test = (project / "predictions/stock_test.csv").read_text().splitlines()
    assert test[1].split(",")[1] < test[-1].split(",")[1]  # sorted by date, oldest first
    assert len(test) == 1 + round(0.15 * 1500)
    stock = json.loads((project / "metrics/stock.json").read_text())
    assert 0.2 < stock["test"]["theil_u"]["model"] < 5  # a price, not a return, is scored
    page = (project / "reports/README.md").read_text()
    assert "`data/MSFT daily.csv`, column Adj Close and Open, High, Low, Volume" in page
    client = MlflowClient(tracking_uri=f"sqlite:///{project}/mlflow.db")
    assert client.search_model_versions("name='msft-daily-forecaster'")
