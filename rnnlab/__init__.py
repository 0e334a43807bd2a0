"""What the pipeline's stages share (the stages themselves are in ``stages/``, one module per
stage of dvc.yaml), in layers; a package imports only those below it:

  params.py, sections.py  params.yaml's check and schema (they import core/ alone)
  serving/                the registered models as MLflow serves them
  tracking/  charts/  report/
                          MLflow behind the lesson; the figures and the results page
  data/  nets/  forward/  scores/
                          the lesson: data and windows, the Keras networks, inference in NumPy,
                          baselines and scores (no MLflow)
  core/                   one-line errors, interrupts, outputs written all or nothing

docs/architecture.md draws it. Importing the package sets quiet, reproducible defaults for
every stage process; values already in the environment win.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # no TensorFlow info/warning lines on stderr
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # plain kernels: bit-for-bit repeatable runs
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
# A tracking server that stops answering fails a stage in seconds, not minutes of retries;
# three retries (MLflow waits 0, 4 and 8 s) outlast the few seconds of HTTP 503 while a class
# server's PostgreSQL restarts (docs/team.md).
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
# A run's address is printed by the lab (rnnlab/tracking/runs.py: say_where), without the request for the
# whole run that MLflow makes to print it.
os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# No "Downloading artifacts" progress bars on stderr while a stage logs or registers a model.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
