"""The synthetic content a student logs: figures (valid PNGs of the real sizes), notes, the
Keras file's weights, the served model's code and files, and the stand-in models that
mlflow.pyfunc.log_model logs (no TensorFlow, no training)."""
import contextlib
import functools
import io
import json
import os
import random
import struct
import zlib
from pathlib import Path

import mlflow.pyfunc

from benchmarks.server_load_parts.repro import (
    MODELS,
    MORE_STAGES,
    evaluation_figure,
    served_kind,
)

ROOT = Path(__file__).resolve().parents[2]
KB = 1024
GENERATOR_PARAMS = {"length": 20, "temperature": 0.0, "top_k": 0, "seed": 0}


def png_bytes(size, seed):
    """A valid PNG of random RGB pixels (incompressible): about ``size`` bytes."""
    rng = random.Random(seed)
    side = max(8, int((size / 3) ** 0.5))
    raw = b"".join(b"\x00" + rng.randbytes(side * 3) for _ in range(side))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


@functools.lru_cache(maxsize=None)
def figure(model):
    return png_bytes(model.figure_kb * KB, model.name)


@functools.lru_cache(maxsize=None)
def more_figure(model, name):
    """A figure of a stage in MORE_STAGES."""
    kb = next(files[name] for _, _, files in MORE_STAGES[model.name].values() if name in files)
    return png_bytes(kb * KB, f"{model.name} {name}")


def note(rng, size=1000):
    words = ["the", "network", "learns", "next", "value", "window", "epochs", "loss", "val",
             "persistence", "drift", "scaled", "training", "part", "forecast", "lecture"]
    text = ""
    while len(text) < size:
        text += " ".join(rng.choice(words) for _ in range(12)) + ".\n"
    return text[:size]


def run_files(model):
    """{artifact path: size or None} the stages log into a run (the figure's size is known)."""
    files = {"model_summary.txt": None, evaluation_figure(model): len(figure(model))}
    if model.kind == "text":
        files.update({"vocab.json": None, "samples.txt": None})
    for _, _, more in MORE_STAGES.get(model.name, {}).values():
        files.update({name: kb and len(more_figure(model, name)) for name, kb in more.items()})
    return files


def make_files(folder):
    """The files every student logs: figures, weights, a served model's code (the modules of
    rnnlab its pyfunc module imports, as rnnlab/tracking/registry.py's served_code copies them for
    code_paths). {name: path}."""
    folder.mkdir(parents=True)
    files = {}
    for model in MODELS:
        path = folder / f"{model.name}.png"
        path.write_bytes(figure(model))
        files[f"{model.name}.png"] = str(path)
        for _, _, more in MORE_STAGES.get(model.name, {}).values():
            for name in (n for n in more if n.endswith(".png")):
                path = folder / f"{model.name}-{os.path.basename(name)}"
                path.write_bytes(more_figure(model, name))
                files[f"{model.name} {name}"] = str(path)
        path = folder / f"{model.name}.keras"
        path.write_bytes(random.Random(model.name).randbytes(model.weights_kb * KB))
        files[f"{model.name}.keras"] = str(path)
    from rnnlab.tracking import registry

    for kind in ("forecaster", "generator"):
        (folder / kind).mkdir()
        files[f"code {kind}"] = registry.served_code(
            str(ROOT / "rnnlab" / "serving" / f"{kind}.py"), str(folder / kind))
    (folder / "transform.json").write_text(json.dumps({"window": 20, "columns": ["Close"],
                                                       "min": 0.1, "max": 95.0}))
    files["transform"] = str(folder / "transform.json")
    chars = list(" abcdefghijklmnopqrstuvwxyz,.!?'\n")
    (folder / "vocab.json").write_text(json.dumps({"chars": chars, "window": 10}))
    files["vocab"] = str(folder / "vocab.json")
    return files


def quiet():
    """No MLflow notices on stderr: that Tiny.predict has no type hints (none are wanted: the
    signature is given), that the Keras stand-in has no input example (neither has the lab's).
    MLflow shows them whatever the warnings filters say."""
    return contextlib.redirect_stderr(io.StringIO())


with quiet():
    class Tiny(mlflow.pyfunc.PythonModel):
        """The served model's stand-in: answers zeros (or its prompts)."""

        def predict(self, context, model_input, params=None):
            if isinstance(model_input, list):
                return [str(x) for x in model_input]
            return [0.0] * len(model_input)


def examples(model):
    """(input example, output, params) of the served model, as rnnlab/tracking/registry.py gives them."""
    if model.kind == "series":
        import pandas as pd

        return pd.DataFrame({"Close": [40.0 + i * 0.1 for i in range(20)]}), [42.0], None
    return ["Sing a son"], ["Sing a son"], GENERATOR_PARAMS


def log_model_args(model, files, which):
    """mlflow.pyfunc.log_model's arguments for the Keras stand-in or the served model (pinned
    requirements: rnnlab/tracking/registry.py's own)."""
    from mlflow.models import infer_signature

    from rnnlab.tracking import registry

    example, output, params = examples(model)
    if which == "keras":
        return dict(name=f"{model.name}-keras", python_model=Tiny(),
                    artifacts={"model": files[f"{model.name}.keras"]},
                    signature=infer_signature(example, output),
                    pip_requirements=registry.pip_requirements())
    extra = "transform" if model.kind == "series" else "vocab"
    return dict(name=f"{model.name}-{served_kind(model)}", python_model=Tiny(),
                artifacts={"model": files[f"{model.name}.keras"], extra: files[extra]},
                code_paths=[files[f"code {served_kind(model)}"]],
                signature=infer_signature(example, output, params=params),
                input_example=example if params is None else (example, params),
                pip_requirements=registry.pyfunc_requirements(
                    *(["pandas"] if model.kind == "series" else [])))
