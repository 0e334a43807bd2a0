"""The adding problem's data, the gradient measurement, and NumPy inference of its models."""
import numpy as np
import pytest

from rnnlab.data import adding


def test_sequences_have_one_marker_in_each_half_and_the_target_is_their_sum():
    inputs, targets = adding.sequences(500, 11, np.random.default_rng(0))
    assert inputs.shape == (500, 11, 2) and targets.shape == (500,)
    assert inputs.dtype == np.float32 and targets.dtype == np.float32
    values, markers = inputs[..., 0], inputs[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers.sum(axis=1) == 2).all()
    half = 11 // 2
    assert (markers[:, :half].sum(axis=1) == 1).all() and (markers[:, half:].sum(axis=1) == 1).all()
    np.testing.assert_allclose(targets, (values * markers).sum(axis=1), rtol=1e-6)
    assert 0 <= values.min() and values.max() < 1


def test_markers_reach_both_ends_of_each_half():
    inputs, _ = adding.sequences(4000, 10, np.random.default_rng(1))
    first = inputs[:, :5, 1].argmax(axis=1)
    second = 5 + inputs[:, 5:, 1].argmax(axis=1)
    assert set(first) == set(range(5)) and set(second) == set(range(5, 10))


def test_the_mean_predictor_scores_one_sixth():
    _, targets = adding.sequences(200_000, 4, np.random.default_rng(2))
    assert adding.mse(np.full_like(targets, adding.MEAN_SUM), targets) == pytest.approx(1 / 6, rel=0.01)


def test_data_sets_are_seeded_and_differ_by_seed_and_length():
    (a, ya), (at, yat) = adding.data_sets(20, 64, 32, seed=0)
    (b, yb), (bt, ybt) = adding.data_sets(20, 64, 32, seed=0)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(yat, ybt)
    assert not np.array_equal(a[:32], at)  # the test set is drawn apart from the training set
    (c, _), _ = adding.data_sets(20, 64, 32, seed=1)
    assert not np.array_equal(a, c)
    (d, _), _ = adding.data_sets(21, 64, 32, seed=0)
    assert not np.array_equal(a[:, :, 0], d[:, :20, 0])


def test_a_sequence_of_one_step_is_refused():
    with pytest.raises(ValueError, match="at least 2 steps"):
        adding.sequences(3, 1, np.random.default_rng(0))


def test_making_a_set_holds_its_float32_inputs_and_one_float64_draw_at_most():
    """The basis of check_size's INPUT_COPIES: drawing a set peaks at its float32 inputs and
    the float64 values they are rounded from, nothing of the (count, length, 2) float64 size."""
    import tracemalloc

    tracemalloc.start()
    try:
        inputs, _ = adding.sequences(2000, 500, np.random.default_rng(0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2.25 * inputs.nbytes  # float32 inputs + float64 values = 2 x inputs.nbytes


def test_sequences_too_large_for_the_machine_are_refused_naming_length_and_train_size(monkeypatch):
    from rnnlab.core.errors import LabError
    from rnnlab.data import limits

    monkeypatch.setattr(limits, "physical_memory", lambda: 2 * 2**30)  # 2 GiB: 1 GiB for them
    adding.check_size(100, 4096, 1024)  # the defaults: 12 MiB
    with pytest.raises(LabError) as err:
        adding.check_size(1000, 100_000, 1024)  # 101,024,000 steps x 24 bytes: 2.3 GiB
    assert str(err.value) == (
        "params.yaml: 'adding_data.lengths' item 1000 x 'adding_data.train_size' 100,000 "
        "(+ test_size 1,024) sequences make 101,024,000 steps, which need ~2.3 GiB to make and "
        "train on, more than half of this machine's 2.0 GiB: lower either")
    # just under the limit passes: the bound is half the memory, INPUT_COPIES float32 copies
    steps = 2**30 // (2 * 4 * adding.INPUT_COPIES)
    adding.check_size(steps // 2048, 2048 - 1024, 1024)
    monkeypatch.setattr(limits, "physical_memory", lambda: None)  # not known: no bound
    adding.check_size(10_000, 1_000_000, 1_000_000)


def test_the_data_stage_refuses_them_in_one_line_before_drawing_any(tmp_path):
    """The real stage with lengths [10000] and train_size 1,000,000 (80 GB of float32): one
    line naming both params, not an out-of-memory line blaming the network's params."""
    import yaml

    from rnnlab.data import limits
    from tests.conftest import copy_project, run, stage_command

    need = (1_000_000 + 1024) * 10_000 * 2 * 4 * adding.INPUT_COPIES
    if (limits.physical_memory() or 0) // 2 >= need:
        pytest.skip("this machine has the memory for them")
    lab = copy_project(tmp_path / "lab")
    p = yaml.safe_load((lab / "params.yaml").read_text())
    p["adding_data"].update(lengths=[10_000], train_size=1_000_000)
    (lab / "params.yaml").write_text(yaml.safe_dump(p, sort_keys=False))
    proc = run(stage_command(lab, "adding_data@10000"), cwd=lab, check=False, timeout=120)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: params.yaml: 'adding_data.lengths' item 10000 x 'adding_data.train_size' "
        "1,000,000 (+ test_size 1,024) sequences make 10,010,240,000 steps"), proc.stderr
    assert "out of memory" not in lines[0]
    assert not (lab / "data/adding/10000.npz").exists()


def test_gradient_ratio_counts_underflow_as_the_floor():
    assert adding.gradient_ratio([1.0, 0.5, 0.25], 1e-30) == 4.0
    assert adding.gradient_ratio([1e-3, 0.0], 1e-30) == pytest.approx(1e27)


keras = pytest.importorskip("keras")


def linear_rnn(length, decay):
    """s_t = U x_t + W s_{t-1} with U = I, W = decay * I, o = v . s_T: d o / d x_t = decay^(T-1-t) v."""
    model = keras.Sequential([keras.Input((length, 2)),
                              keras.layers.SimpleRNN(2, activation="linear", use_bias=False),
                              keras.layers.Dense(1, use_bias=False)])
    rnn, dense = model.layers
    rnn.set_weights([np.eye(2, dtype=np.float32), decay * np.eye(2, dtype=np.float32)])
    dense.set_weights([np.array([[1.0], [2.0]], dtype=np.float32)])
    return model


def test_gradient_norms_of_a_linear_rnn_decay_as_its_recurrent_factor():
    from rnnlab.nets import gradients

    length = 12
    inputs, targets = adding.sequences(8, length, np.random.default_rng(3))
    norms = gradients.input_gradient_norms(linear_rnn(length, 0.5), inputs, targets)
    assert norms.shape == (length - 1,)
    k = np.arange(1, length)
    np.testing.assert_allclose(norms / norms[0], 0.5 ** (k - 1), rtol=1e-5)
    # and the ratio the evaluate stage reports is 2^(T-2)
    assert adding.gradient_ratio(norms, adding.FLOOR) == pytest.approx(2.0 ** (length - 2), rel=1e-5)


def test_gradient_norms_do_not_decay_when_the_factor_is_one():
    from rnnlab.nets import gradients

    inputs, targets = adding.sequences(4, 9, np.random.default_rng(4))
    norms = gradients.input_gradient_norms(linear_rnn(9, 1.0), inputs, targets)
    np.testing.assert_allclose(norms, norms[0], rtol=1e-5)


@pytest.mark.parametrize("layer", ["SimpleRNN", "GRU", "LSTM"])
def test_numpy_inference_equals_keras_on_adding_models(tmp_path, layer):
    from rnnlab.forward import inference

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((30, 2)), getattr(keras.layers, layer)(8),
                              keras.layers.Dense(1)])
    path = tmp_path / "m.keras"
    model.save(path)
    inputs, _ = adding.sequences(16, 30, np.random.default_rng(5))
    np.testing.assert_allclose(inference.load_model(str(path))(inputs),
                               model.predict_on_batch(inputs), atol=1e-5)


# ---- the stages ----

def test_the_evaluate_stage_finds_each_file_by_its_stages_name(monkeypatch):
    """adding_evaluate is given folders: it finds in them each length's sequences and each
    network's files by the names adding_data's and adding_train's cmds give them."""
    import sys
    from pathlib import Path

    from stages import adding_evaluate
    from tests.conftest import stage_command

    root = Path(__file__).resolve().parent.parent

    def option(name, key):
        cmd = stage_command(root, name)
        return cmd[cmd.index(key) + 1]

    monkeypatch.setattr(sys, "argv", ["adding_evaluate",
                                      *stage_command(root, "adding_evaluate")[3:]])
    args = adding_evaluate.arguments()
    cell, length = "lstm", 100  # an item of the shipped params' matrix
    stage = f"adding_train@{cell}-{length}"
    assert adding_evaluate.data_file(args, length) == option(f"adding_data@{length}", "--data")
    assert adding_evaluate.network_files(args, cell, length) == {
        key: option(stage, f"--{key}") for key in ("model", "history", "gradients", "run")}


# ---- the stages, end to end, on a tiny budget ----

def tiny(project, **changes):
    """params.yaml of a copy of the project with example 5 on a tiny budget, and ``changes``
    ({'adding_data.lengths': [...]}) on top."""
    import yaml

    from tests.conftest import git_commit, tiny_adding

    path = project / "params.yaml"
    p = yaml.safe_load(path.read_text())
    tiny_adding(p)
    for key, value in changes.items():
        section, name = key.split(".")
        p[section][name] = value
    path.write_text(yaml.safe_dump(p, sort_keys=False))
    git_commit(project, "tiny")


@pytest.mark.parametrize("changes, says", [
    ({"adding_data.lengths": [1, 100]}, "'adding_data.lengths' must be a non-empty list of "
                                        "distinct integers >= 2"),
    ({"adding_data.lengths": []}, "'adding_data.lengths' must be a non-empty list"),
    ({"adding_train.cells": ["simple_rnn", "rnn"]}, "'adding_train.cells' must be a non-empty "
                                                   "list of distinct values among"),
    ({"adding_data.train_size": 16}, "'adding_train.batch_size' (32) and "
                                     "'adding_data.train_size' (16): a batch must not be larger"),
])
def test_bad_params_are_one_line_before_anything_trains(project, changes, says):
    from tests.conftest import run, tool

    tiny(project, **changes)
    done = run([tool("python"), "-m", "rnnlab.params"], cwd=project, check=False)
    assert done.returncode == 1 and done.stderr.strip().count("\n") == 0
    assert says in done.stderr
    done = run([tool("dvc"), "repro", "adding_evaluate"], cwd=project, check=False)
    assert done.returncode != 0 and not (project / "models/adding").exists()
