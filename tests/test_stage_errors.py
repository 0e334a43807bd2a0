"""Bad input through the real stage commands: one line naming the cause, exit 1, no outputs;
and what a stage takes instead of refusing (an n-gram order above the window: the window's)."""
import pytest
import yaml

from tests.conftest import assert_one_line_error, run, stage_command


def set_param(project, section, key, value):
    path = project / "params.yaml"
    p = yaml.safe_load(path.read_text())
    p[section][key] = value
    path.write_text(yaml.safe_dump(p, sort_keys=False))


def stage(project, name, **values):
    """Stage ``name`` run by hand, as dvc.yaml runs it (with ``values`` for its vars)."""
    return run(stage_command(project, name, **values), cwd=project, check=False)


def test_data_stages_run(project):
    for name in ("sine_data", "stock_data", "text_encode"):
        assert stage(project, name).returncode == 0, name
    for path in ("data/sine/train.npz", "data/sine/test.npz", "data/stock/train.npz",
                 "data/stock/val.npz", "data/stock/test.npz", "data/stock/meta.json",
                 "data/text/train.npy", "data/text/val.npy"):
        assert (project / path).exists(), path


STOCK_OUTPUTS = ("train.npz", "val.npz", "test.npz", "meta.json")


@pytest.mark.parametrize("key,value,fragments", [
    ("target", "Adj Close", ["no column 'Adj Close'", "'Date', 'Open', 'High'"]),
    ("inputs", ["Open", "Volme"], ["no column 'Volme'", "stock_data.inputs"]),
    ("date", "Day", ["no column 'Day'", "stock_data.date"]),
    ("date", "Open", ["cannot read the date"]),
    ("inputs", "Open", ["stock_data.inputs", "list"]),
    ("test", 0, ["stock_data.test", "> 0"]),
    ("val", 0.6, ["stock_data.val", "<= 0.5"]),
    ("window", 1, ["stock_data.window", ">= 2"]),
    ("window", 1000, ["stock_data", "window of 1000", "rows"]),
])
def test_bad_stock_params(project, key, value, fragments):
    set_param(project, "stock_data", key, value)
    if key == "window" and value == 1000:  # a short file: 1,200 rows leave no room for the window
        lines = (project / "data/msft.csv").read_text().splitlines()
        (project / "data/msft.csv").write_text("\n".join(lines[:1201]) + "\n")
    assert_one_line_error(stage(project, "stock_data"), *fragments)
    assert not any((project / "data/stock" / name).exists() for name in STOCK_OUTPUTS)


def set_cell(rows, row, column, value):
    cells = rows[row].split(",")
    cells[column] = value
    return rows[:row] + [",".join(cells)] + rows[row + 1:]


@pytest.mark.parametrize("edit,fragments", [
    (lambda rows: set_cell(rows, 100, 4, ""), ["column 'Close' has no value on 1986-08-05",
                                               "inside the series"]),
    (lambda rows: rows[:100] + [rows[99]] + rows[100:], ["occurs more than once"]),
    (lambda rows: set_cell(rows, 50, 4, "n/a?"), ["column 'Close' on", "'n/a?', not a number"]),
])
def test_broken_price_file(project, edit, fragments):
    path = project / "data/msft.csv"
    header, *rows = path.read_text().splitlines()
    path.write_text("\n".join([header, *edit(rows)]) + "\n")
    assert_one_line_error(stage(project, "stock_data"), "data/msft.csv", *fragments)
    assert not any((project / "data/stock" / name).exists() for name in STOCK_OUTPUTS)


@pytest.mark.parametrize("section,key,value,fragments", [
    ("sine_data", "window", "3", ["sine_data.window", "integer"]),
    ("sine_data", "n_samples", 3, ["sine_data.n_samples", "sine_data.window"]),
    ("sine_data", "frequncy", 1.0, ["unknown key 'sine_data.frequncy'"]),
    ("sine_data", "sampling_rate", -10, ["sine_data.sampling_rate", "> 0"]),
    ("sine_data", "window", 1, ["sine_data.window", ">= 2"]),
    ("sine_data", "held_out", 0, ["sine_data.held_out", ">= 1"]),
    ("sine_data", "noise", -0.1, ["sine_data.noise", ">= 0"]),
])
def test_bad_sine_params(project, section, key, value, fragments):
    set_param(project, section, key, value)
    assert_one_line_error(stage(project, "sine_data"), *fragments)
    assert not (project / "data/sine").exists() or not any((project / "data/sine").iterdir())


def test_missing_corpus_or_prices(project):
    assert_one_line_error(stage(project, "text_encode", corpus="data/nope.txt"), "data/nope.txt",
                          "not found", "dvc.yaml's corpus")
    assert_one_line_error(stage(project, "stock_data", prices="data/nope.csv"), "data/nope.csv",
                          "not found", "dvc.yaml's prices")
    assert not (project / "data/text").exists() or not any((project / "data/text").iterdir())


@pytest.mark.parametrize("content,fragment", [
    (b"", "is empty"), (b" \n\t \n", "is empty"),
    (b"Sing a", "needs at least 11"), (b"Sing \xff\xfe a song of", "not UTF-8"),
])
def test_bad_corpus(project, content, fragment):
    (project / "data/sixpence.txt").write_bytes(content)
    assert_one_line_error(stage(project, "text_encode"), "data/sixpence.txt", fragment)
    assert not (project / "data/text/vocab.json").exists()


@pytest.mark.parametrize("text,val,fragments", [
    ("Sing a song of sixpence, " * 16, 0.01, ["text_encode.val 0.01 holds out 4 of 399", "at least 11"]),
    ("Sing a song of sixpence, " * 16, 0.001, ["text_encode.val 0.001 holds out 0 of 399"]),
    ("Sing a song of sixpence", 0.5, ["text_encode.val 0.5 leaves 1 of 23", "at least 11"]),
    ("Sing a song of sixpence", "0.1", ["text_encode.val", "must be a number"]),
    ("Sing a song of sixpence", 0.95, ["text_encode.val", "<= 0.9"]),
])
def test_held_out_split_too_small_or_bad(project, text, val, fragments):
    (project / "data/sixpence.txt").write_text(text)
    set_param(project, "text_encode", "val", val)
    assert_one_line_error(stage(project, "text_encode"), *fragments)
    assert not (project / "data/text").exists() or not any((project / "data/text").iterdir())


def test_ngram_order_beyond_the_window_is_lowered_to_it(project):
    """A baseline sees no more than the models: an order above the window is the window's,
    said in a line and recorded; the n-gram then scores as one asked for the window."""
    import json

    window = yaml.safe_load((project / "params.yaml").read_text())["text_encode"]["window"]
    assert stage(project, "text_encode").returncode == 0
    set_param(project, "text_baselines", "ngram_order", window)
    assert stage(project, "text_baselines").returncode == 0
    at_window = json.loads((project / "metrics/text_ngram.json").read_text())
    set_param(project, "text_baselines", "ngram_order", window + 1)
    done = stage(project, "text_baselines")
    assert done.returncode == 0, done.stderr
    assert (f"'text_baselines.ngram_order' asks for {window + 1} characters of context, but the "
            f"models read windows of {window} (text_encode.window): using {window}") in done.stdout
    assert f"{window}-character context" in done.stdout
    lowered = json.loads((project / "metrics/text_ngram.json").read_text())
    assert lowered["order"] == window and lowered["order_asked"] == window + 1
    assert at_window["order_asked"] == window
    assert lowered["train"] == at_window["train"]


def test_prompt_outside_vocabulary(project):
    assert stage(project, "text_encode").returncode == 0
    set_param(project, "text_generate", "prompts", ["Sing a son", "hello wörld"])
    proc = stage(project, "text_generate@many_to_one")
    assert_one_line_error(proc, "text_generate.prompts", "'hello wörld'", "'ö'")
    assert not (project / "reports/samples/many_to_one.txt").exists()


def test_unknown_variant(project):
    cmd = stage_command(project, "text_train@many_to_one")
    cmd[cmd.index("many_to_one")] = "one_to_one"
    assert_one_line_error(run(cmd, cwd=project, check=False), "invalid choice: 'one_to_one'",
                          "many_to_one|many_to_many")


def test_a_stage_without_its_paths_says_which(project):
    """The files come from the cmd in dvc.yaml: a command line without one names the option."""
    length = str(yaml.safe_load((project / "params.yaml").read_text())["adding_data"]["lengths"][0])
    cmd = stage_command(project, f"adding_data@{length}")
    at = cmd.index("--data")
    assert_one_line_error(run(cmd[:at], cwd=project, check=False),
                          "the following arguments are required: --data",
                          "usage: python -m stages.adding_data")
    cmd[cmd.index(length)] = "1"
    assert_one_line_error(run(cmd, cwd=project, check=False),
                          "argument length: must be an integer >= 2, got '1'")


def test_a_series_stage_without_its_paths_or_with_an_unknown_model_says_which(project):
    """The series stages' files come from their cmd in dvc.yaml too; the model is one of
    params.yaml's series."""
    cmd = stage_command(project, "sine_data")
    at = cmd.index("--meta")
    assert_one_line_error(run(cmd[:at], cwd=project, check=False),
                          "the following arguments are required: --meta",
                          "usage: python -m stages.sine_data")
    assert not (project / "data/sine").exists()
    cmd = stage_command(project, "series_train@sine")
    cmd[cmd.index("sine")] = "sinus"
    assert_one_line_error(run(cmd, cwd=project, check=False), "invalid choice: 'sinus'",
                          "sine|stock|stock_tutorial")


def test_unknown_sections_are_refused(project):
    path = project / "params.yaml"
    path.write_text(path.read_text() + "\nsine_dta:\n  window: 4\n")
    assert_one_line_error(stage(project, "sine_data"), "unknown section 'sine_dta'")


@pytest.mark.parametrize("name,kind,fragment", [
    ("Many_to_few", "many_to_one", "unknown model 'text_train.Many_to_few'"),
    ("many_to_few", "many_to_few", "'text_train.many_to_few.kind' must be one of 'many_to_one', "
                                   "'many_to_many'"),
])
def test_unknown_text_model_is_refused(project, name, kind, fragment):
    """Any lower-case name is a model (its section is all a new variant needs), of a kind the
    code builds."""
    p = yaml.safe_load((project / "params.yaml").read_text())
    p["text_train"][name] = {**p["text_train"]["many_to_one"], "kind": kind}
    (project / "params.yaml").write_text(yaml.safe_dump(p, sort_keys=False))
    assert_one_line_error(stage(project, "text_encode"), fragment)
