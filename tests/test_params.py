"""params.yaml: its schema (rnnlab/params.py), its one-line errors, how it is read (YAML 1.2,
as DVC reads it), its JSON Schema (docs/params.schema.json), and that every stage asks only for
params its stage in dvc.yaml declares."""
import copy
import importlib
import json
import shlex
import subprocess
import sys

import pytest

from rnnlab import params, sections
from rnnlab.core.errors import LabError
from tests.conftest import ROOT

SHIPPED = params.read(ROOT / "params.yaml")


def edited(edits=(), drops=()):
    """A copy of the shipped params with ``{dotted key: value}`` set and ``drops`` removed."""
    p = copy.deepcopy(SHIPPED)
    for dotted, value in dict(edits).items():
        *parents, key = dotted.split(".") if isinstance(dotted, str) else [dotted]
        node = p
        for part in parents:
            node = node[part]
        node[key] = value
    for dotted in drops:
        *parents, key = dotted.split(".")
        node = p
        for part in parents:
            node = node[part]
        del node[key]
    return p


def refused(p, message):
    with pytest.raises(LabError, match=message) as caught:
        params.check(p)
    line = str(caught.value)
    assert "\n" not in line and line.startswith("params.yaml: "), line
    return line


def test_shipped_params_are_valid():
    assert params.check(SHIPPED) is SHIPPED
    proc = subprocess.run([sys.executable, "-m", "rnnlab.params"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_lecture_defaults():
    p = SHIPPED
    lecture = {"amplitude": 1.0, "frequency": 1.0, "sampling_rate": 10, "n_samples": 20,
               "window": 3}
    assert {k: p["sine_data"][k] for k in lecture} == lecture
    assert p["sine_data"]["noise"] == 0  # the lecture's clean sine; held_out only adds samples after it
    assert p["text_encode"]["val"] == 0  # the lecture trains and scores on the whole rhyme
    assert p["text_generate"]["temperatures"][0] == 0  # greedy first, as in the lecture
    assert p["series"]["sine"]["units"] == 10 and p["series"]["sine"]["optimizer"] == "sgd"
    assert p["series"]["sine"]["layer"] == "simple_rnn" and p["series"]["sine"]["target"] == "value"
    assert p["text_encode"]["window"] == 10
    assert p["text_train"]["many_to_one"]["units"] == 75
    assert p["text_train"]["many_to_one"]["kind"] == "many_to_one"
    assert p["text_train"]["many_to_many"]["kind"] == "many_to_many"
    assert p["text_generate"]["prompts"] == ["Sing a son", "king was i", "hello worl"]


# ---- one line per problem, naming the key ----

@pytest.mark.parametrize("key,value,message", [
    ("series.sine.epochs", "100",
     r"^params.yaml: 'series.sine.epochs' must be an integer >= 1 and <= 1000000, got '100'$"),
    ("series.sine.epochs", 0, r"'series.sine.epochs' must be an integer >= 1 and <= 1000000, got 0$"),
    ("series.sine.epochs", True, r"'series.sine.epochs' must be an integer .*, got True$"),
    ("series.sine.epochs", 2.5, r"'series.sine.epochs' must be an integer"),
    ("series.sine.epochs", 100.0, r"'series.sine.epochs' must be an integer"),
    ("series.sine.learning_rate", 0, r"'series.sine.learning_rate' must be a number > 0 and <= 10, got 0$"),
    ("series.sine.learning_rate", float("nan"), r"'series.sine.learning_rate' must be a number"),
    ("series.sine.learning_rate", float("inf"), r"'series.sine.learning_rate' must be a number"),
    ("series.sine.learning_rate", "0.01", r"'series.sine.learning_rate' must be a number"),
    ("series.sine.optimizer", "adamw",
     r"'series.sine.optimizer' must be one of 'sgd', 'adam', 'rmsprop', got 'adamw'$"),
    ("series.sine.layer", "LSTM", r"'series.sine.layer' must be one of 'simple_rnn', 'lstm', 'gru'"),
    ("series.stock.target", None, r"'series.stock.target' must be one of 'value', 'price', 'log_return', got None"),
    ("sine_data.window", "3", r"'sine_data.window' must be an integer >= 2 and <= 1000, got '3'"),
    ("sine_data.window", 1, r"'sine_data.window' must be an integer >= 2"),
    ("sine_data.sampling_rate", -10, r"'sine_data.sampling_rate' must be a number > 0, got -10"),
    ("sine_data.seed", 2**32, r"'sine_data.seed' must be an integer >= 0 and <= 4294967295"),
    ("stock_data.inputs", "Open", r"'stock_data.inputs' must be a list of distinct non-empty strings"),
    ("stock_data.inputs", ["Open", "Open"], r"'stock_data.inputs' must be a list of distinct"),
    ("stock_data.inputs", ["Open", " "], r"'stock_data.inputs' must be a list of distinct non-empty"),
    ("stock_data.test", 0, r"'stock_data.test' must be a number > 0 and <= 0.5, got 0$"),
    ("stock_data.missing", "fill", r"'stock_data.missing' must be one of 'error', 'drop', 'ffill', got 'fill'$"),
    ("series_walkforward.stock.folds", 0, r"'series_walkforward.stock.folds' must be an integer >= 1 and <= 1000, got 0$"),
    ("series_walkforward.stock.epochs", 0, r"'series_walkforward.stock.epochs' must be an integer >= 1"),
    ("series_strategy.stock.cost_bps", -5, r"'series_strategy.stock.cost_bps' must be a number >= 0 and <= 10000, got -5$"),
    ("series_strategy.stock.cost_bps", float("nan"), r"'series_strategy.stock.cost_bps' must be a number"),
    ("series.stock_tutorial.target", "prices", r"'series.stock_tutorial.target' must be one of 'value', 'price', 'log_return'"),
    ("stock_data.val", 0.6, r"'stock_data.val' must be a number >= 0 and <= 0.5, got 0.6$"),
    ("text_encode.val", "0.1", r"'text_encode.val' must be a number >= 0 and <= 0.9, got '0.1'"),
    ("stock_data.target", "", r"'stock_data.target' must be a non-empty string, got ''"),
    ("stock_data.target", "  ", r"'stock_data.target' must be a non-empty string"),
    ("stock_data.target", None, r"'stock_data.target' must be a non-empty string, got None"),
    ("stock_data.target", 5, r"'stock_data.target' must be a non-empty string, got 5"),
    ("text_train.many_to_one.units", 0, r"'text_train.many_to_one.units' must be an integer >= 1 and <= 4096"),
    ("text_train.many_to_one.kind", "one_to_one",
     r"'text_train.many_to_one.kind' must be one of 'many_to_one', 'many_to_many', got 'one_to_one'"),
    ("text_generate.prompts", ["ok", ""], r"'text_generate.prompts' must be a non-empty list of non-empty strings"),
    ("text_generate.prompts", "Sing", r"'text_generate.prompts' must be a non-empty list"),
])
def test_bad_values_name_the_key(key, value, message):
    refused(edited({key: value}), message)


@pytest.mark.parametrize("temperatures", [[], 0.5, [0.5, -1], [0.5, "hot"], [True], [float("inf")]])
def test_temperatures_must_be_a_list_of_numbers_from_zero(temperatures):
    refused(edited({"text_generate.temperatures": temperatures}),
            r"'text_generate.temperatures' must be a non-empty list of numbers >= 0")


def test_an_integer_is_a_number_and_stays_an_int():
    p = edited({"series.sine.learning_rate": 1, "sine_data.amplitude": 5, "text_generate.temperatures": [0, 1]})
    assert params.check(p)["series"]["sine"]["learning_rate"] == 1
    assert type(p["series"]["sine"]["learning_rate"]) is int


def test_integers_of_hundreds_of_digits_are_refused_or_accepted_cleanly():
    refused(edited({"series.sine.batch_size": 10**400}),
            r"'series.sine.batch_size' must be an integer >= 1 and <= 1000000, got 1000")
    refused(edited({"sine_data.amplitude": 10**400}), r"'sine_data.amplitude' must be a number > 0, got 1000")
    params.check(edited({"sine_data.n_samples": 10**400}))  # no bound: sine_data says how much memory


def test_a_diagnostic_beyond_the_data_passes_the_check_a_batch_beyond_it_does_not():
    """What a stage lowers to what the data holds (a horizon beyond the held-out samples, an
    n-gram order beyond the window, more gradient sequences than the test set) is no relation
    the check refuses; a batch larger than the training set still is."""
    test_size = SHIPPED["adding_data"]["test_size"]
    beyond = {"adding_train.gradient_sequences": test_size + 1,
              "series.sine.horizon": SHIPPED["sine_data"]["held_out"] + 1,
              "text_baselines.ngram_order": SHIPPED["text_encode"]["window"] + 1}
    p = edited(beyond)
    assert params.check(p) is p
    related = {key for keys, _, _ in params.RELATIONS for key in keys}
    assert not related & set(beyond)
    refused(edited({"adding_data.train_size": SHIPPED["adding_train"]["batch_size"] - 1}),
            r"'adding_train.batch_size' \(\d+\) and 'adding_data.train_size' \(\d+\): a batch "
            r"must not be larger than the training set")


def test_unknown_and_missing_keys_and_sections():
    refused(edited({"series.sine.epoch": 3}),
            r"^params.yaml: unknown key 'series.sine.epoch' \(known: batch_size, data, epochs, horizon, ")
    refused(edited({"sine_data.frequncy": 1.0}), r"unknown key 'sine_data.frequncy'")
    refused(edited(drops=["series.sine.seed"]), r"^params.yaml: missing key 'series.sine.seed'$")
    refused(edited(drops=["series"]), r"^params.yaml: missing section 'series'$")
    refused(edited({"sine_dta": {"window": 4}}),
            r"^params.yaml: unknown section 'sine_dta' \(known: sine_data, stock_data, series, ")
    refused(edited({"series.Sine": SHIPPED["series"]["sine"]}), r"unknown model 'series.Sine'")
    refused(edited({"series.sine.data": "text"}), r"'series.sine.data' must be one of 'sine', 'stock'")
    refused(edited({1: 2}), r"unknown section '1'")
    refused(edited({"sine_data": {1: 2}}), r"unknown key 'sine_data.1'")
    refused(edited({"text_train.many_to_one": {**SHIPPED["text_train"]["many_to_one"], 7: 1}}),
            r"unknown key 'text_train.many_to_one.7'")  # before its missing keys
    # a section written whole: its unknown key (the file moved to dvc.yaml) before its missing ones
    refused(edited({"stock_data": {"csv": None}}), r"unknown key 'stock_data.csv' \(known: date, ")


@pytest.mark.parametrize("section,value", [("sine_data", "abc"), ("series", [1, 2]),
                                           ("text_train", "foo"), ("series_strategy", None)])
def test_a_section_must_be_a_mapping(section, value):
    refused(edited({section: value}), rf"^params.yaml: section '{section}' must be a mapping of keys, got {value!r}$"
            .replace("[", r"\[").replace("]", r"\]"))


def test_shape_problems_come_first():
    """The file's shape (an unknown section, a section that is not a mapping, a bad model name)
    before any value; then the sections in order, in each its unknown keys first."""
    refused(edited({"sine_data.window": 0, "zzz": 1}), r"unknown section 'zzz'")
    refused(edited({"sine_data.window": 0, "text_generate": 3}), r"section 'text_generate' must be a mapping")
    refused(edited({"sine_data.window": 0, "series.sine.foo": 1}), r"'sine_data.window' must be")
    refused(edited({"series.sine.units": 0, "series.sine.foo": 1}), r"unknown key 'series.sine.foo'")


def test_series_sections_have_their_own_keys_not_the_text_ones():
    refused(edited({"series.sine.kind": "many_to_one"}), r"unknown key 'series.sine.kind'")
    refused(edited({"series.stock.kind": "many_to_one"}), r"unknown key 'series.stock.kind'")
    refused(edited({"text_train.many_to_one.patience": 3}), r"unknown key 'text_train.many_to_one.patience'")
    refused(edited({"text_train.many_to_one.layer": "rnn"}), r"'text_train.many_to_one.layer' must be one of 'lstm', 'gru', 'simple_rnn'")
    assert set(sections.SeriesModel.model_fields) - set(sections.TextVariant.model_fields) == \
        {"target", "patience", "data", "horizon"}
    assert set(sections.TextVariant.model_fields) - set(sections.SeriesModel.model_fields) == {"kind"}


def test_a_diagnostic_names_a_model_of_series_and_its_data():
    """series_walkforward and series_strategy score models of `series`: another name, or a
    walk-forward's data that is not its model's, is one line before anything runs."""
    refused(edited({"series_walkforward.sine_gru": {"data": "sine", "folds": 2, "epochs": 1}}),
            r"^params.yaml: 'series_walkforward.sine_gru' names no model of 'series' "
            r"\(its models: sine, stock, stock_tutorial\)$")
    refused(edited({"series_strategy.stok": {"cost_bps": 5}}),
            r"'series_strategy.stok' names no model of 'series'")
    refused(edited({"series_walkforward.stock.data": "sine"}),
            r"^params.yaml: 'series_walkforward.stock.data' is 'sine', but 'series.stock.data' "
            r"is 'stock': the same data, please$")
    params.check(edited({"series_walkforward": {}, "series_strategy": {}}))  # may be empty
    params.check(edited({"series.sine_gru": {**SHIPPED["series"]["sine"], "layer": "gru"},
                         "series_strategy.sine_gru": {"cost_bps": 0}}))


def test_text_variants_are_named_sections_with_a_kind():
    new = {**SHIPPED["text_train"]["many_to_one"], "units": 16}
    p = params.check(edited({"text_train.small_lstm2": new}))
    assert list(p["text_train"]) == ["many_to_one", "many_to_many", "small_lstm2"]
    refused(edited(drops=["text_train.many_to_one.kind"]), r"^params.yaml: missing key 'text_train.many_to_one.kind'$")
    for name in ("Many", "2nd", "many-to-one", "", 1):
        refused(edited({"text_train": {name: new}}), rf"^params.yaml: unknown model 'text_train.{name}': "
                                                     r"a model's name must be a lower-case identifier")
    refused(edited({"text_train": {}}), r"'text_train' must be a mapping of at least one model")
    refused(edited({"text_train.x": 3}), r"section 'text_train.x' must be a mapping of keys, got 3")


def test_problems_lists_one_line_per_field():
    from pydantic import ValidationError

    p = edited({"text_generate.temperatures": [-1, -2, "x"], "series.sine.units": 0, "series.sine.foo": 1})
    with pytest.raises(ValidationError) as caught:
        sections.ParamsFile.model_validate(p)
    lines = params.problems(caught.value, p)
    assert [line.split("'")[1] for line in lines] == ["series.sine.foo", "series.sine.units",
                                                      "text_generate.temperatures"]


# ---- read as DVC reads it: YAML 1.2 ----

def write(tmp_path, text):
    path = tmp_path / "params.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def with_lines(replacements):
    text = (ROOT / "params.yaml").read_text()
    for old, new in replacements.items():
        assert text.count(old) >= 1, old
        text = text.replace(old, new, 1)
    return text


def test_learning_rate_1e_3_is_a_number(tmp_path):
    path = write(tmp_path, with_lines({"learning_rate: 0.01 ": "learning_rate: 1e-3 "}))
    p = params.check(params.read(path))
    assert p["series"]["sine"]["learning_rate"] == 0.001 and type(p["series"]["sine"]["learning_rate"]) is float
    got = params.load("series_train@sine", "series.sine.learning_rate", path=path)
    assert got == {"series.sine.learning_rate": 0.001}


@pytest.mark.parametrize("lines,outcome", [
    # YAML 1.1 (PyYAML) would read a bool here; YAML 1.2 a string: refused as not an optimizer.
    ({"optimizer: sgd ": "optimizer: yes "}, r"'series.sine.optimizer' must be one of 'sgd', 'adam', 'rmsprop', got 'yes'"),
    # ...and a string is what a prompt is: accepted, as DVC passes it.
    ({"    - hello worl": "    - no"}, {"text_generate.prompts": ["Sing a son", "king was i", "no"]}),
    ({"  target: Close ": "  target: on "}, {"stock_data.target": "on"}),
    # 1.1: octal 8; 1.2: decimal 10 (and 0o10 is 8)
    ({"epochs: 100\n": "epochs: 010\n"}, {"series.sine.epochs": 10}),
    ({"epochs: 100\n": "epochs: 0o10\n"}, {"series.sine.epochs": 8}),
    # 1.1: sexagesimal 80; 1.2: a string
    ({"  window: 3 ": "  window: 1:20 "}, r"'sine_data.window' must be an integer >= 2 and <= 1000, got '1:20'"),
    # 1e2 is a float in 1.2 (a string in 1.1): not an integer either way
    ({"epochs: 100\n": "epochs: 1e2\n"}, r"'series.sine.epochs' must be an integer >= 1 and <= 1000000, got 100.0"),
    ({"  noise: 0.0 ": "  noise: .inf "}, r"'sine_data.noise' must be a number >= 0, got inf"),
    ({"  date: Date ": "  date: 2017-11-10 "}, r"'stock_data.date' must be a non-empty string, got datetime.date"),
])
def test_yaml_1_2_as_dvc_reads_it(tmp_path, lines, outcome):
    from dvc.utils.serialize import load_yaml

    path = write(tmp_path, with_lines(lines))
    assert params.read(path) == load_yaml(str(path))  # the values DVC passes to the stages
    if isinstance(outcome, str):
        with pytest.raises(LabError, match=outcome):
            params.check(params.read(path), path)
    else:
        assert params.load("some_stage", *outcome, path=path) == outcome


@pytest.mark.parametrize("content,message", [
    (None, r"^params.yaml is missing: it holds every param"),
    ("a: [\n", r"^params.yaml: not valid YAML at line 2: "),
    ("sine_data: 1\nsine_data: 2\n", r"^params.yaml: not valid YAML at line 2: found duplicate key"),
    ("a: 1\n b: 2\n", r"^params.yaml: not valid YAML at line 2"),
    ("", r"^params.yaml must be a mapping of sections \(sine_data:, text_train:, ...\), got an empty file$"),
    ("# only a comment\n", r"got an empty file$"),
    ("- 1\n- 2\n", r"^params.yaml must be a mapping of sections \(sine_data:, text_train:, ...\), got list$"),
    ("7\n", r"got int$"),
    ("a: " + "1" * 5000 + "\n", r"^params.yaml: not valid YAML: Exceeds the limit"),
    ("a: " + "[" * 5000 + "\n", r"^params.yaml: not valid YAML"),
    (b"a: '\xff'\n", r"^params.yaml: cannot read it"),
    ("a: !!python/object:os.system x\n", r"^params.yaml: not valid YAML at line 1: could not determine a constructor"),
])
def test_a_missing_or_unreadable_file_is_one_line(tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    if content is not None:
        write(tmp_path, content)
    with pytest.raises(LabError, match=message) as caught:
        params.load("sine_data", "sine_data")
    assert "\n" not in str(caught.value)


def test_the_folder_of_the_file_is_unreadable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").mkdir()
    with pytest.raises(LabError, match=r"^params.yaml: cannot read it"):
        params.read()


# ---- what a stage gets ----

def test_load_returns_the_values_asked_for_as_params_yaml_has_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, (ROOT / "params.yaml").read_text())
    params.asked.clear()
    got = params.load("series_train@sine", "sine_data.window", "series.sine", "text_train.many_to_one")
    assert got == {"sine_data.window": SHIPPED["sine_data"]["window"], "series.sine": SHIPPED["series"]["sine"],
                   "text_train.many_to_one": SHIPPED["text_train"]["many_to_one"]}
    assert list(got["series.sine"]) == list(SHIPPED["series"]["sine"])  # params.yaml's order
    assert type(got["series.sine"]["units"]) is int and type(got["series.sine"]["learning_rate"]) is float
    assert params.asked == {"series_train@sine": ["sine_data.window", "series.sine", "text_train.many_to_one"]}
    with pytest.raises(LabError, match=r"missing key 'text_train.one_to_one'"):
        params.load("text_train@one_to_one", "text_train.one_to_one")
    assert params.variants() == SHIPPED["text_train"]
    assert list(params.variants()) == ["many_to_one", "many_to_many"]


def test_load_checks_the_whole_file_whatever_is_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, with_lines({"  top_k: 0 ": "  top_k: -1 "}))
    with pytest.raises(LabError, match=r"'text_generate.top_k' must be an integer >= 0, got -1"):
        params.load("sine_data", "sine_data")
    with pytest.raises(LabError, match=r"'text_generate.top_k'"):
        params.variants()


def declared_params():
    """{stage: (its command, the params.yaml keys its `params:` declares)} for every stage of
    dvc.yaml, as DVC reads it."""
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    with Repo(str(ROOT), config={"core": {"no_scm": True}}) as repo:  # (git or not)
        return {stage.addressing: (stage.cmd, [key for dep in stage.deps
                                               if isinstance(dep, ParamsDependency)
                                               and dep.def_path == "params.yaml"
                                               for key in dep.params])
                for stage in repo.index.stages}


class Asked(Exception):
    pass


def test_every_stage_asks_only_for_params_its_stage_declares(tmp_path, monkeypatch):
    """Each stage's main() runs (in an empty folder, with params.yaml) until it asks for its
    params; each key it asks for must be declared for that stage in dvc.yaml, or a change to
    it would not rerun the stage. Works with both call forms of params.load."""
    stages = declared_params()
    assert len(stages) >= 10, stages
    monkeypatch.chdir(tmp_path)
    write(tmp_path, (ROOT / "params.yaml").read_text())
    real_load = params.load
    wrong = []
    for name, (cmd, declared) in stages.items():
        argv = shlex.split(cmd)
        assert argv[:2] == ["python", "-m"], cmd
        module = importlib.import_module(argv[2])
        calls = []

        def fake(stage, *keys, **kwargs):
            calls.append((stage, list(keys)))
            raise Asked

        params.asked.clear()
        monkeypatch.setattr(params, "load", fake)
        monkeypatch.setattr(sys, "argv", [argv[2], *argv[3:]])
        try:
            module.main()
            stopped = "it ran to the end"
        except Asked:
            stopped = None
        except (Exception, SystemExit) as err:
            stopped = f"it stopped first: {type(err).__name__}: {err}"
        finally:
            monkeypatch.setattr(params, "load", real_load)
        calls += list(params.asked.items())  # a load imported by name is the real one: it records
        if stopped and not calls:
            reads_params = any(v is params or getattr(v, "__module__", None) == "rnnlab.params"
                               for v in vars(module).values())
            if declared or reads_params:  # it may ask later, after files this test did not make
                wrong.append(f"{name}: never asked for its params ({stopped}): give it the files "
                             "it reads first")
            continue
        for stage, keys in calls:
            if stage != name:
                wrong.append(f"{name}: asked as stage {stage!r}")
            for key in keys:
                if not any(key == d or key.startswith(d + ".") for d in declared):
                    wrong.append(f"{name}: reads {key!r}, not declared in dvc.yaml (params: {declared})")
    assert not wrong, "\n".join(wrong)


# ---- the JSON Schema and the docs ----

def test_committed_schema_is_the_models():
    committed = (ROOT / "docs" / "params.schema.json").read_text(encoding="utf-8")
    generated = json.dumps(params.schema(), indent=2, ensure_ascii=False) + "\n"
    assert committed == generated, ("docs/params.schema.json is stale: "
                                    "python -m rnnlab.params --schema > docs/params.schema.json")
    proc = subprocess.run([sys.executable, "-m", "rnnlab.params", "--schema"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == generated


MODELS = {"text_train": "<variant>", "series": "<model>", "series_walkforward": "<model>",
          "series_strategy": "<model>"}
"""The sections of one section per model, and how docs/params.md writes a model's name."""


def every_field(schema):
    """(dotted key, its JSON Schema) for every key of params.yaml; a model as <variant> or
    <model> (``MODELS``)."""
    defs = schema["$defs"]
    for section, node in schema["properties"].items():
        if "patternProperties" in node:
            section = f"{section}.{MODELS[section]}"
            node = next(iter(node["patternProperties"].values()))
        for key, field in defs[node["$ref"].rsplit("/", 1)[1]]["properties"].items():
            yield f"{section}.{key}", field


def test_every_key_has_a_description_and_a_line_in_the_docs():
    schema = params.schema()
    keys = dict(every_field(schema))
    shipped = {f"{section}.{MODELS[section]}.{key}" if section in MODELS else f"{section}.{key}"
               for section, values in SHIPPED.items() for key in values
               for key in (values[key] if section in MODELS else [key])}
    assert set(keys) == shipped
    page = (ROOT / "docs" / "params.md").read_text(encoding="utf-8")
    for key, field in keys.items():
        assert field.get("description"), key
        assert f"`{key}`" in page, f"docs/params.md does not describe {key}"
    assert all(d.get("description") for name, d in schema["$defs"].items() if name != "Training"), \
        "every section has a description"


def test_params_yaml_names_its_schema_for_editors():
    first = (ROOT / "params.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=docs/params.schema.json"


def test_usage():
    with pytest.raises(LabError, match=r"usage: python -m rnnlab.params \[--schema\]"):
        params.main(["--scheme"])
