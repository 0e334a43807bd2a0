"""Whose an MLflow name is: the experiments and registered models the lab names after data
files (rnnlab/tracking/names.py) remember which example, which model and, on a class's server, which
account made them, so that no run lands among another example's and no version among another
model's.

The params check refuses two models of one params.yaml that would share a name. The store
remembers what earlier params.yamls named, which params.yaml does not: with the prices in
data/msft-tutorial.csv the lab's model would register 'msft-tutorial-forecaster', the name the
tutorials' model registered with data/msft.csv. So a train stage claims its names before it
trains (``claim``): it creates the registered model it will add a version to, tagged with its
maker, or refuses in one line if another example or model made it.
"""
import os

from rnnlab.core.errors import LabError
from rnnlab.tracking import names, store

EXAMPLE = "lab.example"
"""The tag of an experiment and of a registered model: the example whose runs or models it
holds ('sine', 'stock', 'text', 'adding')."""
MODEL = "lab.model"
"""The tag of a run and of a registered model: the model (its key in params.yaml and dvc.yaml:
'stock', 'stock_tutorial', 'many_to_one') that trained it, or whose versions it holds."""
FORMULATION = "lab.formulation"
"""Beside MODEL: what that model makes of its data, in a few words."""
ACCOUNT = "lab.account"
"""The tag of an experiment or registered model the lab made on a class's server: the account
that made it (MLflow's server knows, but shows students no owner)."""


def claim(experiment, maker, registered=()):
    """Claim ``experiment`` (an MLflow Experiment) and the ``registered`` model names for
    ``maker`` ({EXAMPLE: ..., MODEL: ..., FORMULATION: ...}): LabError, naming both, if the
    experiment holds another example's runs or a registered model another model's versions;
    else tag them as ``maker``'s where they are not yet, creating the registered models that
    do not exist (one request each, where registering and tagging afterwards took one more
    per tag, and a failed training would have left the name to anyone)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    example = maker[EXAMPLE]
    _refuse_another_example("experiment", experiment, example)
    if EXAMPLE not in experiment.tags:
        tag_own(client.set_experiment_tag, "experiment", experiment, experiment.experiment_id,
                EXAMPLE, example)
    for name in registered:
        try:
            found = client.get_registered_model(name)
        except MlflowException as err:
            if err.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            client.create_registered_model(name, tags=tags_of(maker))
            continue
        _refuse_another_example("registered model", found, example)
        _refuse_another_model(found, found.tags.get(MODEL) or _made_by(client, name), maker)
        for key, value in tags_of(maker).items():
            if key not in found.tags:  # made by an older lab
                tag_own(client.set_registered_model_tag, "registered model", found, name, key,
                        value)


def _refuse_another_example(kind, found, example):
    """LabError if ``found`` (an experiment or registered model) holds another example's runs
    or models than ``example``'s."""
    theirs = found.tags.get(EXAMPLE)
    if theirs and theirs != example:
        raise LabError(f"the MLflow {kind} '{found.name}' holds the {theirs} example's runs and "
                       f"models (named after a data file): the "
                       f"{example} example's would land among them; rename the data file, or "
                       f"delete that {kind} in the UI")


def _refuse_another_model(found, made_by, maker):
    """LabError if the registered model ``found`` holds the versions of model ``made_by``, not
    ``maker``'s."""
    ours = maker.get(MODEL)
    if ours and made_by and ours != made_by:
        raise LabError(f"the MLflow registered model '{found.name}' holds the versions of model "
                       f"'{made_by}' ({found.tags.get(FORMULATION) or 'another model'}): model "
                       f"'{ours}' ({maker.get(FORMULATION) or 'a different model'}) would add "
                       f"its version on top of them (the name comes from a data file); rename the data file, or delete that registered "
                       f"model in the UI (Models)")


def _made_by(client, name):
    """The model whose versions the registered model ``name`` holds, for one an older lab made
    (untagged): the run of its newest version is named after it ('dusty-drum-stock_tutorial',
    'a1b2c3d-stock': a model's key has no '-'); None if it has no version."""
    versions = client.search_model_versions(f"name = '{name}'", max_results=1,
                                            order_by=["version_number DESC"])
    if not versions or not versions[0].run_id:
        return None
    return (client.get_run(versions[0].run_id).info.run_name or "").rsplit("-", 1)[-1] or None


def tags_of(maker):
    """The tags of what ``maker`` made: its example, model, formulation where given, and on a
    class's server the account that made it."""
    owner = os.environ.get(names.OWNER, "").strip()
    return {key: value for key, value in {**maker, ACCOUNT: owner}.items() if value}


def tag_own(set_tag, kind, found, key_of, key, value):
    """``set_tag(key_of, key, value)`` on ``found``, an experiment or registered model of this
    account's name; on a class's server, HTTP 403 when another account made it first: one line
    naming it, its maker where readable (``ACCOUNT``), and what the teacher runs to give it to
    this account."""
    from mlflow.exceptions import MlflowException

    try:
        set_tag(key_of, key, value)
    except MlflowException as err:
        if "error code 403" not in err.message:
            raise
        user = os.environ.get(names.OWNER, "").strip()
        maker = found.tags.get(ACCOUNT)
        raise LabError(
            f"MLflow tracking server {store.tracking_uri()}: the {kind} '{found.name}' was made "
            f"by {repr(maker) if maker else 'another account'} before {user!r} first logged "
            f"into it, and only its maker may change it (HTTP 403): the teacher gives it to "
            f"{user!r} with `make grant ACCOUNT={user} NAME={found.name}` (docs/team.md)") from None
