"""runs/<model>.json: the DVC output that ties a model's stages to its MLflow run.

The train stage writes it when its run ends well (the run's id, experiment and name, the ids of
the models logged in it, and the train stage's name, which a later stage's errors give as the
one to rerun); the later stages that log (track, walk-forward, strategy, adding_evaluate) read
it to log into the same run, so one MLflow run holds a model's params, history, evaluation,
samples and the model itself. DVC keeps the file with the outputs it belongs to: a stage
restored from DVC's run-cache brings back the link to the run that made it.
"""
from dataclasses import dataclass, field

from rnnlab.core.outputs import read_json, reading, write_json


@dataclass
class Link:
    run_id: str
    experiment_name: str
    run_name: str
    models: dict = field(default_factory=dict)  # {'keras': model id, 'generator': model id}
    stage: str = ""  # the DVC stage that trained it: 'text_train@many_to_one'


def write(path, link):
    write_json(path, {"run_id": link.run_id, "experiment_name": link.experiment_name,
                      "run_name": link.run_name, "models": link.models, "stage": link.stage})


def read(path):
    """The link in ``path``; one LabError naming the file if it is missing or not a link."""
    record = read_json(path)
    with reading(path):
        return Link(str(record["run_id"]), str(record["experiment_name"]),
                    str(record.get("run_name", "")), dict(record.get("models") or {}),
                    str(record.get("stage", "")))
