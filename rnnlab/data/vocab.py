"""Character vocabulary: normalising, encoding and decoding text; saved as JSON."""
import json
import re
import reprlib

import numpy as np

from rnnlab.core.errors import LabError
from rnnlab.core.outputs import read_json, reading


def normalize(raw):
    """Collapse every run of whitespace (newlines included) into one space, as the lecture does
    (its " ".join(text.split()), without a string object per word)."""
    return re.sub(r"\s+", " ", raw).strip()


QUOTED = 40
"""Characters an error message quotes of a text, or of its characters outside the vocabulary."""


def quote(chars, limit=QUOTED):
    """The characters ``chars`` (a string or a list of them) quoted as one string: all of them
    up to ``limit``, else the first ``limit`` and how many more."""
    text = "".join(chars)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r} and {len(text) - limit:,} more"


class Vocab:
    def __init__(self, chars):
        self.chars = list(chars)
        self.index = {c: i for i, c in enumerate(self.chars)}
        if len(self.index) != len(self.chars):
            raise ValueError("vocabulary characters must be unique")

    @classmethod
    def from_text(cls, text):
        return cls(sorted(set(text)))

    def __len__(self):
        return len(self.chars)

    @property
    def pad(self):
        """Id for padding a short prompt: one past the last character, so it is none of
        them; the models encode it to all zeros and skip it (see models.text_model)."""
        return len(self.chars)

    def unknown(self, text):
        """The characters of ``text`` that are not in the vocabulary, in order of appearance
        (its distinct characters first, by ``dict.fromkeys``, which loops in C: a long text
        costs no Python step per character)."""
        return [c for c in dict.fromkeys(text) if c not in self.index]

    def encode(self, text):
        """``text`` as ids; LabError quoting the characters outside the vocabulary, each once
        and at most QUOTED of them, and the text only when it is short (a served prompt may be
        long: the message is the HTTP answer)."""
        missing = self.unknown(text)
        if missing:
            what = repr(text) if len(text) <= QUOTED else f"a text of {len(text):,} characters"
            raise LabError(f"{what} has characters not in the vocabulary: {quote(missing)} "
                           f"(the corpus has {quote(self.chars, 2 * QUOTED)})")
        return np.fromiter((self.index[c] for c in text), dtype=np.int32, count=len(text))

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids)

    def to_json(self):
        return {"chars": self.chars, "size": len(self.chars)}

    @classmethod
    def from_json(cls, data):
        return cls(data["chars"])


def encode_corpus(text):
    """The vocabulary of ``text`` and ``text`` as ids, in time linear in its length and without
    a Python step per character: the same as ``Vocab.from_text(text).encode(text)``."""
    if not text:
        raise ValueError("cannot encode an empty text")
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    present = np.flatnonzero(np.bincount(points))  # sorted code points: sorted(set(text))
    table = np.zeros(present[-1] + 1, dtype=np.int32)
    table[present] = np.arange(len(present), dtype=np.int32)
    return Vocab(chr(c) for c in present), table[points]


def scored_split(meta):
    """The split the models and baselines are scored on: the held-out text when
    text_encode.val > 0, else the training text (the lecture's setting)."""
    return "val" if meta["split"]["val"] else "train"


def save(path, vocab, **extra):
    with open(path, "w", encoding="utf-8") as f:
        json.dump({**vocab.to_json(), **extra}, f, indent=2, ensure_ascii=False)
        f.write("\n")


def load_ids(path):
    """The encoded text of one split (``path``: its .npy file), as text_encode saved it."""
    with reading(path):
        return np.load(path, allow_pickle=False)


def load(path):
    """The vocabulary and the whole meta record (window, corpus, ...) saved with it; LabError
    naming the file and the key if the record is not what text_encode writes (see ``check``)."""
    meta = read_json(path)
    with reading(path):  # a ValueError below: "<path> is unreadable or corrupt (...)"
        check(meta)
        return Vocab.from_json(meta), meta


def check(meta):
    """ValueError naming the key unless ``meta`` is a vocabulary record a model can use: 'chars'
    a list of at least 2 distinct single characters (as text_encode writes them; 'size', if
    there, their number) and 'window' an integer >= 1."""
    if not isinstance(meta, dict):
        raise ValueError(f"not a vocabulary record (a JSON object with 'chars' and 'window'), "
                         f"got {type(meta).__name__}")
    for key in ("chars", "window"):
        if key not in meta:
            raise ValueError(f"key {key!r} is missing")
    chars = meta["chars"]
    if (not isinstance(chars, list) or len(chars) < 2 or len(set(map(str, chars))) != len(chars)
            or not all(isinstance(c, str) and len(c) == 1 for c in chars)):
        raise ValueError(f"key 'chars' must be a list of at least 2 distinct single characters, "
                         f"got {reprlib.repr(chars)}")
    if "size" in meta and meta["size"] != len(chars):
        raise ValueError(f"key 'size' is {reprlib.repr(meta['size'])}, but 'chars' has "
                         f"{len(chars)}")
    window = meta["window"]
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise ValueError(f"key 'window' must be an integer >= 1, got {reprlib.repr(window)}")
