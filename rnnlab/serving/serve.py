"""Serve a registered model over HTTP: check what it needs, then start MLflow's server on it.

    python -m rnnlab.serving.serve <registered model> [<version>|latest] [<port>]

``mlflow models serve -m models:/<name>/<version>`` on a store or a model that is not there
fails with MLflow's traceback of forty or more lines. This checks, before MLflow starts, each
thing it needs, and names the first that is missing in one line (``error: ...``, exit 1):

* the store answers: ``MLFLOW_TRACKING_URI`` (a tracking server, checked by rnnlab/tracking/store.py),
  else the project's ``mlflow.db``, which must exist (the training stages create it and
  register the models there);
* the registered model exists (the line lists those that do), and its version (``latest``:
  the highest; the line lists the versions);
* the version's files are there: its folder with MLflow's ``MLmodel`` and each artifact the
  model's code loads (the ``.keras`` model, the vocabulary or scaling). A SQLite store keeps
  them in ``mlartifacts/`` beside ``mlflow.db``, which is not in git or DVC: deleted, only
  training again restores them (the stage the version's run recorded in its tags).

Then it replaces itself (``exec``) with ``mlflow models serve`` on that version (``latest``
resolved to its number), with the venv's packages (``--env-manager local``), on
127.0.0.1:<port> (default 5001), the store in ``MLFLOW_TRACKING_URI`` and the venv's ``bin``
first on PATH (MLflow starts ``uvicorn`` from there). Ctrl-C stops the server.
"""
import os
import socket
import sys
import urllib.parse

from rnnlab.core.errors import LabError, run
from rnnlab.tracking import store

USAGE = "usage: python -m rnnlab.serving.serve <registered model> [<version>|latest] [<port>]"
HOST = "127.0.0.1"
PORT = 5001
LISTED = 10
"""Names or versions a line lists at most."""


def arguments(argv):
    """(name, version, port) of the command line, ``<name> [<version>] [<port>]`` or MLflow's
    ``models:/<name>/<version> [<port>]``: the version a number or 'latest'."""
    args = list(argv)
    if args and args[0].startswith("models:/"):
        name, _, version = args[0].removeprefix("models:/").partition("/")
        args[:1] = [name, version]
    if not 1 <= len(args) <= 3 or not args[0] or args[0].startswith("-"):
        raise LabError(USAGE)
    name, version, port = args + ["latest", str(PORT)][len(args) - 1:]
    if version != "latest" and not (version.isdigit() and int(version) >= 1):
        raise LabError(f"version {version!r}: a version number >= 1 or 'latest' ({USAGE})")
    if not (port.isdigit() and 1 <= int(port) <= 65535):
        raise LabError(f"port {port!r}: a port number from 1 to 65535 ({USAGE})")
    return name, version, int(port)


def listed(items):
    items = [str(i) for i in items]
    more = f" and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return ", ".join(items[:LISTED]) + more


def check_store(uri):
    """LabError unless the store can be read: a SQLite file that exists and is a SQLite
    database (serving only reads it), or a server that answers (rnnlab/tracking/store.py: check)."""
    if not uri.startswith("sqlite:"):
        store.check(uri)
        return
    db = store.sqlite_path(uri)
    if not os.path.isfile(db):
        raise LabError(f"{uri}: no MLflow store there ({db} does not exist): the training "
                       "stages register the models in it: run make repro (if it has nothing to "
                       "run, the models came by dvc pull: dvc repro -f -s text_train series_train)")
    store.check_sqlite_file(db, "and run make repro,")
    store.check_plugin(uri)


def resolve(client, uri, name, version):
    """The registered model's version: its number, and its run's id. LabError naming what is
    not registered, with what is."""
    from mlflow.exceptions import MlflowException

    wanted = f"models:/{name}/{version}"
    try:
        client.get_registered_model(name)
    except MlflowException as err:
        if err.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        names = sorted(m.name for m in client.search_registered_models(max_results=1000))
        have = (f"it has {listed(names)}" if names
                else "it has none: the training stages register them (make repro)")
        raise LabError(f"{wanted}: no registered model {name!r} in the store {uri}; "
                       f"{have}") from None
    versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{name}'"))
    if not versions:
        raise LabError(f"{wanted}: the registered model {name!r} has no versions in {uri}")
    number = versions[-1] if version == "latest" else int(version)
    if number not in versions:
        raise LabError(f"{wanted}: no version {number} of {name!r} in {uri}; its versions: "
                       f"{listed(versions)}")
    return number, client.get_model_version(name, str(number)).run_id


def retrain_hint(client, run_id):
    """How to make the version's files again: the stage its run recorded (a run's tags
    'dvc.stage.<section>', rnnlab/tracking/provenance.py), forced, which registers a new version."""
    from mlflow.exceptions import MlflowException

    try:
        tags = client.get_run(run_id).data.tags if run_id else {}
    except MlflowException:  # the run was deleted: the hint is generic
        tags = {}
    stages = [value for key, value in sorted(tags.items())
              if key.startswith("dvc.stage.") and key.endswith("_train")]
    if stages:
        return (f"train it again, which registers a new version: dvc repro -f -s {stages[0]} "
                "(make repro reruns nothing while DVC's outputs are all there)")
    return "restore them from a copy, or train the model again"


def missing_files(client, uri, name, number):
    """(where, what is missing) of the version's files; what is None when all are there."""
    from mlflow.models import Model

    location = client.get_model_version_download_uri(name, str(number))
    parsed = urllib.parse.urlparse(location)
    if parsed.scheme == "checkout":  # beside a SQLite store (plugin/rnnlab_checkout.py)
        from rnnlab_checkout import local_path

        folder = local_path(location, uri)
    elif parsed.scheme in ("", "file"):
        folder = urllib.parse.unquote(parsed.path)
    else:  # a tracking server's, or a cloud bucket's
        return location, _missing_remote(uri, location)
    if not os.path.isdir(folder):
        return folder, "its folder"
    mlmodel = os.path.join(folder, "MLmodel")
    if not os.path.isfile(mlmodel):
        return folder, "MLmodel"
    pyfunc = Model.load(mlmodel).flavors.get("python_function", {})
    needed = [entry["path"] for entry in pyfunc.get("artifacts", {}).values()]
    needed += [pyfunc["code"]] if pyfunc.get("code") else []
    absent = [path for path in needed if not os.path.exists(os.path.join(folder, path))]
    return folder, (", ".join(absent) if absent else None)


def _missing_remote(uri, location):
    """What is missing of a version whose files a tracking server keeps: MLmodel, or None."""
    from mlflow.artifacts import list_artifacts

    names = {os.path.basename(f.path) for f in list_artifacts(artifact_uri=location,
                                                              tracking_uri=uri)}
    return None if "MLmodel" in names else "MLmodel"


def port_free(port):
    """LabError if something listens on HOST:port already (MLflow would say so in a traceback)."""
    with socket.socket() as s:
        try:
            s.bind((HOST, port))
        except OSError as err:
            raise LabError(f"port {port} on {HOST} is taken ({err.strerror}): another server "
                           f"runs there; stop it or pass another port ({USAGE})") from None


def check(name, version, port):
    """The store's URI and the version number to serve, once everything is checked."""
    uri = store.tracking_uri()
    check_store(uri)  # before MLflow's import, which takes seconds
    from mlflow import MlflowClient

    store.relocate(uri)  # an older store's absolute locations: made relative to it
    with store.errors_of(uri):
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        number, run_id = resolve(client, uri, name, version)
        where, missing = missing_files(client, uri, name, number)
        if missing:
            raise LabError(f"models:/{name}/{number}: its files are missing from {where} "
                           f"({missing}): {retrain_hint(client, run_id)}")
    port_free(port)
    return uri, number


def main():
    if sys.argv[1:2] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return
    name, version, port = arguments(sys.argv[1:])
    uri, number = check(name, version, port)
    bin_dir = os.path.dirname(sys.executable)
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri,
           "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    command = [os.path.join(bin_dir, "mlflow"), "models", "serve", "-m", f"models:/{name}/{number}",
               "--env-manager", "local", "-h", HOST, "-p", str(port)]
    print(f"Serving models:/{name}/{number} from {uri} at http://{HOST}:{port}/invocations "
          "(Ctrl-C stops it)", flush=True)
    os.execve(command[0], command, env)


if __name__ == "__main__":
    run(main)
