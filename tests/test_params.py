import pytest
import yaml

from rnnlab import params
from rnnlab.errors import LabError
from tests.conftest import ROOT

GOOD_TRAIN = {"layer": "simple_rnn", "units": 10, "target": "value", "optimizer": "sgd",
              "learning_rate": 0.01, "epochs": 100, "batch_size": 32, "patience": 0, "seed": 0}


def test_shipped_params_are_valid():
    p = yaml.safe_load((ROOT / "params.yaml").read_text())
    params.validate("sine_data", p["sine_data"], params.SINE_DATA)
    for name in ("sine", "stock"):
        params.validate(f"{name}_train", p[f"{name}_train"], params.SERIES_TRAIN)
        params.validate(f"{name}_evaluate", p[f"{name}_evaluate"], params.SERIES_EVALUATE)
    params.validate("stock_data", p["stock_data"], params.STOCK_DATA)
    params.validate("text_encode", p["text_encode"], params.TEXT_ENCODE)
    params.validate("text_baselines", p["text_baselines"], params.TEXT_BASELINES)
    params.validate("text_generate", p["text_generate"], params.TEXT_GENERATE)
    for variant, values in p["text_train"].items():
        params.validate(f"text_train.{variant}", values, params.TEXT_TRAIN)


def test_lecture_defaults():
    p = yaml.safe_load((ROOT / "params.yaml").read_text())
    lecture = {"amplitude": 1.0, "frequency": 1.0, "sampling_rate": 10, "n_samples": 20,
               "window": 3}
    assert {k: p["sine_data"][k] for k in lecture} == lecture
    assert p["sine_data"]["noise"] == 0  # the lecture's clean sine; held_out only adds samples after it
    assert p["text_encode"]["val"] == 0  # the lecture trains and scores on the whole rhyme
    assert p["text_generate"]["temperatures"][0] == 0  # greedy first, as in the lecture
    assert p["sine_train"]["units"] == 10 and p["sine_train"]["optimizer"] == "sgd"
    assert p["sine_train"]["layer"] == "simple_rnn" and p["sine_train"]["target"] == "value"
    assert p["text_encode"]["window"] == 10
    assert p["text_train"]["many_to_one"]["units"] == 75
    assert p["text_generate"]["prompts"] == ["Sing a son", "king was i", "hello worl"]


@pytest.mark.parametrize("key,value,message", [
    ("epochs", "100", r"'sine_train.epochs' must be an integer >= 1 and <= 1000000, got '100'"),
    ("epochs", 0, r"'sine_train.epochs' must be an integer >= 1 and <= 1000000, got 0"),
    ("epochs", True, r"'sine_train.epochs' must be an integer"),
    ("epochs", 2.5, r"'sine_train.epochs' must be an integer"),
    ("learning_rate", 0, r"'sine_train.learning_rate' must be a number > 0"),
    ("learning_rate", float("nan"), r"'sine_train.learning_rate' must be a number"),
    ("optimizer", "adamw", r"'sine_train.optimizer' must be one of 'sgd', 'adam', 'rmsprop'"),
])
def test_bad_values_name_the_key(key, value, message):
    with pytest.raises(LabError, match=message):
        params.validate("sine_train", {**GOOD_TRAIN, key: value}, params.SERIES_TRAIN)


def test_unknown_and_missing_keys():
    with pytest.raises(LabError, match=r"unknown key 'sine_train.epoch'"):
        params.validate("sine_train", {**GOOD_TRAIN, "epoch": 3}, params.SERIES_TRAIN)
    missing = dict(GOOD_TRAIN)
    del missing["seed"]
    with pytest.raises(LabError, match=r"missing key 'sine_train.seed'"):
        params.validate("sine_train", missing, params.SERIES_TRAIN)
    with pytest.raises(LabError, match=r"section 'sine_train' is missing"):
        params.validate("sine_train", None, params.SERIES_TRAIN)


def test_prompts_must_be_strings():
    with pytest.raises(LabError, match="non-empty list of non-empty strings"):
        params.validate("text_generate", {"length": 5, "prompts": ["ok", ""]}, params.TEXT_GENERATE)
    with pytest.raises(LabError, match="non-empty list"):
        params.validate("text_generate", {"length": 5, "prompts": "Sing"}, params.TEXT_GENERATE)


@pytest.mark.parametrize("temperatures", [[], 0.5, [0.5, -1], [0.5, "hot"], [True]])
def test_temperatures_must_be_a_list_of_numbers_from_zero(temperatures):
    good = {"length": 5, "prompts": ["Sing"], "temperatures": [0.0], "top_k": 0, "seed": 0}
    params.validate("text_generate", good, params.TEXT_GENERATE)
    with pytest.raises(LabError, match=r"'text_generate.temperatures' must be a non-empty list "
                                       r"of numbers >= 0"):
        params.validate("text_generate", {**good, "temperatures": temperatures},
                        params.TEXT_GENERATE)


def test_lookup_dotted_keys():
    assert params.lookup({"a": {"b": {"c": 1}}}, "a.b.c") == 1
    assert params.lookup({"a": {}}, "a.b") is None
