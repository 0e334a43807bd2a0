"""rnnlab.forward.inference: the NumPy forward pass of a saved model equals Keras' predict_on_batch."""
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from rnnlab.data import vocab as vocab_mod
from rnnlab.forward import inference, textgen
from rnnlab.nets import models

ROOT = Path(__file__).resolve().parent.parent
TOL = {"rtol": 1e-5, "atol": 1e-5}
MAX_DIFF = {}  # layer kind -> the largest |numpy - keras| seen (printed with -s)


@pytest.fixture(scope="module", autouse=True)
def report_differences():
    yield
    print("\nmax |numpy - keras| per layer kind:",
          {k: float(f"{v:.3g}") for k, v in sorted(MAX_DIFF.items())})


def check(kind, numpy_out, keras_out, **tol):
    numpy_out, keras_out = np.asarray(numpy_out), np.asarray(keras_out)
    assert numpy_out.shape == keras_out.shape
    if numpy_out.size:
        diff = float(np.max(np.abs(numpy_out.astype(np.float64) - keras_out)))
        MAX_DIFF[kind] = max(MAX_DIFF.get(kind, 0.0), diff)
    np.testing.assert_allclose(numpy_out, keras_out, **(tol or TOL))


def randomize(layers, rng):
    """Non-trivial weights (non-zero biases, GRU's two bias rows too) for ``layers``: normal with
    std 0.5, or 1/sqrt(rows) for a matrix of more than 4 rows. (Std 0.5 for a 32-unit recurrent
    kernel gives it a spectral radius of ~3: the recurrence is chaotic and amplifies float32
    rounding past 1e-5, in Keras (2e-5 from a float64 run) as in NumPy (7e-5).)"""
    for layer in layers:
        layer.set_weights([rng.normal(scale=min(0.5, 1 / np.sqrt(w.shape[0])) if w.ndim == 2
                                      else 0.5, size=w.shape).astype("float32")
                           for w in layer.get_weights()])


def saved(model, path):
    model.save(path)
    return inference.load_model(path)


def config_class(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))["class_name"]


# ---- 1. series models: every recurrent layer, a few shapes ----

SERIES_SHAPES = [(1, 1, 1), (3, 5, 8), (20, 1, 32), (20, 5, 8), (3, 1, 32)]  # steps, features, units


@pytest.mark.parametrize("steps,features,units", SERIES_SHAPES)
@pytest.mark.parametrize("layer", ["simple_rnn", "lstm", "gru"])
def test_series_model_equals_keras(tmp_path, layer, steps, features, units):
    seed = steps * 1000 + features * 100 + units + 7 * ["simple_rnn", "lstm", "gru"].index(layer)
    models.seed_everything(seed)
    model = models.series_model("s", steps, features, layer, units)
    rng = np.random.default_rng(seed)
    randomize(model.layers, rng)
    if layer == "gru":  # Keras 3's default reset_after=True: a bias row each for input and state
        bias = model.layers[0].get_weights()[2]
        assert bias.shape == (2, 3 * units) and not np.allclose(bias[0], bias[1])
    numpy_model = saved(model, tmp_path / "m.keras")
    assert numpy_model.input_steps == steps
    for batch in (1, 7):
        x = rng.normal(size=(batch, steps, features)).astype("float32")
        out = numpy_model(x)
        assert out.shape == (batch, 1)
        check(model.layers[0].__class__.__name__, out, model.predict_on_batch(x))
        np.testing.assert_array_equal(numpy_model.predict_on_batch(x), out)


def test_float64_and_list_inputs_are_read_as_float32(tmp_path):
    models.seed_everything(3)
    model = models.series_model("s", 3, 1, "simple_rnn", 4)
    randomize(model.layers, np.random.default_rng(3))
    numpy_model = saved(model, tmp_path / "m.keras")
    x = np.random.default_rng(4).normal(size=(2, 3, 1))
    check("SimpleRNN", numpy_model(x.tolist()), model.predict_on_batch(x.astype("float32")))


# ---- 2. text models: Embedding (frozen one-hot), Masking, LSTM, Dense softmax ----

TEXT_CASES = [(variant, vocab, units) for variant in ("many_to_one", "many_to_many")
              for vocab in (5, 34) for units in (8, 75)]


@pytest.fixture(scope="module")
def text_models(tmp_path_factory):
    """(keras model, numpy model) per (variant, vocab_size, units), built once per module."""
    cache = {}

    def get(variant, vocab, units):
        key = (variant, vocab, units)
        if key not in cache:
            seed = 11 * vocab + units + (variant == "many_to_many")
            models.seed_everything(seed)
            model = models.text_model(variant, vocab, units)
            randomize([model.get_layer("lstm"), model.get_layer("next_char")],
                      np.random.default_rng(seed))
            path = tmp_path_factory.mktemp("text") / f"{variant}_{vocab}_{units}.keras"
            cache[key] = model, saved(model, path)
        return cache[key]

    return get


@pytest.mark.parametrize("variant,vocab,units", TEXT_CASES)
def test_text_model_equals_keras_on_windows(text_models, variant, vocab, units):
    model, numpy_model = text_models(variant, vocab, units)
    # the embedding stayed the frozen identity, with the padding id embedding to zeros
    table = model.get_layer("one_hot").get_weights()[0]
    np.testing.assert_array_equal(table, np.eye(vocab + 1, vocab))
    assert numpy_model.input_steps is None
    rng = np.random.default_rng(vocab * units)
    for length in (1, 4, 10, 25):
        ids = rng.integers(0, vocab, size=(6, length), dtype=np.int32)
        out, expected = numpy_model(ids), model.predict_on_batch(ids)
        assert out.shape == ((6, length, vocab) if variant == "many_to_many" else (6, vocab))
        check("LSTM (text)", out, expected)
        check("LSTM (text)", textgen.next_char_probs(numpy_model, ids),
              textgen.next_char_probs(model, ids))
        np.testing.assert_allclose(out.sum(axis=-1), 1, rtol=0, atol=1e-5)


@pytest.mark.parametrize("variant,vocab,units", TEXT_CASES)
def test_left_padded_prompt_equals_keras_and_the_prompt_alone(text_models, variant, vocab, units):
    model, numpy_model = text_models(variant, vocab, units)
    pad, width = vocab, 10
    rng = np.random.default_rng(1000 + vocab * units)
    lengths = [10, 10, 9, 5, 2, 1]  # two rows fully real, the others with 1..9 leading pads
    prompts = [rng.integers(0, vocab, size=n, dtype=np.int32) for n in lengths]
    padded = textgen.left_pad(prompts, width, pad)
    assert (padded[2:, 0] == pad).all() and (padded[:2] != pad).all()
    out = numpy_model(padded)
    check("LSTM (text)", out, model.predict_on_batch(padded))
    last = textgen.next_char_probs(numpy_model, padded)
    check("LSTM (text)", last, textgen.next_char_probs(model, padded))
    for i, prompt in enumerate(prompts):
        alone = numpy_model(prompt[np.newaxis])
        np.testing.assert_allclose(last[i], textgen.next_char_probs(numpy_model, prompt[np.newaxis])[0],
                                   rtol=0, atol=1e-6)
        if variant == "many_to_many":  # every real step, not just the last
            np.testing.assert_allclose(out[i, width - len(prompt):], alone[0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("variant", ["many_to_one", "many_to_many"])
def test_padding_anywhere_carries_the_state_as_keras_does(text_models, variant):
    """Masked steps in the middle, at the end, and a row of padding only: the state (and for
    many_to_many the output) stays what it was, as in Keras."""
    model, numpy_model = text_models(variant, 5, 8)
    rng = np.random.default_rng(5)
    ids = rng.integers(0, 5, size=(5, 12), dtype=np.int32)
    ids[0, 3:6] = 5                                   # a gap in the middle
    ids[1, -4:] = 5                                   # trailing padding
    ids[2] = np.where(rng.random(12) < 0.5, 5, ids[2])  # scattered padding
    ids[3] = 5                                        # nothing but padding
    out = numpy_model(ids)
    check("LSTM (text)", out, model.predict_on_batch(ids))
    if variant == "many_to_many":
        np.testing.assert_array_equal(out[0, 3:6], out[0, [2, 2, 2]])
        np.testing.assert_array_equal(out[1, -4:], out[1, [-5] * 4])


# ---- beyond the lab's two builders: the other layers and settings the module documents ----

L = keras.layers


def random_model(layers, seed):
    model = keras.Sequential(layers)
    randomize([layer for layer in model.layers if layer.trainable], np.random.default_rng(seed))
    return model


def test_stacked_layers_on_a_masked_float_series_with_every_dense_activation(tmp_path):
    """Masking(-1) on float inputs; the mask carried through return_sequences layers into the
    next recurrent layer; Dense with each activation the module knows."""
    model = random_model([keras.Input((6, 3)), L.Masking(-1.0),
                          L.SimpleRNN(5, return_sequences=True), L.GRU(4, return_sequences=True),
                          L.LSTM(6), L.Dense(5, activation="tanh"), L.Dense(4, activation="relu"),
                          L.Dense(3, activation="sigmoid"), L.Dense(2, activation="softmax")], 31)
    numpy_model = saved(model, tmp_path / "m.keras")
    x = np.random.default_rng(32).normal(size=(5, 6, 3)).astype("float32")
    x[0, :2] = -1  # leading, middle, trailing, scattered and total padding
    x[1, 2:4] = -1
    x[2, -1] = -1
    x[3, ::2] = -1
    x[4] = -1
    check("stacked", numpy_model(x), model.predict_on_batch(x))


def test_sequence_output_and_a_trained_embedding_table(tmp_path):
    model = random_model([keras.Input((None,), dtype="int32"), L.Embedding(9, 4),
                          L.GRU(6, return_sequences=True), L.Dense(9, activation="softmax")], 33)
    numpy_model = saved(model, tmp_path / "m.keras")
    ids = np.random.default_rng(34).integers(0, 9, size=(3, 7), dtype=np.int32)
    check("GRU", numpy_model(ids), model.predict_on_batch(ids))


KNOWN_LAYERS_OTHER_SETTINGS = {
    "LSTM(go_backwards=True)": lambda: L.LSTM(4, go_backwards=True),
    "GRU(reset_after=False)": lambda: L.GRU(4, reset_after=False),
    "SimpleRNN(activation='relu')": lambda: L.SimpleRNN(4, activation="relu"),
    "LSTM(use_bias=False)": lambda: L.LSTM(4, use_bias=False),
    "Dense(use_bias=False)": lambda: L.Dense(3, use_bias=False),
    "Dense(activation='elu')": lambda: L.Dense(3, activation="elu"),
    "Embedding(mask_zero=True)": lambda: L.Embedding(6, 4, mask_zero=True),
    "LSTM(zero_output_for_mask=True)": lambda: L.LSTM(4, return_sequences=True,
                                                      zero_output_for_mask=True),
}
@pytest.mark.parametrize("setting", list(KNOWN_LAYERS_OTHER_SETTINGS))
def test_a_known_layer_with_another_setting_is_refused_or_computed_right(tmp_path, setting):
    """Never silently wrong: a setting the NumPy pass does not implement is refused with a
    ValueError at load time that names it, or gives Keras' numbers."""
    layer = KNOWN_LAYERS_OTHER_SETTINGS[setting]()
    if isinstance(layer, L.Embedding):
        layers = [keras.Input((None,), dtype="int32"), layer, L.LSTM(4), L.Dense(1)]
        x = np.array([[0, 1, 2, 3], [0, 0, 4, 1]], dtype=np.int32)
    elif "zero_output" in setting:  # padding id 4 embeds to zeros and is masked
        layers = [keras.Input((None,), dtype="int32"),
                  L.Embedding(5, 4, embeddings_initializer="identity", trainable=False),
                  L.Masking(0.0), layer, L.Dense(2)]
        x = np.array([[0, 1, 4, 4, 2], [3, 4, 1, 2, 0]], dtype=np.int32)
    elif isinstance(layer, L.Dense):
        layers = [keras.Input((5, 2)), L.LSTM(4), layer]
        x = np.random.default_rng(41).normal(size=(3, 5, 2)).astype("float32")
    else:
        layers = [keras.Input((5, 2)), layer, L.Dense(1)]
        x = np.random.default_rng(41).normal(size=(3, 5, 2)).astype("float32")
    model = random_model(layers, 40)
    model.save(tmp_path / "m.keras")
    try:
        numpy_model = inference.load_model(tmp_path / "m.keras")
    except ValueError as err:
        assert setting.split("(")[1].split("=")[0] in str(err)  # names the setting
        return
    np.testing.assert_allclose(numpy_model(x), model.predict_on_batch(x), **TOL)


# ---- 3. Sequential and Functional models load alike ----

def test_sequential_and_functional_series_models_load_alike(tmp_path):
    models.seed_everything(21)
    sequential = models.series_model("s", 6, 2, "gru", 5)  # Sequential
    randomize(sequential.layers, np.random.default_rng(21))
    inputs = keras.Input((6, 2))
    functional = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.GRU(5)(inputs)))
    functional.set_weights(sequential.get_weights())
    a, b = saved(sequential, tmp_path / "seq.keras"), saved(functional, tmp_path / "fun.keras")
    assert (config_class(tmp_path / "seq.keras"), config_class(tmp_path / "fun.keras")) == \
        ("Sequential", "Functional")
    x = np.random.default_rng(22).normal(size=(4, 6, 2)).astype("float32")
    np.testing.assert_array_equal(a(x), b(x))
    check("GRU", b(x), functional.predict_on_batch(x))
    check("GRU", a(x), sequential.predict_on_batch(x))
    assert a.input_steps == b.input_steps == 6


def test_sequential_and_functional_text_models_load_alike(tmp_path, text_models):
    functional, b = text_models("many_to_many", 5, 8)  # Functional
    sequential = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(6, 5, embeddings_initializer="identity", trainable=False),
        keras.layers.Masking(0.0),
        keras.layers.LSTM(8, return_sequences=True),
        keras.layers.Dense(5, activation="softmax"),
    ])
    sequential.set_weights(functional.get_weights())
    a = saved(sequential, tmp_path / "seq.keras")
    assert config_class(tmp_path / "seq.keras") == "Sequential"
    ids = textgen.left_pad([[0, 1, 2, 3, 4, 0, 1], [4, 3]], 7, 5)
    np.testing.assert_array_equal(a(ids), b(ids))
    check("LSTM (text)", a(ids), sequential.predict_on_batch(ids))


# ---- 4. a layer the NumPy pass does not know is refused ----

def test_unknown_layers_are_refused_by_name(tmp_path):
    dropout = keras.Sequential([keras.Input((3, 1)), keras.layers.SimpleRNN(4),
                                keras.layers.Dropout(0.5), keras.layers.Dense(1)])
    dropout.save(tmp_path / "dropout.keras")
    with pytest.raises(ValueError, match=r"\bDropout\b"):
        inference.load_model(tmp_path / "dropout.keras")
    inputs = keras.Input((10, 2))
    conv = keras.Model(inputs, keras.layers.Dense(1)(
        keras.layers.LSTM(4)(keras.layers.Conv1D(3, 3)(inputs))))
    conv.save(tmp_path / "conv.keras")
    with pytest.raises(ValueError, match=r"\bConv1D\b"):
        inference.load_model(tmp_path / "conv.keras")


# ---- 5. no TensorFlow, no Keras ----

def test_load_model_imports_neither_tensorflow_nor_keras(tmp_path, text_models):
    models.seed_everything(5)
    models.series_model("s", 3, 1, "lstm", 4).save(tmp_path / "series.keras")
    functional, _ = text_models("many_to_one", 5, 8)
    functional.save(tmp_path / "text.keras")
    script = textwrap.dedent("""
        import sys
        import numpy as np
        from rnnlab.forward import inference
        series = inference.load_model(sys.argv[1])
        text = inference.load_model(sys.argv[2])
        assert series(np.zeros((2, 3, 1))).shape == (2, 1)
        assert text(np.array([[5, 0, 1, 2]])).shape == (1, 5)
        print('tensorflow' in sys.modules, 'keras' in sys.modules)
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "series.keras"),
                           str(tmp_path / "text.keras")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]


# ---- 6. the repo's trained models, where present ----

def sine_windows(steps, features):
    n = np.arange(40)[:, np.newaxis] + np.arange(steps)  # the lecture's sine: 10 samples per second
    return np.repeat(np.sin(2 * np.pi * n / 10)[..., np.newaxis], features, axis=-1)


def price_windows(steps, features):
    walk = np.cumsum(np.random.default_rng(0).normal(scale=0.01, size=(40 + steps, features)),
                     axis=0) + 0.5  # prices scaled to about [0, 1], as the stock model reads them
    return np.stack([walk[i:i + steps] for i in range(40)])


def text_windows(project, vocab_size):
    """Windows of the ``project``'s corpus, encoded, some full, some short prompts left-padded."""
    rng = np.random.default_rng(0)
    voc, _ = vocab_mod.load(project / "data/text/vocab.json")
    ids = voc.encode(vocab_mod.normalize((project / "data/sixpence.txt").read_text("utf-8")))
    assert len(voc) == vocab_size
    starts = rng.integers(0, len(ids) - 30, size=8)
    full = np.stack([ids[s:s + 10] for s in starts])
    prompts = textgen.left_pad([ids[s:s + n] for s, n in zip(starts, (1, 2, 3, 5, 7, 9, 10, 10))],
                               10, vocab_size)
    long = np.stack([ids[s:s + 30] for s in starts[:3]])
    return [full, prompts, long]


@pytest.mark.parametrize("name", ["sine", "stock", "text_many_to_one", "text_many_to_many"])
def test_trained_models_equal_keras(name, pipeline):
    """The models the stages trained (the session's pipeline, conftest.py: on every machine,
    a clean clone's included, whatever its own models/ holds)."""
    path = pipeline.project / "models" / f"{name}.keras"
    numpy_model = inference.load_model(path)
    model = keras.saving.load_model(path, compile=False)
    if name.startswith("text"):
        vocab_size = model.get_layer("one_hot").output_dim
        inputs = [x.astype(np.int32) for x in text_windows(pipeline.project, vocab_size)]
        kind = "LSTM"
    else:
        _, steps, features = model.input_shape
        windows = sine_windows if name == "sine" else price_windows
        inputs = [windows(steps, features).astype("float32")]
        inputs.append(inputs[0][:1])
        kind = model.layers[0].__class__.__name__
    kind = f"{kind} ({name}, trained)"
    for x in inputs:
        check(kind, numpy_model(x), model.predict_on_batch(x))
