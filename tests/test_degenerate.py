"""Degenerate data says what it is, and serving refuses what it cannot compute (issue 19,
classes 4 and 5; issue 28): a corpus of one character, a price that never moves over the test
part (no stage could compare it with the random walk), a price file too large to read, broken
side files of a trained model, and values a served model would overflow on. Each ends in one line naming
the cause ('error: ...', nothing written) or an HTTP 400 naming the column or param; the
normal cases still work."""
import json
import sys
import types

import numpy as np
import pytest
import yaml

from rnnlab.core.errors import LabError
from rnnlab.data import limits, prices, vocab
from rnnlab.data.limits import FLOAT32_MAX
from rnnlab.data.scaling import Transform
from tests.conftest import (
    copy_project,
    free_port,
    invoke,
    run,
    server,
    stage_command,
    tool,
    trained_copy,
)

BOUND = 120  # seconds: no stage here may take longer


def edit_params(lab, **sections):
    """Update keys of params.yaml's sections: edit_params(lab, text_encode={"val": 0.2})."""
    path = lab / "params.yaml"
    p = yaml.safe_load(path.read_text())
    for section, values in sections.items():
        p[section].update(values)
    path.write_text(yaml.safe_dump(p, sort_keys=False))


def stage(lab, *args, **values):
    """``python -m <args>`` in the lab, or, given a stage's name alone, that stage as dvc.yaml
    runs it (with ``values`` for its vars: ``corpus="data/one.txt"``)."""
    cmd = stage_command(lab, args[0], **values) if len(args) == 1 and "." not in args[0] \
        else [sys.executable, "-m", *args]
    return run(cmd, cwd=lab, check=False, timeout=BOUND)


def one_line_error(proc, *fragments):
    """Non-zero exit, and stderr is one line 'error: ...' holding every fragment."""
    assert proc.returncode != 0, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def lab(tmp_path):
    """A copy of the project's sources, no outputs (no git: the stages run by hand)."""
    return copy_project(tmp_path / "lab")


# ---- a corpus that cannot be learned: refused by text_encode, nothing written ----

VOCAB = "data/text/vocab.json"
TEXT_OUTS = (VOCAB, "data/text/train.npy", "data/text/val.npy")  # text_encode's outs


@pytest.mark.parametrize("text,val,fragments", [
    ("a" * 200, 0.0, ["corpus data/one.txt has one distinct character ('a', 200 times"]),
    # whitespace collapses: a corpus of one character between line breaks is still one
    ("\n\n" + "x" * 50 + "\n", 0.0, ["corpus data/one.txt has one distinct character ('x', 50"]),
    # the vocabulary has two characters, but the training part only one: nothing to learn
    ("a" * 200 + "ba" * 30, 0.2, ["corpus data/one.txt: its training part, the first 198",
                                  "(text_encode.val 0.2 holds out the rest), is 'a' repeated"]),
])
def test_a_corpus_that_cannot_be_learned_is_refused_before_anything_is_written(lab, text, val,
                                                                               fragments):
    (lab / "data/one.txt").write_text(text)
    edit_params(lab, text_encode={"val": val})
    one_line_error(stage(lab, "text_encode", corpus="data/one.txt"), *fragments)
    assert not any((lab / out).exists() for out in TEXT_OUTS)


@pytest.mark.parametrize("text,val,vocabulary", [
    ("a\n" * 100, 0.0, [" ", "a"]),       # 'a a a ...': two characters, one after the other
    ("ab" * 100 + "a" * 60, 0.2, ["a", "b"]),  # a held-out part of one character is scored
])
def test_two_distinct_characters_are_enough(lab, text, val, vocabulary):
    (lab / "data/two.txt").write_text(text)
    edit_params(lab, text_encode={"val": val})
    proc = stage(lab, "text_encode", corpus="data/two.txt")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((lab / VOCAB).read_text())["chars"] == vocabulary
    if val:
        assert set(np.load(lab / "data/text/val.npy").tolist()) == {0}  # all 'a'


# ---- a price that never moves over the test part: nothing to compare with the random walk ----

MONTHS = [f"{1990 + i // 12}-{i % 12 + 1:02d}-01" for i in range(60)]
TEST_START = 60 - round(0.15 * 60)  # stock_data's default fractions: the last 9 rows are tested
WALK = [f"{10 + (i % 7) * 0.5 + i * 0.1:.2f}" for i in range(60)]  # moves every day


def monthly_closes(cells):
    return "Date,Close\n" + "".join(f"{day},{cell}\n" for day, cell in zip(MONTHS, cells))


@pytest.mark.parametrize("cells,missing,value", [
    (["5.0"] * 60, "error", "5"),                                    # every close 5.0
    (["5.0"] + [""] * 58 + ["5.0"], "ffill", "5"),                   # empty but its equal ends
    (WALK[:TEST_START - 1] + ["7.5"] * (61 - TEST_START), "error", "7.5"),  # flat from the day
])                                                                          # before the test part
def test_a_price_that_never_moves_over_the_test_part_is_refused_before_anything_trains(
        lab, cells, missing, value):
    (lab / "data/flat.csv").write_text(monthly_closes(cells))
    edit_params(lab, stock_data={"window": 3, "missing": missing})
    line = one_line_error(stage(lab, "stock_data", prices="data/flat.csv"),
                          f"data/flat.csv: column 'Close' is {value} on every day from "
                          f"{MONTHS[TEST_START - 1]} to {MONTHS[-1]}",
                          "persistence", "stock_data.target", "'stock_data.test'")
    assert "Traceback" not in line
    assert not (lab / "data/stock").exists()


@pytest.mark.parametrize("cells,missing", [
    (["5.0"] + [""] * 58 + ["6.0"], "ffill"),             # empty but its ends, which differ
    (["5.0"] * TEST_START + WALK[TEST_START:], "error"),  # flat until the test part moves
    (WALK[:TEST_START] + ["7.5"] * (60 - TEST_START), "error"),  # its first day moves
])
def test_a_price_that_moves_once_in_the_test_part_is_accepted(lab, cells, missing):
    """Partly flat: the scoring stages say where they cannot compare (a fold, a part)."""
    (lab / "data/flat.csv").write_text(monthly_closes(cells))
    edit_params(lab, stock_data={"window": 3, "missing": missing})
    proc = stage(lab, "stock_data", prices="data/flat.csv")
    assert proc.returncode == 0, proc.stderr
    test = np.load(lab / "data/stock/test.npz")["values"][:, 0]
    before = np.load(lab / "data/stock/val.npz")["values"][-1, 0]
    assert len(test) == 60 - TEST_START and np.any(np.diff(np.r_[before, test]) != 0)


# ---- a price file too large to read: named with its size before it is read ----

def sparse(path, size):
    """A file of ``size`` bytes that takes (almost) no disk: a hole, not 10 GB written."""
    with open(path, "wb") as f:
        f.write(b"Date,Close\n")
        f.truncate(size)
    assert path.stat().st_size == size and path.stat().st_blocks * 512 < 2**20
    return path


def test_a_10_gb_price_file_is_refused_by_name_and_size_before_it_is_read(lab):
    sparse(lab / "data/huge.csv", 10 * 2**30)
    proc = stage(lab, "stock_data", prices="data/huge.csv")  # within BOUND: it is not read
    line = one_line_error(proc, "price file data/huge.csv is 10.0 GiB (10,737,418,240 bytes)",
                          "dvc.yaml's prices")
    assert "out of memory" not in line
    limit, _ = prices.read_limit()
    assert f"larger than the {limit / 2**30:.1f} GiB" in line or "MiB the lab reads" in line
    assert not (lab / "data/stock").exists()


def test_the_limit_is_lower_on_a_machine_with_little_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "physical_memory", lambda: 2 * 2**30)  # 2 GiB: 128 MiB read
    limit, _ = prices.read_limit()
    assert limit == 2**30 // prices.READ_COPIES < prices.MAX_BYTES
    with pytest.raises(LabError) as err:
        prices.read_prices(sparse(tmp_path / "big.csv", limit + 1), "Date", ["Close"])
    message = str(err.value)
    assert f"big.csv is 128.0 MiB ({limit + 1:,} bytes), larger than the 128.0 MiB the lab reads " \
           "on this machine" in message and "it has 2.0 GiB" in message
    assert "\n" not in message
    # a file under the limit reads as before
    (tmp_path / "small.csv").write_text("Date,Close\n2020-01-02,1.5\n2020-01-03,2.5\n")
    dates, values, _ = prices.read_prices(tmp_path / "small.csv", "Date", ["Close"])
    assert dates.tolist() == ["2020-01-02", "2020-01-03"] and values[:, 0].tolist() == [1.5, 2.5]


def test_without_a_known_memory_size_the_fixed_limit_holds(monkeypatch):
    monkeypatch.setattr(limits, "physical_memory", lambda: None)
    assert prices.read_limit()[0] == prices.MAX_BYTES == 2**30


# ---- side files of a trained model: checked when loaded, one line naming file and key ----

GOOD_TRANSFORM = {"target": "log_return", "shift": [0.001], "scale": [0.02], "window": 20,
                  "columns": ["Close"]}


@pytest.mark.parametrize("change,fragment", [
    ({"scale": [0.0]},
     "key 'scale' must be a list of 1 finite numbers > 0 (one per column), got [0.0]"),
    ({"scale": [-0.02]}, "key 'scale' must be a list of 1 finite numbers > 0"),
    ({"scale": [float("nan")]}, "key 'scale' must be a list of 1 finite numbers > 0"),
    ({"scale": [float("inf")]}, "key 'scale'"),
    ({"scale": ["0.02"]}, "key 'scale'"),
    ({"scale": 0.02}, "key 'scale'"),
    ({"scale": [True]}, "key 'scale'"),
    ({"scale": [0.02, 0.03]}, "key 'scale' must be a list of 1"),
    ({"shift": [float("-inf")]}, "key 'shift' must be a list of 1 finite numbers"),
    ({"shift": [10**400]}, "key 'shift'"),
    ({"scale": None}, "key 'scale'"),
    ({"target": "returns"},
     "key 'target' must be one of 'value', 'price', 'log_return', got 'returns'"),
    ({"window": 0}, "key 'window' must be an integer >= 2, got 0"),
    ({"window": 1}, "key 'window' must be an integer >= 2, got 1"),
    ({"window": "20"}, "key 'window' must be an integer >= 2, got '20'"),
    ({"window": 20.5}, "key 'window'"),
    ({"columns": "Close"}, "key 'columns' must be a list of distinct column names"),
    ({"columns": ["Close", "Close"], "shift": [0, 0], "scale": [1, 1]}, "key 'columns'"),
    ({"columns": []}, "key 'columns'"),
])
def test_a_broken_transform_file_names_the_file_and_the_key(tmp_path, change, fragment):
    path = tmp_path / "stock_transform.json"
    path.write_text(json.dumps({**GOOD_TRANSFORM, **change}))  # NaN, Infinity: as json writes them
    with pytest.raises(LabError) as err:
        Transform.load(path)
    message = str(err.value)
    assert message.startswith(f"{path} is unreadable or corrupt") and fragment in message
    assert "\n" not in message


@pytest.mark.parametrize("text,fragment", [
    (None, "is missing"),
    ("", "JSONDecodeError"),
    ("scale: 0\n", "JSONDecodeError"),
    ("[1, 2]",
     "not a transform record (a JSON object with target, shift, scale, window, columns), got list"),
    (json.dumps({k: v for k, v in GOOD_TRANSFORM.items() if k != "scale"}),
     "key 'scale' is missing"),
    (json.dumps({k: v for k, v in GOOD_TRANSFORM.items() if k != "window"}),
     "key 'window' is missing"),
])
def test_a_transform_file_that_is_missing_or_not_a_record(tmp_path, text, fragment):
    path = tmp_path / "stock_transform.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(LabError, match=str(path)) as err:
        Transform.load(path)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_a_good_transform_file_loads(tmp_path):
    path = tmp_path / "t.json"
    Transform("price", [1.0, 0.0], [2.0, 5e9]).save(path, window=1, columns=["Close", "Volume"])
    loaded, record = Transform.load(path)
    assert loaded.kind == "price" and record["columns"] == ["Close", "Volume"]
    assert loaded.scale.tolist() == [2.0, 5e9]


GOOD_VOCAB = {"chars": [" ", "a", "b"], "size": 3, "window": 10, "corpus": "data/x.txt"}


@pytest.mark.parametrize("change,fragment", [
    ({"chars": ["a"], "size": 1},
     "key 'chars' must be a list of at least 2 distinct single characters, got ['a']"),
    ({"chars": ["a", "a"], "size": 2}, "key 'chars' must be a list of at least 2 distinct"),
    ({"chars": ["ab", "c"], "size": 2}, "key 'chars'"),
    ({"chars": [1, 2], "size": 2}, "key 'chars'"),
    ({"chars": [["a"], "b"], "size": 2}, "key 'chars'"),
    ({"chars": "ab"}, "key 'chars'"),
    ({"size": 4}, "key 'size' is 4, but 'chars' has 3"),
    ({"window": 0}, "key 'window' must be an integer >= 1, got 0"),
    ({"window": "10"}, "key 'window' must be an integer >= 1, got '10'"),
    ({"window": True}, "key 'window'"),
    ({"window": None}, "key 'window'"),
])
def test_a_broken_vocabulary_file_names_the_file_and_the_key(tmp_path, change, fragment):
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps({**GOOD_VOCAB, **change}))
    with pytest.raises(LabError) as err:
        vocab.load(path)
    message = str(err.value)
    assert message.startswith(f"{path} is unreadable or corrupt") and fragment in message
    assert "\n" not in message


@pytest.mark.parametrize("text,fragment", [
    ("[]", "not a vocabulary record (a JSON object with 'chars' and 'window'), got list"),
    (json.dumps({"window": 10}), "key 'chars' is missing"),
    (json.dumps({"chars": ["a", "b"]}), "key 'window' is missing"),
    ("chars: ab", "JSONDecodeError"),
])
def test_a_vocabulary_file_that_is_not_a_record(tmp_path, text, fragment):
    path = tmp_path / "vocab.json"
    path.write_text(text)
    with pytest.raises(LabError, match=str(path)) as err:
        vocab.load(path)
    assert fragment in str(err.value)


# ---- the served models' ranges, in process ----

@pytest.mark.parametrize("kind,shift,scale,good,bad,fragment", [
    # the lecture's sine (values as they are): float32's range, finite
    ("value", [0.0], [1.0], [[-3e38], [0.5], [3e38]], [[0.5], [1e39], [0.5]],
     "column 'Close' is 1e+39 in row 2 of 3: this model computes with finite float32 numbers "
     "from -3.403e+38 to 3.403e+38"),
    ("value", [0.0], [1.0], [[1.0]] * 3, [[1.0], [-np.inf], [1.0]], "is -inf in row 2"),
    # min-max prices: values whose scaled form passes 3.4e38 are refused, with the range
    ("price", [10.0], [1e-30], [[10.0], [11.0], [1e8]], [[10.0], [1e9], [10.0]],
     "column 'Close' is 1e+09 in row 2 of 3: this model computes with finite float32 numbers "
     "from -3.403e+08 to 3.403e+08"),
    # log returns: prices > 0, within float32's range
    ("log_return", [0.0], [0.02], [[1e-300], [80.0], [3e38]], [[80.0], [0.0], [80.0]],
     "column 'Close' is 0 in row 2 of 3: this model computes with finite float32 numbers > 0 and "
     "<= 3.403e+38 (a log-return model takes logs)"),
    ("log_return", [0.0], [0.02], [[80.0]] * 3, [[80.0], [80.0], [-1e308]], "is -1e+308 in row 3"),
    # ... and whose log return stays finite once scaled: a ratio of 3e338 overflows
    ("log_return", [0.0], [0.02], [[80.0]] * 3, [[80.0], [1e-300], [3e38]],
     "column 'Close': the log return of rows 2 and 3 (1e-300 -> 3e+38), scaled as the model was "
     "trained, is inf, beyond float32's range"),
])
def test_check_window_refuses_what_the_transform_cannot_compute(kind, shift, scale, good, bad,
                                                               fragment):
    t = Transform(kind, shift, scale)
    t.check_window(np.array(good), ["Close"])
    assert np.all(np.isfinite(t.inputs(np.array([good]))))
    with pytest.raises(LabError) as err:
        t.check_window(np.array(bad), ["Close"])
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_check_forecast_names_the_target():
    t = Transform("log_return", [0.0], [0.02])
    t.check_forecast([84.0], "Close")
    for value in (np.nan, np.inf, 2 * FLOAT32_MAX):
        with pytest.raises(LabError, match="column 'Close': the forecast from these rows is"):
            t.check_forecast([value], "Close")


# ---- a trained copy: its stages and its served models ----

@pytest.fixture(scope="module")
def trained(pipeline, tmp_path_factory):
    """A copy of the session's pipeline: the lab's stock model and the rhyme's many_to_one
    among its models, registered."""
    return trained_copy(pipeline, tmp_path_factory.mktemp("degenerate") / "lab")


@pytest.fixture
def side_files(trained):
    """The trained copy; its side files are put back after the test."""
    saved = {name: (trained / name).read_bytes()
             for name in ("models/stock_transform.json", VOCAB)}
    yield trained
    for name, data in saved.items():
        (trained / name).write_bytes(data)


@pytest.mark.slow
def test_a_zero_scale_is_named_not_blamed_on_the_learning_rate(side_files):
    lab = side_files
    scores = lab / "metrics/stock.json"
    before = scores.read_bytes()  # (the pipeline's)
    path = lab / "models/stock_transform.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "scale": [0.0]}))
    line = one_line_error(stage(lab, "series_evaluate@stock"),
                          "models/stock_transform.json is unreadable or corrupt",
                          "key 'scale' must be a list of 1 finite numbers > 0")
    assert "learning_rate" not in line
    assert not scores.exists() or scores.read_bytes() == before  # nothing written


@pytest.mark.slow
def test_a_vocabulary_of_one_character_is_named_by_the_text_stages(side_files):
    lab = side_files
    path = lab / VOCAB
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "chars": ["a"], "size": 1}))
    one_line_error(stage(lab, "text_generate@many_to_one"),
                   "data/text/vocab.json is unreadable or corrupt", "key 'chars'")


@pytest.mark.slow
def test_served_models_refuse_side_files_that_disagree_with_their_network(side_files, tmp_path):
    from rnnlab.serving.forecaster import Forecaster
    from rnnlab.serving.generator import TextGenerator

    lab = side_files
    transform = json.loads((lab / "models/stock_transform.json").read_text())
    for change, fragment in [({"window": 30}, "key 'window' is 30 (29 steps), but the model"),
                             ({"columns": ["Close", "Open"], "shift": [0, 0], "scale": [1, 1]},
                              "key 'columns' names 2 columns, but the model")]:
        path = tmp_path / "transform.json"
        path.write_text(json.dumps({**transform, **change}))
        context = types.SimpleNamespace(artifacts={"model": str(lab / "models/stock.keras"),
                                                   "transform": str(path)})
        with pytest.raises(LabError) as err:
            Forecaster().load_context(context)
        assert str(err.value).startswith(f"{path}: {fragment}"), err.value
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps({"chars": ["a", "b", "c"], "window": 10}))
    context = types.SimpleNamespace(artifacts={"model": str(lab / "models/text_many_to_one.keras"),
                                               "vocab": str(path)})
    with pytest.raises(LabError) as err:
        TextGenerator().load_context(context)
    assert str(err.value) == (f"{path}: key 'chars' has 3 characters, but the model "
                              f"{lab / 'models/text_many_to_one.keras'} predicts one of 34")


def cause(answer):
    """The model's own line of an MLflow error answer (MLflow puts the input above it)."""
    return answer["message"].strip().splitlines()[-1]


def served(lab, name):
    port = free_port()
    cmd = [tool("mlflow"), "models", "serve", "-m", f"models:/{name}/1", "--env-manager", "local",
           "-h", "127.0.0.1", "-p", str(port)]
    return port, server(cmd, f"http://127.0.0.1:{port}/ping", cwd=lab.parent,
                        env={"MLFLOW_TRACKING_URI": f"sqlite:///{lab}/mlflow.db"})


def close_rows(values):
    return {"dataframe_split": {"columns": ["Close"], "data": [[v] for v in values]}}


@pytest.mark.slow
def test_the_served_forecaster_refuses_values_it_cannot_compute(trained):
    normal = np.linspace(80.0, 84.0, 20).tolist()
    nan_rows = json.dumps(close_rows([0.0] * 20)).replace("[0.0]", "[NaN]", 1).encode()
    refused = [
        (close_rows([1e308] * 20), "column 'Close' is 1e+308 in row 1 of 20"),
        (close_rows([-1e308] * 20), "column 'Close' is -1e+308 in row 1 of 20"),
        (close_rows(normal[:-1] + [1e39]), "column 'Close' is 1e+39 in row 20 of 20"),
        (close_rows(normal[:-1] + [0.0]), "column 'Close' is 0 in row 20 of 20"),
        (nan_rows, "column 'Close' is nan in row 1 of 20"),
        (close_rows(normal[:-2] + [1e-300, 3e38]),
         "column 'Close': the log return of rows 19 and 20 (1e-300 -> 3e+38), scaled as the "
         "model was trained, is inf, beyond float32's range"),
    ]
    port, running = served(trained, "msft-forecaster")
    with running:
        status, answer = invoke(port, close_rows(normal))
        assert status == 200, answer
        (price,) = answer["predictions"]
        assert 70 < price < 95  # a day's move from 84, not an overflowed number
        for body, fragment in refused:
            status, answer = invoke(port, body)
            assert status == 400, (fragment, answer)
            line = cause(answer)
            assert fragment in line, line
            assert "finite float32" in line or "float32's range" in line, line
        status, answer = invoke(port, close_rows(normal))  # still serving
        assert status == 200 and answer["predictions"] == [price]


@pytest.mark.slow
def test_the_served_generator_names_a_param_out_of_range(trained):
    port, running = served(trained, "sixpence-many-to-one")
    with running:
        status, answer = invoke(port, {"inputs": ["Sing a son"], "params": {"length": 5}})
        assert status == 200 and len(answer["predictions"][0]) == 15, answer
        for params, fragment in [
            ('{"temperature": NaN}', "param 'temperature' must be a finite number >= 0, got nan"),
            ('{"temperature": Infinity}',
             "param 'temperature' must be a finite number >= 0, got inf"),
            ('{"temperature": -0.5}', "param 'temperature' must be a finite number >= 0, got -0.5"),
            ('{"length": 0}', "param 'length' must be an integer from 1 to 10000, got 0"),
            ('{"top_k": -1}', "param 'top_k' must be an integer >= 0, got -1"),
            ('{"seed": -1}', "param 'seed' must be an integer >= 0, got -1"),
        ]:
            status, answer = invoke(port, f'{{"inputs": ["Sing"], "params": {params}}}'.encode())
            assert status == 400 and fragment in cause(answer), (params, answer)
        status, answer = invoke(port, {"inputs": ["Sing"],
                                       "params": {"temperature": 1.0, "length": 3}})
        assert status == 200 and len(answer["predictions"][0]) == 7, answer
