import numpy as np
import pytest

from rnnlab.core.errors import LabError
from rnnlab.data import vocab
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def rhyme():
    return vocab.normalize((ROOT / "data/sixpence.txt").read_text(encoding="utf-8"))


def test_rhyme_matches_the_lecture(rhyme):
    assert len(rhyme) == 406
    assert rhyme.startswith("Sing a song of sixpence, a pocket full of rye, Four and twenty")
    voc = vocab.Vocab.from_text(rhyme)
    assert len(voc) == 34
    assert voc.chars[0] == " " and voc.chars == sorted(voc.chars)
    # the lecture's ids for 'Sing a son'
    assert voc.encode("Sing a son").tolist() == [8, 19, 23, 17, 0, 11, 0, 28, 24, 23]


def test_normalize_collapses_all_whitespace():
    assert vocab.normalize("  a\tb\n\n c  \r\n") == "a b c"


def test_round_trip_through_json(tmp_path, rhyme):
    voc = vocab.Vocab.from_text(rhyme)
    vocab.save(tmp_path / "vocab.json", voc, window=10)
    loaded, meta = vocab.load(tmp_path / "vocab.json")
    assert loaded.chars == voc.chars and meta["window"] == 10
    ids = loaded.encode(rhyme)
    assert ids.dtype == np.int32
    assert voc.decode(ids) == rhyme


def test_unknown_characters_are_named():
    voc = vocab.Vocab.from_text("abc ")
    with pytest.raises(LabError, match=r"not in the vocabulary: 'zér'"):
        voc.encode("a zébra")
    assert voc.unknown("cab") == []


def test_pad_cannot_be_a_character():
    voc = vocab.Vocab.from_text("abc")
    assert voc.pad == 3 and voc.pad not in range(len(voc))


def test_a_long_text_is_not_quoted_and_its_unknown_characters_are_capped():
    """The message names each unknown character once, at most QUOTED of them, and quotes the
    text only when it is short: a served prompt's error is its HTTP answer."""
    voc = vocab.Vocab.from_text("abc ")
    text = "abc " * 250_000 + "zé" + "z" * 1000
    with pytest.raises(LabError) as err:
        voc.encode(text)
    message = str(err.value)
    assert message == ("a text of 1,001,002 characters has characters not in the vocabulary: "
                       "'zé' (the corpus has ' abc')")
    many = "".join(chr(0x4E00 + i) for i in range(vocab.QUOTED + 25))
    with pytest.raises(LabError) as err:
        voc.encode("a " + many + many)
    assert f"not in the vocabulary: {many[:vocab.QUOTED]!r} and 25 more (" in str(err.value)
    # the corpus' characters are capped too
    big = vocab.Vocab(chr(0x3000 + i) for i in range(500))
    with pytest.raises(LabError) as err:
        big.encode("x")
    assert str(err.value).endswith(f"and {500 - 2 * vocab.QUOTED} more)")


def test_unknown_lists_each_character_once_in_order_of_appearance():
    voc = vocab.Vocab.from_text("abc ")
    assert voc.unknown("zaéz bxé") == ["z", "é", "x"]
    assert voc.unknown("") == []
