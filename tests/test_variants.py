"""A character model is a section of params.yaml and nothing else: a third one, under a name
of its own, runs through text_train, text_evaluate, text_generate and text_track (into its
MLflow run), and the report waits for it, with no change to dvc.yaml or the code."""
import json

from mlflow import MlflowClient

from tests.conftest import edit_params, git_commit, ran, run, tool


def test_a_variant_defined_only_in_params_yaml_runs_through_the_text_stages(project):
    def add_variant(p):
        p["text_train"]["tiny"] = {"kind": "many_to_many", "layer": "gru", "units": 8,
                                   "optimizer": "adam", "learning_rate": 0.01, "epochs": 2,
                                   "batch_size": 64, "seed": 0}
        p["text_generate"]["temperatures"] = [0.0]

    edit_params(project, add_variant)
    git_commit(project, "a third variant")

    out = run([tool("dvc"), "repro", "text_track@tiny"], cwd=project).stdout
    assert ran(out) == {"text_encode", "text_baselines", "text_train@tiny", "text_evaluate@tiny",
                        "text_generate@tiny", "text_track@tiny"}
    scores = json.loads((project / "metrics/text_tiny.json").read_text())["train"]
    assert scores["windows"] == 396 and "sequence_accuracy" in scores  # its kind: many_to_many
    history = (project / "plots/text_tiny_history.csv").read_text().splitlines()
    assert len(history) == 1 + 2
    assert (project / "reports/figures/text_tiny.png").exists()
    samples = (project / "reports/samples/tiny.txt").read_text()
    assert samples.startswith("T=0 (greedy)\n  'Sing a son' -> 'Sing a son")

    link = json.loads((project / "runs/text_tiny.json").read_text())
    assert set(link["models"]) == {"keras", "generator"}
    client = MlflowClient(tracking_uri=f"sqlite:///{project}/mlflow.db")
    r = client.get_run(link["run_id"])
    assert (r.data.params["variant"], r.data.params["kind"]) == ("tiny", "many_to_many")
    assert r.data.params["layer"] == "gru" and "GRU(8)" in r.data.tags["mlflow.note.content"]
    assert r.info.run_name.endswith("-tiny") and "eval_train_sequence_accuracy" in r.data.metrics
    (version,) = client.search_model_versions("name='sixpence-tiny'")
    assert version.run_id == link["run_id"]

    # The report depends on every stage of the new model through its folders of outputs.
    import networkx as nx
    from dvc.repo import Repo

    with Repo(str(project)) as repo:
        graph = repo.index.graph
        stages = {stage.name: stage for stage in graph}
        needed = nx.descendants(graph, stages["report"])  # what the report waits for
    assert {"text_train@tiny", "text_evaluate@tiny", "text_generate@tiny",
            "text_evaluate@many_to_one"} <= {stage.name for stage in needed}
