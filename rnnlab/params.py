"""params.yaml: its schema, how it is read, and what a stage may ask of it.

The schema is a set of pydantic 2 models (rnnlab/sections.py). A library rather than a
hand-written rule language: the models are the one description of params.yaml, and from them
come the check, its error lines (built from pydantic's
``ValidationError``: the key from ``loc``, the kind of problem from ``type``, and what the key
must be from the field's JSON Schema) and the JSON Schema editors validate against
(``python -m rnnlab.params --schema``, committed as docs/params.schema.json). docs/params.md
describes every key.

params.yaml is read as DVC reads it: YAML 1.2, with ruamel.yaml's safe loader, so ``1e-3`` is a
number (PyYAML, YAML 1.1, reads it as a string) and ``yes``/``no`` are strings.

A stage asks for what it reads, by dotted key::

    p = params.load("series_evaluate@sine", "sine_data.window", "series.sine")
    p["sine_data.window"], p["series.sine"]["units"]

``load`` validates the whole file first (so ``dvc repro``, ``dvc exp run -S`` and a stage run
by hand all stop with the same one line naming the key), records the keys the stage asked for
(``asked``: tests/test_params.py checks that each one is declared for that stage in dvc.yaml,
so a changed param always reruns the stages that read it) and returns the values as
params.yaml has them (an integer stays an int). It reads no dvc.yaml and no dvc.lock, which
``dvc.api.params_show`` parses for every stage.
"""
import json
import re
import sys

from pydantic import ValidationError

from rnnlab.core.errors import LabError
from rnnlab.sections import SECTIONS, ParamsFile

PARAMS_FILE = "params.yaml"

# ---- reading and checking ----

def read(path=PARAMS_FILE, name=None):
    """params.yaml as plain Python values, read as DVC reads it (YAML 1.2, ruamel.yaml's safe
    loader); LabError if it is missing, unreadable, not YAML or not a mapping, the file called
    ``name`` (default ``path``) in it."""
    from ruamel.yaml import YAML, YAMLError

    path, file = name or path, path
    try:
        with open(file, encoding="utf-8") as f:
            text = f.read()
        everything = YAML(typ="safe").load(text)  # what DVC's parse_yaml does
    except FileNotFoundError:
        raise LabError(f"{path} is missing: it holds every param of the pipeline "
                       f"(restore it: git checkout {path})") from None
    except (OSError, UnicodeDecodeError) as err:
        raise LabError(f"{path}: cannot read it ({err})") from None
    except YAMLError as err:
        where = getattr(err, "problem_mark", None)
        at = f" at line {where.line + 1}" if where else ""
        problem = getattr(err, "problem", None) or str(err).strip().splitlines()[0]
        raise LabError(f"{path}: not valid YAML{at}: {problem}") from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise LabError(f"{path}: not valid YAML: {str(err).splitlines()[0]}") from None
    except RecursionError:
        raise LabError(f"{path}: not valid YAML: nested too deeply") from None
    if not isinstance(everything, dict):
        raise LabError(f"{path} must be a mapping of sections (sine_data:, text_train:, ...), "
                       f"got {type(everything).__name__ if everything is not None else 'an empty file'}")
    return everything


def check(everything, path=PARAMS_FILE):
    """Return ``everything`` (params.yaml as read) if it matches ``ParamsFile``; else raise a
    LabError, one line naming the first problem (sections in their order; in each, unknown keys
    first)."""
    try:
        ParamsFile.model_validate(everything)
    except ValidationError as err:
        raise LabError(problems(err, everything, path)[0]) from None
    for keys, fits, why in RELATIONS:
        values = [lookup(everything, key) for key in keys]
        if not fits(*values):
            shown = " and ".join(f"'{key}' ({value})" for key, value in zip(keys, values))
            raise LabError(f"{path}: {shown}: {why}")
    _diagnosed_models(everything, path)
    return everything


def _diagnosed_models(everything, path):
    """LabError unless every model a diagnostic section names is a model of ``series``, and
    learns the data the section says (dvc.yaml reads the walk-forward's inputs from there)."""
    models = everything["series"]
    for section in ("series_walkforward", "series_strategy"):
        for name, entry in everything[section].items():
            if name not in models:
                raise LabError(f"{path}: '{section}.{name}' names no model of 'series' "
                               f"(its models: {', '.join(models)})")
            if "data" in entry and entry["data"] != models[name]["data"]:
                raise LabError(f"{path}: '{section}.{name}.data' is {entry['data']!r}, but "
                               f"'series.{name}.data' is {models[name]['data']!r}: the same "
                               "data, please")


RELATIONS = [
    (("adding_train.batch_size", "adding_data.train_size"), lambda batch, size: batch <= size,
     "a batch must not be larger than the training set: lower the batch size or raise the "
     "train size"),
]
"""What must hold between keys of different sections (pydantic checks each section alone): only
what can never work. A diagnostic's count that the data may cut short (a horizon, an n-gram
order, the gradient's test sequences) is lowered by its stage to what the data holds, which
says so."""


def problems(err, everything, path=PARAMS_FILE):
    """One line per field in error, the most basic first: a ValidationError of ``ParamsFile``
    made into params.yaml's error lines."""
    root = schema()
    lines, order = {}, {}
    for i, e in enumerate(err.errors()):
        rank, line = _problem(e, everything, root)
        line = f"{path}: {line}"
        if line not in lines:
            lines[line] = None
            order[line] = (rank, i)
    return sorted(lines, key=order.get)


def _resolve(node, root):
    while "$ref" in node:
        node = {**root["$defs"][node["$ref"].rsplit("/", 1)[1]],
                **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _problem(e, everything, root):
    """(rank, line) for one pydantic error ``e``: the rank sorts the lines (shape of the file,
    then each section in order: unknown keys, then its fields in order)."""
    loc, kind = e["loc"], e["type"]
    node, path, value = _resolve(root, root), [], everything
    for part in loc:  # down the schema as far as loc names keys (not a list's items)
        props = node.get("properties", {})
        named = [v for pattern, v in node.get("patternProperties", {}).items()
                 if isinstance(part, str) and re.search(pattern, part)]
        if isinstance(part, str) and part in props:
            node = _resolve(props[part], root)
        elif named:
            node = _resolve(named[0], root)
        else:
            break
        path.append(part)
        value = value.get(part) if isinstance(value, dict) else None
    name = ".".join(map(str, path))
    section = SECTIONS.index(path[0]) if path and path[0] in SECTIONS else -1
    if "[key]" in loc:  # a dict's key: text_train.<variant>
        model = ".".join(map(str, loc[:loc.index("[key]")]))
        return (0, section, 0), (f"unknown model '{model}': a model's name must be a lower-case "
                                 f"identifier ([a-z][a-z0-9_]*)")
    if kind in ("extra_forbidden", "invalid_key"):
        key = ".".join(map(str, [*path, loc[len(path)]]))
        if not path:
            return (0, -1, 0), f"unknown section {key!r} (known: {', '.join(SECTIONS)})"
        return (1, section, 0), f"unknown key '{key}' (known: {', '.join(sorted(node['properties']))})"
    if kind == "missing":
        return (1, section, 1), f"missing {'section' if len(path) == 1 else 'key'} '{name}'"
    if kind in ("model_type", "dict_type") and len(loc) == len(path):
        return (0, section, 1), f"section '{name}' must be a mapping of keys, got {value!r}"
    return (1, section, 1), f"'{name}' must be {describe(node)}, got {value!r}"


def describe(node, plural=False):
    """What a value of JSON Schema ``node`` is, in words: 'an integer >= 1 and <= 1000000'."""
    bounds = [f"{op} {node[k]}" for k, op in (("exclusiveMinimum", ">"), ("minimum", ">="),
                                              ("exclusiveMaximum", "<"), ("maximum", "<="))
              if k in node]
    bounds = " " + " and ".join(bounds) if bounds else ""
    kind = node.get("type")
    if "enum" in node:
        return "one of " + ", ".join(map(repr, node["enum"]))
    if kind == "integer":
        return ("integers" if plural else "an integer") + bounds
    if kind == "number":
        return ("numbers" if plural else "a number") + bounds
    if kind == "string":
        words = "strings" if plural else "string"
        if node.get("minLength") or node.get("pattern"):  # (the only pattern: not blank)
            return "non-empty " + words if plural else "a non-empty " + words
        return words if plural else "a " + words
    if kind == "array":
        item = node.get("items", {})
        items = ("values among " + ", ".join(map(repr, item["enum"])) if "enum" in item
                 else describe(item, plural=True))
        distinct = "distinct " if node.get("uniqueItems") else ""
        if node.get("minItems"):
            return f"a non-empty list of {distinct}{items}"
        return f"a list of {distinct}{items} (may be empty)"
    if kind == "object":
        return "a mapping of at least one model (name: its section)" if node.get("minProperties") \
            else "a mapping of keys"
    return "valid"


def schema():
    """The JSON Schema of params.yaml (docs/params.schema.json is this, committed)."""
    from pydantic.json_schema import GenerateJsonSchema

    class WithoutFieldTitles(GenerateJsonSchema):  # 'Sampling Rate' above sampling_rate's description
        def field_title_should_be_set(self, schema):
            return False

    def one_line(node):  # a class docstring's line breaks are not the description's
        if isinstance(node, dict):
            return {k: " ".join(v.split()) if k == "description" and isinstance(v, str)
                    else one_line(v) for k, v in node.items()}
        return [one_line(v) for v in node] if isinstance(node, list) else node

    return one_line(ParamsFile.model_json_schema(schema_generator=WithoutFieldTitles))


# ---- what the stages ask for ----

asked = {}
"""Every key each stage asked ``load`` for in this process: ``{stage: [dotted keys]}``."""


def lookup(everything, dotted):
    """The value at a dotted key of params.yaml; LabError if there is none."""
    node = everything
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise LabError(f"params.yaml: missing key '{dotted}'")
        node = node[part]
    return node


def load(stage, *keys, path=PARAMS_FILE):
    """The params DVC stage ``stage`` reads, after checking the whole of params.yaml:
    ``load('series_evaluate@sine', 'sine_data.window', 'series.sine')`` ->
    ``{'sine_data.window': 3, 'series.sine': {'data': 'sine', 'layer': 'simple_rnn', ...}}``: a section as a dict,
    a leaf as its value, as params.yaml has them. Each key must be declared in the stage's
    ``params:`` in dvc.yaml (tests/test_params.py checks every stage)."""
    asked.setdefault(stage, []).extend(keys)
    everything = check(read(path), path)
    return {key: lookup(everything, key) for key in keys}


def series_models(path=PARAMS_FILE):
    """``{name: section}`` of the series models in params.yaml (checked whole), in its order:
    what lists them (a stage asks ``load`` for the values it uses, as for ``variants``)."""
    return check(read(path), path)["series"]


def variants(path=PARAMS_FILE):
    """``{name: section}`` of the text_train models in params.yaml (checked whole), in its
    order: what lists the variants. A stage that uses a variant's values asks for them with
    ``load(stage, f'text_train.{name}...')``, which its stage in dvc.yaml must declare."""
    return check(read(path), path)["text_train"]


def main(argv=None):
    """`python -m rnnlab.params`: check the whole of params.yaml (`make repro` does, first);
    `--schema`: print its JSON Schema (docs/params.schema.json)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--schema"]:
        print(json.dumps(schema(), indent=2, ensure_ascii=False))
    elif argv:
        raise LabError("usage: python -m rnnlab.params [--schema]")
    else:
        check(read())


if __name__ == "__main__":
    from rnnlab.core.errors import run

    run(main)
