"""Stage text_encode: the corpus as character ids, a sorted vocabulary and a held-out split
(numpy only).

Whitespace runs (newlines included) collapse into single spaces, as in the lecture; the
vocabulary is the sorted set of characters of the whole corpus (34 for the rhyme). With
``val`` > 0 the last ``val`` fraction of the text is held out, contiguous, after a gap of
``window`` characters that belong to neither part: no training window shares a character
with a held-out one, so shuffling training windows cannot leak into validation. A corpus, or
a training part, of one distinct character is refused before anything is written: there is
no next character to learn.

Outputs, at the paths dvc.yaml's cmd names: the vocabulary (--vocab: characters, window,
corpus, split sizes), the training ids (--train) and the held-out ids (--val; empty when val
is 0).
"""
import os

import numpy as np

from rnnlab import params
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import LabError, run
from rnnlab.core.outputs import all_or_nothing
from rnnlab.data import vocab, windows

STAGE = "text_encode"


def read_corpus(path, window):
    """The normalised text of ``path``; LabError if it is missing, not UTF-8, or too short."""
    if os.path.isdir(path):
        raise LabError(f"corpus {path} is a folder, not a text file (dvc.yaml's corpus)")
    if not os.path.isfile(path):
        raise LabError(f"corpus {path} not found (dvc.yaml's corpus)")
    try:
        with open(path, encoding="utf-8-sig") as f:  # a byte-order mark is not text
            text = vocab.normalize(f.read())
    except UnicodeDecodeError as err:
        raise LabError(f"corpus {path} is not UTF-8 text (byte {err.start}: {err.reason})") from None
    except OSError as err:
        raise LabError(f"corpus {path}: cannot read it ({err.strerror})") from None
    if not text:
        raise LabError(f"corpus {path} is empty")
    if len(text) < window + 1:
        raise LabError(f"corpus {path} has {len(text)} characters; "
                       f"text_encode.window {window} needs at least {window + 1}")
    return text


def split(ids, val, window):
    """Training and held-out ids: the last round(val * len) ids held out, ``window`` ids
    between the two parts dropped. LabError if either part is too short for one window."""
    held_out = round(val * len(ids))
    gap = window if held_out else 0
    if held_out + gap > len(ids) - (window + 1):
        raise LabError(f"text_encode.val {val} leaves {len(ids) - held_out - gap} of {len(ids)} "
                       f"characters to train on; a window of {window} needs at least {window + 1}")
    if val > 0 and held_out < window + 1:
        raise LabError(f"text_encode.val {val} holds out {held_out} of {len(ids)} characters; "
                       f"a window of {window} needs at least {window + 1}")
    return windows.split_at(ids, held_out, gap)


def check_learnable(path, voc, ids, train, val):
    """LabError unless the corpus and its training part each have at least 2 distinct
    characters. With one, every target is that character: a 1-way softmax has nothing to
    learn (many_to_one would report loss 0, many_to_many fails inside Keras), and a training
    part of one repeated character teaches only "always that character" (accuracy 1 on it,
    whatever the text). A held-out part of one character is allowed: scoring on it is
    well-defined, if a narrow test."""
    if len(voc) < 2:
        raise LabError(f"corpus {path} has one distinct character ({voc.chars[0]!r}, "
                       f"{len(ids)} times after whitespace is collapsed): there is "
                       "no next character to learn; use a text of at least 2 distinct characters")
    if train.min() == train.max():  # (with val 0 the training part is the whole corpus)
        raise LabError(f"corpus {path}: its training part, the first {len(train)} characters "
                       f"(text_encode.val {val} holds out the rest), is {voc.chars[train[0]]!r} "
                       "repeated: there is no next character to learn; hold out less "
                       "(text_encode.val) or use a text whose start varies")


def arguments():
    parser = Arguments(STAGE)
    parser.add_argument("corpus", help="the text file (dvc.yaml's corpus)")
    parser.path("vocab", "the vocabulary written (JSON)")
    parser.path("train", "the training ids written (.npy)")
    parser.path("val", "the held-out ids written (.npy)")
    return parser.parse_args()


def main():
    args = arguments()
    corpus = args.corpus
    p = params.load(STAGE, STAGE)[STAGE]
    text = read_corpus(corpus, p["window"])
    voc, ids = vocab.encode_corpus(text)
    train, val = split(ids, p["val"], p["window"])
    check_learnable(corpus, voc, ids, train, p["val"])
    sizes = {"train": len(train), "gap": len(ids) - len(train) - len(val), "val": len(val)}
    with all_or_nothing(args.vocab, args.train, args.val):
        vocab.save(args.vocab, voc, window=p["window"], corpus=corpus, characters=len(ids),
                   split=sizes)
        np.save(args.train, train)
        np.save(args.val, val)
    held = f", {sizes['val']} held out after a gap of {sizes['gap']}" if sizes["val"] else ""
    print(f"text_encode: {corpus}: {len(ids)} characters, vocabulary of {len(voc)}; "
          f"{sizes['train']} to train on{held}; windows of {p['window']}")


if __name__ == "__main__":
    run(main)
