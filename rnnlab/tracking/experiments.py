"""The MLflow experiment a model's runs go into: found, or created, by name (``use_experiment``),
tagged with its kind (``KIND``), its description and the runs table's columns (``VIEW``), and
the address of that table in the UI (``view_address``). rnnlab/tracking/runs.py's ``new_run``
calls it before it opens a run.
"""
import json

from rnnlab.core.errors import LabError
from rnnlab.tracking import claims, store

NOTE = "mlflow.note.content"  # the description the UI shows for an experiment or a run
KIND = {"mlflow.experimentKind": "custom_model_development"}
"""The experiment's kind as MLflow 3's UI labels it ('Machine learning'). In MLflow 3.17 it does
not choose the page the UI opens on: the browser's 'GenAI' / 'Model training' switch does, which
`make ui`'s address sets (?workflowType=machine_learning)."""


VIEW = "lab"
"""The key of the runs-table view each experiment carries: MLflow's UI reads a view (its
columns) from the experiment tag 'mlflow.sharedViewState.<key>' when the address asks for
'?viewStateShareKey=<key>', as its own "Share" button makes it."""


def view_address(experiment_id):
    """The UI's address (after the server's) of an experiment's runs, with the lab's view."""
    return f"#/experiments/{experiment_id}/runs?viewStateShareKey={VIEW}&workflowType=machine_learning"


def use_experiment(name, note=None, view=None):
    """Point MLflow at the store and find experiment ``name``, creating it if needed, tagged so
    that the UI opens on its runs, with ``note`` as its description if given; the experiment.
    ``view``: the columns (``metrics.`name```, ``params.`name```) of the runs table that the
    description links to, the headline metrics beside the params that tell runs apart
    (MLflow's table shows none by default). One request when nothing changes: the experiment
    is not made MLflow's active one (``mlflow.set_experiment`` would look it up again), its
    id goes to ``mlflow.start_run``."""
    from mlflow import MlflowClient

    uri = store.connect()
    with store.first_use_lock(uri), store.errors_of(uri):
        client = MlflowClient()  # a new SQLite store gets its tables here: under the lock
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            experiment = client.get_experiment(client.create_experiment(
                name, artifact_location=store.artifact_location(uri, name),
                tags={**KIND, **claims.tags_of({})}))
        if experiment.lifecycle_stage == "deleted":
            raise LabError(f"the MLflow experiment '{name}' of {uri} is deleted (in the UI's "
                           "trash): restore it there, or remove it for good with `mlflow gc`")
        tags = {**KIND, **claims.tags_of({})}  # on a class's server, the account that made it
        if note:
            tags[NOTE] = note
        if view:
            tags[f"mlflow.sharedViewState.{VIEW}"] = json.dumps({"selectedColumns": view})
            tags[NOTE] = (f"{note or ''}\n\n[The runs with their headline metrics as columns]"
                          f"({view_address(experiment.experiment_id)})").lstrip()
        for key, value in tags.items():
            if experiment.tags.get(key) != value:  # new, or made by an older lab
                claims.tag_own(client.set_experiment_tag, "experiment", experiment,
                         experiment.experiment_id, key, value)
        return experiment
