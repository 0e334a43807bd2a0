"""Reads a stage's params through DVC and checks them against a schema.

Each stage asks only for the params that ``dvc.yaml`` declares for it
(``dvc.api.params_show(stages=...)``), so code and pipeline cannot drift apart:
a param the code needs but the stage does not declare is an error, and so is a
misspelt key in ``params.yaml``.
"""
import math
from dataclasses import dataclass
from typing import Any, Callable

from rnnlab.errors import LabError, first_line


@dataclass(frozen=True)
class Rule:
    """What a param must be: ``text`` for the error message, ``ok`` to test a value."""
    text: str
    ok: Callable[[Any], bool]


def _bounds(lo, hi, lo_open=False):
    parts = []
    if lo is not None:
        parts.append(f"> {lo}" if lo_open else f">= {lo}")
    if hi is not None:
        parts.append(f"<= {hi}")
    return " " + " and ".join(parts) if parts else ""


def _within(v, lo, hi, lo_open=False):
    above = lo is None or (v > lo if lo_open else v >= lo)
    return above and (hi is None or v <= hi)


def integer(lo=None, hi=None):
    return Rule("an integer" + _bounds(lo, hi),
                lambda v: isinstance(v, int) and not isinstance(v, bool) and _within(v, lo, hi))


def _finite(v):
    try:
        return math.isfinite(v)
    except OverflowError:  # an integer of hundreds of digits: no float holds it
        return False


def number(lo=None, hi=None, lo_open=False):
    def ok(v):
        return (isinstance(v, (int, float)) and not isinstance(v, bool) and _finite(v)
                and _within(v, lo, hi, lo_open))
    return Rule("a number" + _bounds(lo, hi, lo_open), ok)


def choice(*options):
    return Rule("one of " + ", ".join(map(repr, options)), lambda v: v in options)


def text():
    return Rule("a non-empty string", lambda v: isinstance(v, str) and v.strip() != "")


def text_list():
    return Rule("a non-empty list of non-empty strings",
                lambda v: isinstance(v, list) and v != [] and all(isinstance(s, str) and s for s in v))


def name_list():
    return Rule("a list of distinct non-empty strings (may be empty)",
                lambda v: isinstance(v, list) and all(isinstance(s, str) and s.strip() for s in v)
                and len(set(v)) == len(v))


def number_list(lo=None):
    one = number(lo=lo)
    return Rule("a non-empty list of numbers" + _bounds(lo, None),
                lambda v: isinstance(v, list) and v != [] and all(one.ok(x) for x in v))


def validate(section, values, schema):
    """Return ``values`` if it matches ``schema`` exactly; else raise LabError naming the key."""
    if not isinstance(values, dict):
        raise LabError(f"params.yaml: section '{section}' is missing or not a mapping")
    unknown = sorted(set(values) - set(schema), key=str)
    if unknown:
        raise LabError(f"params.yaml: unknown key '{section}.{unknown[0]}' "
                       f"(known: {', '.join(sorted(schema))})")
    for key, rule in schema.items():
        if key not in values:
            raise LabError(f"params.yaml: missing key '{section}.{key}'")
        if not rule.ok(values[key]):
            raise LabError(f"params.yaml: '{section}.{key}' must be {rule.text}, got {values[key]!r}")
    return values


def lookup(tree, dotted):
    """``lookup({'a': {'b': 1}}, 'a.b') == 1``; None where a part is missing."""
    node = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def load(stage, sections):
    """Validated params for DVC stage ``stage``: ``{section: values}`` for each
    ``section -> schema`` in ``sections`` (sections are dotted keys of params.yaml).

    params.yaml is read first (its shape checked: sections, keys, variants), then DVC's
    ``params_show`` gives the stage's declared params, which are validated."""
    everything = read_file()
    check_shape(everything)

    import dvc.api
    from dvc.exceptions import DvcException

    try:
        declared = dvc.api.params_show(stages=[stage])
    except (DvcException, OSError, ValueError) as err:
        raise LabError(f"params.yaml: cannot read the params of stage '{stage}': "
                       f"{first_line(err)}") from None
    return {name: validate(name, lookup(declared, name), schema) for name, schema in sections.items()}


PARAMS_FILE = "params.yaml"


def read_file(path=PARAMS_FILE):
    """params.yaml as a dict; LabError if it is missing, unreadable or not a YAML mapping."""
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            everything = yaml.safe_load(f)
    except FileNotFoundError:
        raise LabError(f"{path} is missing: it holds every param of the pipeline "
                       f"(restore it: git checkout {path})") from None
    except (OSError, UnicodeDecodeError) as err:
        raise LabError(f"{path}: cannot read it ({err})") from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise LabError(f"{path}: not valid YAML: {str(err).splitlines()[0]}") from None
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        at = f" at line {where.line + 1}" if where else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise LabError(f"{path}: not valid YAML{at}: {problem}") from None
    if not isinstance(everything, dict):
        raise LabError(f"{path} must be a mapping of sections (sine_data:, text_train:, ...), "
                       f"got {type(everything).__name__ if everything is not None else 'an empty file'}")
    return everything


def check_shape(everything):
    """Refuse a section that no stage reads (a misspelt one would be ignored), a section that
    is not a mapping, and a text_train entry that names no model variant."""
    from rnnlab.variants import VARIANTS

    for section in everything:
        if section not in SECTIONS:
            raise LabError(f"params.yaml: unknown section {str(section)!r} "
                           f"(known: {', '.join(SECTIONS)})")
        if not isinstance(everything[section], dict):
            raise LabError(f"params.yaml: section '{section}' must be a mapping of keys, "
                           f"got {everything[section]!r}")
    for variant in everything.get("text_train", {}):
        if variant not in VARIANTS:
            raise LabError(f"params.yaml: unknown model 'text_train.{variant}' "
                           f"(known: {', '.join(VARIANTS)})")


def check_all(everything):
    """Every section of params.yaml against its schema (what `make repro` checks first)."""
    from rnnlab.variants import VARIANTS

    check_shape(everything)
    for section, schema in SECTIONS.items():
        if section == "text_train":
            for variant in VARIANTS:
                validate(f"text_train.{variant}", lookup(everything, f"text_train.{variant}"),
                         schema)
        else:
            validate(section, everything.get(section), schema)


# The schema of every section of params.yaml, in one place (README.md describes each key).
SINE_DATA = {
    "amplitude": number(lo=0, lo_open=True),
    "frequency": number(lo=0, lo_open=True),      # Hz
    "sampling_rate": number(lo=0, lo_open=True),  # samples per second
    "n_samples": integer(lo=3),                   # samples the model trains on
    "held_out": integer(lo=1),                    # samples after them, never trained on
    "noise": number(lo=0),                        # std of Gaussian noise on every sample
    "seed": integer(lo=0, hi=2**32 - 1),          # seeds the noise
    "window": integer(lo=2, hi=1000),             # samples the RNN reads (a log return needs 2)
}
WINDOW = SINE_DATA["window"]  # sine_data.window and stock_data.window, read by the series stages
STOCK_DATA = {
    "csv": text(),                     # a CSV of daily prices
    "date": text(),                    # its date column
    "target": text(),                  # the column predicted: Close, Adj Close, ...
    "inputs": name_list(),             # extra input columns (Open, High, Low, Volume, ...)
    "val": number(lo=0, hi=0.5),       # fractions of the rows, in time order: train, val, test
    "test": number(lo=0, hi=0.5, lo_open=True),
    "window": WINDOW,                  # past days the network reads
}
TEXT_TRAIN = {                         # text_train.<variant>; every network's training keys
    "units": integer(lo=1, hi=4096),
    "optimizer": choice("sgd", "adam", "rmsprop"),
    "learning_rate": number(lo=0, hi=10, lo_open=True),
    "epochs": integer(lo=1, hi=1_000_000),
    "batch_size": integer(lo=1, hi=1_000_000),  # larger than the data: one batch of all of it
    "seed": integer(lo=0, hi=2**32 - 1),
}
SERIES_TRAIN = {                       # sine_train and stock_train: those, and three more
    "layer": choice("simple_rnn", "lstm", "gru"),
    "target": choice("value", "price", "log_return"),
    "patience": integer(lo=0),         # early stopping on the val part's loss; 0: off
    **TEXT_TRAIN,
}
SERIES_EVALUATE = {                    # sine_evaluate and stock_evaluate
    "horizon": integer(lo=1),          # steps forecast from the start of the test part, fed back
}
TEXT_ENCODE = {
    "corpus": text(),
    "window": integer(lo=1, hi=1000),
    "val": number(lo=0, hi=0.9),  # fraction of the text held out at its end; 0: none (the lecture)
}
TEXT_BASELINES = {
    "ngram_order": integer(lo=0),  # characters of context of the n-gram baseline (<= window)
}
TEXT_GENERATE = {
    "length": integer(lo=1, hi=100_000),
    "prompts": text_list(),
    "temperatures": number_list(lo=0),  # each prompt at each; 0: greedy (the lecture); > 0: sample
    "top_k": integer(lo=0),       # sample among the k most likely characters; 0: all
    "seed": integer(lo=0, hi=2**32 - 1),
}
SECTIONS = {  # every section of params.yaml and its schema (text_train: one per variant)
    "sine_data": SINE_DATA, "sine_train": SERIES_TRAIN, "sine_evaluate": SERIES_EVALUATE,
    "stock_data": STOCK_DATA, "stock_train": SERIES_TRAIN, "stock_evaluate": SERIES_EVALUATE,
    "text_encode": TEXT_ENCODE, "text_baselines": TEXT_BASELINES, "text_train": TEXT_TRAIN,
    "text_generate": TEXT_GENERATE,
}


def main():
    """`python -m rnnlab.params`: check the whole of params.yaml (`make repro` does, first)."""
    check_all(read_file())


if __name__ == "__main__":
    from rnnlab.errors import run

    run(main)
