"""MLflow artifact locations that travel with the checkout: the URI scheme ``checkout:``.

MLflow records where a run keeps its files as the experiment's artifact location with the run's
folder appended, and makes every local location absolute. A copied or moved checkout's
mlflow.db would then name the original's files. The lab gives its experiments locations such as
``checkout:/mlartifacts/msft`` instead: a path relative to the folder of the SQLite file that
holds the store (the checkout's root for the lab's mlflow.db), so the runs, logged models and
model versions made under them, whose locations MLflow derives from the experiment's, are
relative too.

MLflow finds this class through its public plugin interface, the entry-point group
``mlflow.artifact_repository`` (plugin/pyproject.toml; `make venv` installs it), and builds it
with the tracking URI of the client at hand. The folder is that of the SQLite file named by
that tracking URI, else by ``mlflow.get_tracking_uri()``: the process's own
(``mlflow.set_tracking_uri``), else MLFLOW_TRACKING_URI, else MLflow's default,
``sqlite:///mlflow.db`` in the current directory; never a path recorded in the store. A
tracking URI that is no SQLite file (a server) is refused: the files are beside the store, and
only a process that opens the store's file finds them. Logging, listing, downloading and
deleting are MLflow's own for local files (LocalArtifactRepository), on the resolved folder.

This is a top-level module of its own distribution, not a part of the rnnlab package: MLflow
imports every registered plugin whenever it imports its artifact registry (in every stage,
`mlflow ui`, `mlflow gc`, `mlflow models serve`), and rnnlab's __init__ sets environment
defaults meant for the stages alone. It imports nothing but MLflow.
"""
import os
import pathlib
import urllib.parse

from mlflow.exceptions import MlflowException
from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

SCHEME = "checkout"


def sqlite_file(tracking_uri):
    """The path of the SQLite file of ``tracking_uri`` ('sqlite:///mlflow.db?timeout=5' ->
    'mlflow.db', relative to the current directory as MLflow reads it), or None for any other
    store."""
    scheme, _, rest = tracking_uri.partition(":")
    if scheme.split("+", 1)[0] != "sqlite" or not rest.startswith("///"):
        return None
    path = urllib.parse.unquote(rest[3:].split("?", 1)[0])
    return None if path in ("", ":memory:") else path


def store_folder(tracking_uri=None):
    """The folder of the SQLite file that holds the store (see the module's docstring)."""
    import mlflow

    uri = tracking_uri or mlflow.get_tracking_uri()
    path = sqlite_file(str(uri))
    if path is None:
        raise MlflowException(
            f"a '{SCHEME}:' artifact location lies beside a SQLite store's file, and the tracking "
            f"URI {uri} is none: open the store itself (MLFLOW_TRACKING_URI=sqlite:///...)")
    return os.path.dirname(os.path.abspath(path))


def local_path(artifact_uri, tracking_uri=None):
    """'checkout:/mlartifacts/msft/<run>/artifacts' -> '<store folder>/mlartifacts/msft/<run>/
    artifacts'; a path that leaves the store's folder is refused."""
    parsed = urllib.parse.urlparse(artifact_uri)
    if parsed.scheme != SCHEME or parsed.netloc:
        raise MlflowException(f"{artifact_uri}: not a '{SCHEME}:/<path>' artifact location")
    folder = store_folder(tracking_uri)
    path = os.path.normpath(os.path.join(folder, urllib.parse.unquote(parsed.path).lstrip("/")))
    if os.path.commonpath([folder, path]) != folder:
        raise MlflowException(f"{artifact_uri}: leaves the folder of its store, {folder}")
    return path


class CheckoutArtifactRepository(LocalArtifactRepository):
    """MLflow's repository of local files, on the folder a ``checkout:`` URI names."""

    def __init__(self, artifact_uri, tracking_uri=None, registry_uri=None):
        path = local_path(artifact_uri, tracking_uri)
        super().__init__(pathlib.Path(path).as_uri(), tracking_uri=tracking_uri,
                         registry_uri=registry_uri)
