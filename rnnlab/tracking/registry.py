"""A trained model in MLflow: logged into its run, served, registered and described.

A train stage ends with one call, ``log_and_register``: the run's files (the model summary, and
any the stage adds), the Keras model as MLflow logs it, and the served model (a pyfunc model
"from code", rnnlab/serving/generator.py or forecaster.py, which runs the saved weights in NumPy),
registered under its name with descriptions of what it does and how to serve it. Both logged
models carry the metrics of the epoch whose weights they hold.
"""
import json
import logging
from dataclasses import dataclass

from rnnlab.tracking import names, notes


@dataclass(frozen=True)
class Served:
    """The served form of a trained model."""
    kind: str            # 'generator' | 'forecaster': also its key in runs/<model>.json
    code: str            # the pyfunc module: rnnlab/serving/generator.py or rnnlab/serving/forecaster.py
    artifacts: dict      # {name: path} of the files it loads (the .keras model, ...)
    example: object      # an input, for the signature and the UI
    output: object       # what it answers to ``example``
    registered: str      # its name in the registry: 'sixpence-many-to-one', 'msft-forecaster'
    description: str     # the registered model's description (rnnlab/tracking/notes.py)
    request: dict        # the body of an /invocations request, for the version's description
    params: dict = None  # params a request may set, and their defaults (the generator's)
    requirements: tuple = ()  # packages it needs beyond mlflow, numpy and h5py


def generator(variant, model_path, vocab_path, corpus, prompt):
    """The served text generator of ``variant`` (rnnlab/serving/generator.py): prompt strings in, each
    continued out; registered as '<corpus>-<variant>'. ``prompt``: an example."""
    from rnnlab.forward.textgen import GENERATOR_PARAMS

    registered = names.generator(corpus, variant)
    return Served(kind="generator", code="rnnlab/serving/generator.py",
                  artifacts={"model": model_path, "vocab": vocab_path},
                  example=[prompt], output=[prompt], params=GENERATOR_PARAMS,
                  registered=registered, description=notes.generator(corpus, variant),
                  request={"inputs": [prompt], "params": {"length": 40}})


def forecaster(model_path, transform_path, experiment, registered, columns, last_rows,
               next_value):
    """The served forecaster of a series model in ``experiment`` (rnnlab/serving/forecaster.py): its
    last raw rows in, the next value out; registered as ``registered`` (names.forecaster).
    ``last_rows`` (window, columns) and the ``next_value`` after them: an example."""
    import pandas as pd

    return Served(kind="forecaster", code="rnnlab/serving/forecaster.py",
                  artifacts={"model": model_path, "transform": transform_path},
                  requirements=("pandas",),
                  example=pd.DataFrame(last_rows, columns=columns), output=[float(next_value)],
                  registered=registered,
                  description=notes.forecaster(experiment, columns, len(last_rows)),
                  request={"dataframe_split": {"columns": columns, "data": last_rows.tolist()}})


def log_and_register(model, name, inputs, step, served, files=None):
    """Log the trained Keras ``model`` of the active run as '<name>-keras' (signature from
    ``inputs``), its summary and ``files`` ({artifact file: dict or text}); log ``served`` as
    '<name>-<served.kind>', register and describe it; both logged models carry the metrics of
    epoch ``step`` (its evaluation adds the model's own scores: runs.log_evaluation). The
    ids of the two logged models: {'keras': ..., served.kind: ...}."""
    from mlflow.models import infer_signature

    logged = log_keras(model, name, inputs, step, files)
    example = served.example if served.params is None else (served.example, served.params)
    pyfunc = _log_pyfunc(
        name=f"{name}-{served.kind}", python_model=served.code, step=step,
        artifacts=served.artifacts, requirements=served.requirements,
        signature=infer_signature(served.example, served.output, params=served.params),
        input_example=example, registered_model_name=served.registered)
    describe_registered(served.registered, pyfunc.registered_model_version, served.description,
                        notes.serving(served.registered, pyfunc.registered_model_version,
                                      json.dumps(served.request)))
    return {**logged, served.kind: pyfunc.model_id}


def log_keras(model, name, inputs, step, files=None):
    """Log the trained Keras ``model`` of the active run as '<name>-keras' (signature from
    ``inputs``, the metrics of epoch ``step``), its summary and ``files`` ({artifact file: dict
    or text}), without a served form. The id of the logged model: {'keras': ...}."""
    import mlflow
    from mlflow.models import infer_signature

    for artifact_file, content in {**(files or {}), "model_summary.txt": summary(model)}.items():
        if isinstance(content, dict):
            mlflow.log_dict(content, artifact_file)
        else:
            mlflow.log_text(content, artifact_file)
    keras_model = mlflow.keras.log_model(
        model, name=f"{name}-keras", step=step,
        signature=infer_signature(inputs, model.predict_on_batch(inputs)),
        pip_requirements=pip_requirements())
    return {"keras": keras_model.model_id}


def summary(model):
    """Keras' model summary as text (logged beside the model: layers, shapes, weights)."""
    lines = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    return "\n".join(lines) + "\n"


def _log_pyfunc(python_model, requirements=(), **kwargs):
    """``mlflow.pyfunc.log_model`` of a served model: the modules of ``rnnlab`` it imports as its
    code (``served_code``), pinned requirements (plus ``requirements``), without MLflow's info
    lines as it runs the model on its input example to check the signature."""
    import tempfile

    import mlflow

    # "Validating input example against model signature", "Running the predict function ..."
    loggers = [logging.getLogger(name) for name in ("mlflow.pyfunc", "mlflow.models")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        with tempfile.TemporaryDirectory() as folder:
            return mlflow.pyfunc.log_model(python_model=python_model,
                                           code_paths=[served_code(python_model, folder)],
                                           pip_requirements=pyfunc_requirements(*requirements),
                                           **kwargs)
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def served_code(module_file, folder):
    """A copy of the package in ``folder`` with only the modules ``module_file`` (a served
    model's code, rnnlab/serving/forecaster.py) imports, directly or not, in their subpackages;
    its path. The whole package is ~50 files, about 10 of them used: MLflow's proxied artifacts upload a model file by file, so
    each file is one request to a class server (docs/team.md), and the model carries code it
    never runs. The imports are found by the standard library's modulefinder, which reads
    them without running them (imports inside functions included), so the list follows the
    code."""
    import modulefinder
    import os
    import shutil

    import rnnlab

    package = os.path.dirname(os.path.abspath(rnnlab.__file__))
    finder = modulefinder.ModuleFinder(path=[os.path.dirname(package)])
    finder.run_script(module_file)
    copy = os.path.join(folder, "rnnlab")
    for name, module in finder.modules.items():
        if (name == "rnnlab" or name.startswith("rnnlab.")) and module.__file__:
            # in its subpackage's folder (rnnlab/forward/inference.py), each with its __init__
            target = os.path.join(copy, os.path.relpath(module.__file__, package))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy(module.__file__, target)
    return copy


def describe_registered(name, version, model_note, version_note):
    """Descriptions for registered model ``name`` and its ``version``."""
    from mlflow import MlflowClient

    client = MlflowClient()
    client.update_registered_model(name, description=model_note)
    client.update_model_version(name, version, description=version_note)


def pip_requirements(*extra):
    """What a logged Keras model needs to load, and the ``extra`` packages it needs to run:
    pinned, so that MLflow need not infer them (it would load the model in a fresh process)."""
    return _pinned("keras", "tensorflow-cpu", "numpy", *extra)


def pyfunc_requirements(*extra):
    """What a served pyfunc model (generator, forecaster) needs: it runs the saved weights in
    NumPy (rnnlab/forward/inference.py, h5py reads them), so no TensorFlow and no Keras."""
    return _pinned("mlflow", "numpy", "h5py", *extra)


def _pinned(*packages):
    from importlib.metadata import version

    return [f"{pkg}=={version(pkg)}" for pkg in packages]
