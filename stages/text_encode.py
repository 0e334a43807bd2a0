"""Stage text_encode: the corpus as character ids and a sorted vocabulary (numpy only).

Whitespace runs (newlines included) collapse into single spaces, as in the lecture; the
vocabulary is the sorted set of characters (34 for the rhyme), saved as JSON with the
window the models read.

Outputs: data/text/vocab.json, data/text/ids.npy.
"""
import os

import numpy as np

from stages import params, vocab
from stages.errors import LabError, run
from stages.outputs import all_or_nothing

STAGE = "text_encode"
VOCAB, IDS = "data/text/vocab.json", "data/text/ids.npy"


def read_corpus(path, window):
    """The normalised text of ``path``; LabError if it is missing, not UTF-8, or too short."""
    if not os.path.isfile(path):
        raise LabError(f"corpus {path} not found (params.yaml: text_encode.corpus)")
    try:
        with open(path, encoding="utf-8") as f:
            text = vocab.normalize(f.read())
    except UnicodeDecodeError as err:
        raise LabError(f"corpus {path} is not UTF-8 text (byte {err.start}: {err.reason})") from None
    if not text:
        raise LabError(f"corpus {path} is empty")
    if len(text) < window + 1:
        raise LabError(f"corpus {path} has {len(text)} characters; "
                       f"text_encode.window {window} needs at least {window + 1}")
    return text


def main():
    p = params.load(STAGE, {STAGE: params.TEXT_ENCODE})[STAGE]
    text = read_corpus(p["corpus"], p["window"])
    voc = vocab.Vocab.from_text(text)
    ids = voc.encode(text)
    with all_or_nothing(VOCAB, IDS):
        vocab.save(VOCAB, voc, window=p["window"], corpus=p["corpus"], characters=len(ids))
        np.save(IDS, ids)
    print(f"text_encode: {p['corpus']}: {len(ids)} characters, vocabulary of {len(voc)}, "
          f"{len(ids) - p['window']} windows of {p['window']}")


if __name__ == "__main__":
    run(main)
