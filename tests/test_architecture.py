"""The layers of docs/architecture.md, read from the code's imports (every import, also those
inside functions): a package imports only the layers its row names, no import runs back up or
in a circle, the lesson's code imports no MLflow, only rnnlab/nets/ imports TensorFlow or Keras,
and no stage imports another."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSON = {"data", "nets", "forward", "scores"}
MAY_IMPORT = {  # docs/architecture.md's table: what each part may import of the lab
    "core": set(),
    "sections": {"core"},
    "params": {"core", "sections"},
    "data": {"core"},
    "forward": {"core", "data"},
    "scores": {"core", "data"},
    "nets": {"core", "data"},
    "charts": LESSON | {"core"},
    "report": LESSON | {"core"},
    "tracking": LESSON | {"core", "rnnlab"},
    "serving": LESSON | {"core", "tracking", "rnnlab"},
    "classroom": {"core", "tracking", "rnnlab"},
}
THIRD_PARTY = {  # a library only some parts may import
    "mlflow": {"tracking", "serving", "classroom"},
    "tensorflow": {"nets"},
    "keras": {"nets"},
}


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part(module):
    """'rnnlab.data.vocab' -> 'data', 'rnnlab.params' -> 'params', 'rnnlab' -> 'rnnlab',
    'classroom.server' -> 'classroom', 'stages.x' -> 'stages'; None outside the lab."""
    top, *rest = module.split(".")
    if top == "rnnlab":
        return rest[0] if rest else "rnnlab"
    return top if top in ("classroom", "stages") else None


def imports(path):
    """Every module ``path`` imports, anywhere in it (relative imports resolved)."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(filter(None, [base, node.module or ""]))
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def sources(*folders):
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


def test_each_part_imports_only_the_layers_below_it():
    wrong = []
    for path in sources("rnnlab", "classroom"):
        here = part(module_name(path))
        if here == "rnnlab":  # the package's face: environment settings only
            assert not {part(m) for m in imports(path)} - {None, "rnnlab"}, path
            continue
        for module in imports(path):
            there = part(module)
            if there not in (None, here) and there not in MAY_IMPORT[here]:
                wrong.append(f"{path.relative_to(ROOT)} ({here}) imports {module} ({there})")
            library = module.split(".")[0]
            if library in THIRD_PARTY and here not in THIRD_PARTY[library]:
                wrong.append(f"{path.relative_to(ROOT)} ({here}) imports {library}")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_the_modules_import_no_circle():
    known = {module_name(p): p for p in sources("rnnlab", "classroom", "stages")}
    graph = {name: {m for m in imports(path) if m in known and m != name}
             for name, path in known.items()}
    done, path = set(), []

    def visit(name):
        if name in path:
            raise AssertionError("an import circle: " + " -> ".join(path[path.index(name):] + [name]))
        if name in done:
            return
        path.append(name)
        for other in sorted(graph[name]):
            visit(other)
        path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_no_stage_imports_another_and_nothing_imports_a_stage():
    for path in sources("stages", "rnnlab", "classroom"):
        if path.name == "__init__.py" and path.parent.name == "stages":
            continue
        stages = [m for m in imports(path) if part(m) == "stages" and m != "stages"]
        assert not stages, f"{path.relative_to(ROOT)} imports {stages}"


def test_the_reader_sees_imports_inside_functions():
    """The train stages import the Keras callback inside main(): a reader that saw only the
    module's top would miss it, and so would the rules above."""
    assert "rnnlab.nets.progress.EpochLog" in set(imports(ROOT / "stages/text_train.py"))
    assert part("rnnlab.tracking.runs") == "tracking" and part("numpy") is None
