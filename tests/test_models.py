import os

import keras
import numpy as np
import pytest

from rnnlab.forward import textgen
from rnnlab.nets import models
from rnnlab.nets.progress import EpochLog
from rnnlab.tracking.runs import EpochMetrics
from tests.conftest import ROOT


def test_sine_model_matches_the_lecture():
    model = models.series_model("sine", steps=3, features=1, layer="simple_rnn", units=10)
    assert model.predict_on_batch(np.zeros((17, 3, 1))).shape == (17, 1)
    # SimpleRNN(10) on 1 feature: 10 + 100 + 10 weights; Dense(1): 11
    assert model.count_params() == 131


@pytest.mark.parametrize("layer,weights", [("lstm", 4 * 8 * (5 + 8 + 1) + 9),
                                           ("gru", 3 * 8 * (5 + 8 + 2) + 9)])
def test_series_model_reads_every_column_of_the_window(layer, weights):
    model = models.series_model("stock", steps=20, features=5, layer=layer, units=8)
    assert model.predict_on_batch(np.zeros((4, 20, 5), dtype="float32")).shape == (4, 1)
    assert model.count_params() == weights


@pytest.mark.parametrize("variant,shape", [("many_to_one", (5, 34)), ("many_to_many", (5, 10, 34))])
def test_text_model_shapes(variant, shape):
    model = models.text_model(variant, vocab_size=34, units=75)
    assert model.predict_on_batch(np.zeros((5, 10), dtype=np.int32)).shape == shape
    # LSTM(75) on 34 inputs: 4 * 75 * (34 + 75 + 1); Dense(34): 75 * 34 + 34 (the lecture's 35,584)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 35_584


def test_one_hot_inside_the_model():
    model = models.text_model("many_to_one", vocab_size=5, units=4)
    one_hot = model.get_layer("one_hot")
    np.testing.assert_array_equal(one_hot(np.array([[0, 3, 5]])),
                                  [[[1, 0, 0, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 0]]])
    assert not one_hot.trainable_weights


@pytest.mark.parametrize("variant", ["many_to_one", "many_to_many"])
def test_padding_is_masked_out(variant):
    """A left-padded prompt gives exactly what the prompt alone gives."""
    models.seed_everything(1)
    model = models.text_model(variant, vocab_size=6, units=8)
    PAD = 6
    prompt = np.array([[3, 1, 4]], dtype=np.int32)
    padded = textgen.left_pad([prompt[0]], 7, PAD)
    assert padded.tolist() == [[PAD] * 4 + [3, 1, 4]]
    last = textgen.next_char_probs
    np.testing.assert_allclose(last(model, padded), last(model, prompt), rtol=1e-5, atol=1e-6)
    # and PAD is not a character: the same prompt after real characters differs
    other = np.array([[0, 0, 0, 0, 3, 1, 4]], dtype=np.int32)
    assert not np.allclose(last(model, other), last(model, prompt))


def test_saved_model_loads_with_the_same_outputs(tmp_path):
    model = models.text_model("many_to_many", vocab_size=6, units=8)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    x = np.array([[6, 1, 2, 3]], dtype=np.int32)
    np.testing.assert_allclose(loaded.predict_on_batch(x), model.predict_on_batch(x), rtol=1e-6)


def test_same_seed_same_training():
    """Determinism: same params, same numbers."""
    X = np.random.default_rng(0).normal(size=(17, 3, 1)).astype("float32")
    Y = X[:, -1, :] * 0.5

    def train():
        models.seed_everything(0)
        model = models.series_model("sine", 3, 1, "simple_rnn", 10)
        model.compile(loss="mse", optimizer=models.optimizer("sgd", 0.01))
        loss = model.fit(X, Y, epochs=3, verbose=0).history["loss"]
        return loss, model.get_weights()

    (loss1, w1), (loss2, w2) = train(), train()
    assert loss1 == loss2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


def test_steps_per_execution_changes_no_number():
    """Several batches per call into TensorFlow: the same updates, in the same order."""
    X = np.random.default_rng(1).normal(size=(200, 5, 2)).astype("float32")
    Y = X[:, -1, 0] * 0.5

    def train(steps):
        models.seed_everything(3)
        model = models.series_model("s", 5, 2, "lstm", 6)
        model.compile(loss="mse", optimizer=models.optimizer("adam", 0.01), steps_per_execution=steps)
        loss = model.fit(X, Y, epochs=3, batch_size=16, verbose=0).history["loss"]
        return loss, model.get_weights()

    (loss1, w1), (loss32, w32) = train(1), train(models.STEPS_PER_EXECUTION)
    assert loss1 == loss32
    for a, b in zip(w1, w32):
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def run_in(tmp_path, monkeypatch):
    """An active MLflow run in a SQLite store of its own; the log_batch requests it gets."""
    import mlflow

    from rnnlab.tracking import runs

    sent = []
    log_batch = mlflow.MlflowClient.log_batch

    def counted(self, run_id, metrics=(), *args, **kwargs):
        sent.append(len(metrics))
        return log_batch(self, run_id, metrics, *args, **kwargs)

    monkeypatch.setattr(mlflow.MlflowClient, "log_batch", counted)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    # its own experiment: an earlier test in this process may have left another one active
    with mlflow.start_run(experiment_id=mlflow.create_experiment("epochs")) as run:
        yield run.info.run_id, sent, runs
    mlflow.set_tracking_uri(None)
    os.environ.pop("MLFLOW_TRACKING_URI", None)


def tiny_fit(epochs, **p):
    X = np.random.default_rng(2).normal(size=(32, 3, 1)).astype("float32")
    models.seed_everything(0)
    model = models.series_model("sine", 3, 1, "simple_rnn", 4)
    model.compile(loss="mse", optimizer=models.optimizer("adam", 0.01))
    p = {"epochs": epochs, "batch_size": 32, **p}
    return models.fit(model, (X[:24], X[:24, -1]), "series.sine", p,
                      validation=(X[24:], X[24:, -1]), callbacks=[EpochLog("series.sine", epochs, EpochMetrics())])


def stored(run_id, key):
    import mlflow

    return [(m.step, m.value) for m in sorted(mlflow.MlflowClient().get_metric_history(run_id, key),
                                               key=lambda m: m.step)]


def test_every_epoch_is_stored_in_few_requests(run_in):
    """Each epoch's metrics reach the run with their step, several epochs to a request, not one
    an epoch (rnnlab/tracking/runs.py, EpochMetrics)."""
    run_id, sent, _ = run_in
    history, _ = tiny_fit(40)
    for key in ("loss", "val_loss"):
        assert stored(run_id, key) == list(enumerate(history[key]))
    assert 2 <= len(sent) < 40, sent  # the first epoch at once, the last at its end
    assert sent[0] == 2  # the first epoch's loss and val_loss, sent as it ended


def test_an_early_stop_stores_its_last_epochs(run_in):
    run_id, _, _ = run_in
    history, _ = tiny_fit(500, patience=1)
    assert len(history["loss"]) < 500  # it stopped early
    assert stored(run_id, "val_loss") == list(enumerate(history["val_loss"]))


def test_epochs_longer_than_send_every_are_sent_one_by_one(run_in, monkeypatch):
    run_id, sent, runs = run_in
    monkeypatch.setattr(runs, "SEND_EVERY", 0.0)  # as epochs longer than SEND_EVERY
    history, _ = tiny_fit(5)
    assert sent == [2] * 5
    assert stored(run_id, "loss") == list(enumerate(history["loss"]))


@pytest.mark.parametrize("per_call", [1, models.STEPS_PER_EXECUTION])
def test_fit_trains_as_keras_own_fit_though_it_tells_keras_the_batches_of_an_epoch(per_call):
    """models.fit gives Keras steps_per_epoch and validation_steps (one start of its input
    pipeline an epoch, not two): the same shuffled batches in the same order, so the same
    losses and weights to the last bit as Keras' fit without them, a partial batch included."""
    data = np.random.default_rng(3).normal(size=(150, 3, 1)).astype("float32")
    train, val = (data[:100], data[:100, -1]), (data[100:], data[100:, -1])

    def trained(ours):
        models.seed_everything(0)
        model = models.series_model("sine", 3, 1, "simple_rnn", 4)
        model.compile(loss="mse", optimizer=models.optimizer("adam", 0.01),
                      steps_per_execution=per_call)
        if ours:
            history, _ = models.fit(model, train, "series.sine", {"epochs": 4, "batch_size": 16},
                                    validation=val)
        else:
            history = model.fit(*train, batch_size=16, epochs=4, validation_data=val,
                                verbose=0).history
        return history, model.get_weights()

    (ours, our_weights), (keras_own, their_weights) = trained(True), trained(False)
    assert ours == keras_own and len(ours["val_loss"]) == 4
    for a, b in zip(our_weights, their_weights):
        np.testing.assert_array_equal(a, b)


IMPORT_CHECK = """
import sys
{before}
from rnnlab.nets import keras
from keras.src.visualization import plot_image_gallery
print(sorted(name for name in ("sklearn", "matplotlib") if name in sys.modules))
print(plot_image_gallery.plt is not None)
import matplotlib.figure, sklearn.model_selection  # given back: the lab's own imports work
print(matplotlib.figure.Figure is not None, sklearn.model_selection.TimeSeriesSplit is not None)
"""


@pytest.mark.parametrize("before, loaded, pyplot", [
    ("", [], "False"),                        # a training stage: Keras imports neither
    ("import matplotlib.figure", ["matplotlib"], "True"),  # imported before: left as it is
])
def test_keras_imports_without_the_packages_the_lab_never_asks_it_for(before, loaded, pyplot):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", IMPORT_CHECK.format(before=before)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.splitlines() == [str(loaded), pyplot, "True True"]
