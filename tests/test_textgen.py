"""Generation must equal what the trained Keras model gives greedily, character by character."""
import keras
import numpy as np
import pytest

from rnnlab import inference, models, textgen, vocab, windows
from rnnlab.errors import LabError
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
