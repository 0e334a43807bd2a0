"""Generation must equal what the trained Keras model gives greedily, character by character,
and its windows run side by side must give the very numbers of whole windows; the served
generator refuses what it cannot answer in one short line."""
import json
import types

import keras
import numpy as np
import pytest

from rnnlab.core.errors import LabError
from rnnlab.data import vocab, windows
from rnnlab.forward import inference, sliding, textgen
from rnnlab.nets import models
from tests.conftest import ROOT

WINDOW = 10


@pytest.fixture(scope="module")
def rhyme():
    text = vocab.normalize((ROOT / "data/sixpence.txt").read_text(encoding="utf-8"))
    return text, vocab.Vocab.from_text(text)


@pytest.fixture(scope="module", params=["many_to_one", "many_to_many"])
def trained(request, rhyme):
    text, voc = rhyme
    make = windows.next_step if request.param == "many_to_one" else windows.shifted
    X, y = make(voc.encode(text), WINDOW)
    models.seed_everything(0)
    model = models.text_model(request.param, len(voc), 32)
    model.compile(loss="sparse_categorical_crossentropy", optimizer=models.optimizer("adam", 0.01))
    model.fit(X, y, epochs=4, batch_size=64, verbose=0)
    return model


def lecture_generate_seq(model, voc, seed_text, n_chars):
    """The lecture's generate_seq, one model.predict per character (padding with the
    vocabulary's padding id, where the lecture pads with id 0, the space)."""
    in_text = seed_text
    for _ in range(n_chars):
        encoded = [voc.index[c] for c in in_text]
        encoded = keras.utils.pad_sequences([encoded], maxlen=WINDOW, truncating="pre", value=voc.pad)
        probs = model.predict(encoded, verbose=0)[0]
        probs = probs[-1] if probs.ndim == 2 else probs
        in_text += voc.chars[int(np.argmax(probs))]
    return in_text


@pytest.fixture(scope="module")
def in_numpy(trained, tmp_path_factory):
    """The same trained model, saved and run by the NumPy forward pass (what the stages use)."""
    path = tmp_path_factory.mktemp("numpy") / "model.keras"
    trained.save(path)
    return inference.load_model(path)


def test_equals_the_keras_model_greedily(trained, in_numpy, rhyme):
    _, voc = rhyme
    prompts = ["Sing a son", "king", "The maid was in the garden", "W"]
    slow = [lecture_generate_seq(trained, voc, p, 12) for p in prompts]
    for model in (trained, in_numpy):
        fast = textgen.generate(model, voc, prompts, 12, WINDOW)
        assert fast == slow
        assert all(t.startswith(p) and len(t) == len(p) + 12 for t, p in zip(fast, prompts))


@pytest.mark.parametrize("kind", ["many_to_one", "many_to_many"])
@pytest.mark.parametrize("layer", ["lstm", "gru", "simple_rnn"])
def test_windows_side_by_side_give_the_numbers_of_whole_windows(tmp_path, rhyme, kind, layer):
    """sliding.Windows (one step per character) against the straightforward computation, a
    forward pass over each whole window: the same probabilities to the last bit, so the same
    text, greedy and sampled, for prompts shorter and longer than the window."""
    _, voc = rhyme
    models.seed_everything(3)
    keras_model = models.text_model(kind, len(voc), 16, layer=layer)
    rng = np.random.default_rng(3)
    for trained_layer in keras_model.layers[-2:]:  # the recurrent layer and Dense: spread out
        trained_layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                                   for w in trained_layer.get_weights()])
    keras_model.save(tmp_path / "model.keras")
    model = inference.load_model(tmp_path / "model.keras")
    assert sliding.layers(model) and not sliding.layers(keras_model)
    for prompts in (["Sing a son"], ["The maid was in the garden", "W", "king"]):
        context = textgen.left_pad([voc.encode(p) for p in prompts], WINDOW, voc.pad)
        side_by_side, whole = sliding.Windows(model, context), textgen.WholeWindows(model, context)
        draws = np.random.default_rng(0)
        for _ in range(3 * WINDOW):
            probs = side_by_side.probs()
            np.testing.assert_array_equal(probs, whole.probs())
            ids = textgen.choose(probs, 1.0, 0, draws)
            side_by_side.read(ids)
            whole.read(ids)
        only_whole = types.SimpleNamespace(predict_on_batch=model)  # not a text model for sliding
        for temperature, top_k in ((0.0, 0), (1.0, 0), (1.5, 5)):
            args = (voc, prompts, 40, WINDOW, temperature, top_k, 7)
            assert textgen.generate(model, *args) == textgen.generate(only_whole, *args)


@pytest.mark.parametrize("width", [1, 4, 10])
def test_left_pad_is_the_lectures_pad_sequences(width):
    rows = [[3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [7, 8], list(range(width))]
    expected = keras.utils.pad_sequences(rows, maxlen=width, dtype="int32", padding="pre",
                                         truncating="pre", value=34)
    np.testing.assert_array_equal(textgen.left_pad(rows, width, 34), expected)


def test_prompt_outside_vocabulary_is_a_clear_error(trained, rhyme):
    with pytest.raises(LabError, match="'é'"):
        textgen.generate(trained, rhyme[1], ["Sing é"], 3, WINDOW)


def test_sampling_is_seeded(trained, rhyme):
    _, voc = rhyme
    sample = lambda seed: textgen.generate(trained, voc, ["Sing a son", "The"], 30, WINDOW,  # noqa: E731
                                           temperature=1.5, seed=seed)
    assert sample(3) == sample(3)
    assert sample(3) != sample(4)
    # top_k=1 leaves only the most likely character: greedy at any temperature
    assert (textgen.generate(trained, voc, ["Sing a son"], 12, WINDOW, temperature=2.0, top_k=1)
            == textgen.generate(trained, voc, ["Sing a son"], 12, WINDOW))


def test_choose_respects_top_k_and_temperature():
    rng = np.random.default_rng(0)
    probs = np.tile([0.1, 0.2, 0.3, 0.4], (2000, 1))
    assert set(textgen.choose(probs, 1.0, 2, rng)) == {2, 3}
    assert set(textgen.choose(probs, 1.0, 0, rng)) == {0, 1, 2, 3}
    assert set(textgen.choose(probs, 0.01, 0, rng)) == {3}  # a cold temperature is ~greedy
    np.testing.assert_array_equal(textgen.choose(probs[:3], 0, 0, rng), [3, 3, 3])
    ties = np.tile([0.1, 0.3, 0.3, 0.3], (2000, 1))  # top 2 of a three-way tie: still 2 kept
    drawn = textgen.choose(ties, 1.0, 2, rng)
    assert len(set(drawn)) == 2 and not set(drawn) & {0}


def test_draw_is_rng_choice_row_by_row():
    """textgen.draw, all rows at once, takes the ids (and the random numbers) that
    rng.choice(len(w), p=w) takes row after row, so sampled texts stay the same."""
    for seed in range(30):
        rng = np.random.default_rng(seed)
        weights = rng.dirichlet(np.full(34, 0.3), size=1 + seed % 5)
        weights[:, rng.integers(0, 34, size=10)] = 0.0  # as top_k leaves them
        weights /= weights.sum(axis=-1, keepdims=True)
        drawn, chosen = np.random.default_rng(seed + 100), np.random.default_rng(seed + 100)
        for _ in range(3):
            np.testing.assert_array_equal(textgen.draw(weights, drawn),
                                          [chosen.choice(len(w), p=w) for w in weights])


def test_with_several_prompts_the_error_says_which(trained, rhyme):
    _, voc = rhyme
    with pytest.raises(LabError) as err:
        textgen.generate(trained, voc, ["Sing", "a", "Sing é€"], 3, WINDOW)
    assert str(err.value).startswith("prompt 3 of 3: 'Sing é€' has characters not in the "
                                     "vocabulary: 'é€'")
    with pytest.raises(ValueError, match="^prompt 2 of 2 is empty"):
        textgen.generate(trained, voc, ["Sing", ""], 3, WINDOW)
    with pytest.raises(ValueError, match="^the prompt is empty"):
        textgen.generate(trained, voc, [""], 3, WINDOW)


# ---- the served generator (rnnlab/serving/generator.py) through MLflow's scoring code, in-process ----

@pytest.fixture(scope="module")
def served(trained, rhyme, tmp_path_factory):
    """The generator as `mlflow models serve` loads it (a pyfunc model from code, saved with
    the trained model and its vocabulary) and the scoring server's ``invocations``: a request's
    JSON in, (HTTP status, answer's JSON) out."""
    import json

    import mlflow.pyfunc
    from mlflow.exceptions import MlflowException
    from mlflow.models import infer_signature
    from mlflow.pyfunc import scoring_server

    folder = tmp_path_factory.mktemp("generator")
    trained.save(folder / "model.keras")
    vocab.save(folder / "vocab.json", rhyme[1], window=WINDOW)
    mlflow.pyfunc.save_model(
        folder / "served", python_model=str(ROOT / "rnnlab/serving/generator.py"),
        artifacts={"model": str(folder / "model.keras"), "vocab": str(folder / "vocab.json")},
        signature=infer_signature(["Sing"], ["Sing"], params=textgen.GENERATOR_PARAMS),
        input_example=(["Sing"], textgen.GENERATOR_PARAMS),  # as rnnlab/tracking/registry.py logs it
        pip_requirements=["mlflow"])
    model = mlflow.pyfunc.load_model(str(folder / "served"))

    def request(body):
        try:
            answer = scoring_server.invocations(json.dumps(body), "application/json", model,
                                                model.metadata.get_input_schema())
            return answer.status, answer.response
        except MlflowException as err:  # the server answers it (its status, its JSON)
            return err.get_http_status_code(), err.serialize_as_json()

    return request


def test_the_served_generator_answers_within_its_bounds(served):
    from rnnlab.serving.generator import MAX_LENGTH

    status, answer = served({"inputs": ["Sing a son", "king"], "params": {"length": 5}})
    assert status == 200 and [len(t) for t in json.loads(answer)["predictions"]] == [15, 9]
    long_prompt = "Sing a son" * (MAX_LENGTH // 10)  # exactly the bound: served
    status, answer = served({"inputs": [long_prompt], "params": {"length": 3}})
    assert status == 200 and json.loads(answer)["predictions"][0].startswith(long_prompt)


@pytest.mark.parametrize("prompts,params,line", [
    # a prompt of 10^7 characters: refused by its size, not quoted back
    (["Sing a son" * 1_000_000 + "é"], {},
     "the prompt has 10,000,001 characters: at most 10,000 a prompt (the model reads only its "
     f"last {WINDOW})"),
    (["Sing", "Ж" * 10_001], {}, "prompt 2 of 2 has 10,001 characters: at most 10,000 a prompt"),
    (["Sing"] * 101, {}, "101 prompts in one request: at most 100 a request"),
    (["Sing"] * 11, {"length": 10_000},
     "11 prompts x param 'length' 10,000 = 110,000 characters to generate: at most 100,000 a "
     "request"),
    # characters outside the vocabulary: each once, at most 40 of them, and no long prompt
    (["Sing é" + "é" * 9_000], {},
     "a text of 9,006 characters has characters not in the vocabulary: 'é' (the corpus has "),
    (["".join(chr(0x4E00 + i) for i in range(100))], {},
     "a text of 100 characters has characters not in the vocabulary: '"
     + "".join(chr(0x4E00 + i) for i in range(40)) + "' and 60 more"),
    (["Sing é"], {}, "'Sing é' has characters not in the vocabulary: 'é'"),
], ids=["10^7 characters", "10,001 characters", "101 prompts", "110,000 to generate",
        "unknown in a long prompt", "100 unknown", "unknown in a short prompt"])
def test_the_served_generator_refuses_in_one_short_line(served, prompts, params, line):
    """HTTP 400 whose message is the cause alone, in one line: MLflow's server would put the
    whole request above it ("Failed to predict data '<the prompts>'")."""
    status, answer = served({"inputs": prompts, "params": params})
    assert status == 400, answer[:300]
    message = json.loads(answer)["message"]
    assert message.startswith(line) and "\n" not in message, message[:300]
    assert len(answer) < 500  # however large the request
