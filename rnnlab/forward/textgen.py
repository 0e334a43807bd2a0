"""Text generation from a trained character model, without a predict() per character.

Both variants were trained on windows of ``window`` characters that start from a zero
LSTM state, so generation gives them the same: the last ``window`` characters, left-padded
with the vocabulary's padding id (masked) while the text is shorter. The model is anything
with ``predict_on_batch`` (a NumPy ``inference.Model`` or a Keras model), given the windows of
all prompts at once, one call per character (``WholeWindows``; no ``model.predict`` call per
character, which is meant for large batches, not loops). A text model in NumPy runs its
windows side by side instead, one step of the recurrence per character (rnnlab/forward/
sliding.py), with the same numbers out. The state is not carried across the whole text: a
model trained on windows of ``window`` characters drifts once its context grows past them
('king was in the gar aaddnnen t' from many_to_many).

Greedy by default (temperature 0), as in the lecture; temperature > 0 samples, seeded.
"""
import numpy as np

from rnnlab.core.errors import LabError
from rnnlab.forward import sliding

GENERATOR_PARAMS = {"length": 20, "temperature": 0.0, "top_k": 0, "seed": 0}
"""The served generator's params and their defaults (rnnlab/serving/generator.py)."""


def left_pad(rows, width, pad):
    """A (len(rows), width) array: each row's last ``width`` ids, right-aligned after ``pad``:
    the lecture's ``pad_sequences(..., maxlen=window, truncating='pre')``, in two lines of
    NumPy so that generating needs no Keras (tests hold it to Keras' function)."""
    out = np.full((len(rows), width), pad, dtype=np.int32)
    for i, row in enumerate(rows):
        tail = np.asarray(row, dtype=np.int32)[-width:] if width else []
        out[i, width - len(tail):] = tail
    return out


def next_char_probs(model, windows):
    """Next-character probabilities (batch, vocab) after each window, for either variant."""
    probs = model.predict_on_batch(windows)
    return probs[:, -1] if probs.ndim == 3 else probs


class WholeWindows:
    """The straightforward way, for any model: each character, one forward pass over every
    prompt's last ``window`` characters (``context``, as left_pad gives them)."""

    def __init__(self, model, context):
        self.model, self.context = model, context

    def probs(self):
        return next_char_probs(self.model, self.context)

    def read(self, ids):
        self.context = np.concatenate([self.context[:, 1:], ids[:, np.newaxis]], axis=1)


def windows(model, context):
    """What generate asks for each character's probabilities: sliding.Windows for a text model
    in NumPy (one step of the recurrence per character), else WholeWindows."""
    if sliding.layers(model) and context.shape[1]:
        return sliding.Windows(model, context)
    return WholeWindows(model, context)


def choose(probs, temperature, top_k, rng):
    """The next id for each row of ``probs``: the most likely one at temperature 0, else a
    draw from the probabilities sharpened (T < 1) or flattened (T > 1), optionally limited to
    the ``top_k`` most likely characters."""
    if temperature == 0:
        return np.argmax(probs, axis=-1)
    logp = np.log(np.clip(probs.astype(np.float64), 1e-30, 1.0))
    # Shifted so that the most likely character's logit is exactly 0 before dividing: any
    # temperature > 0, however small (5e-324), leaves it finite (the others may go to -inf).
    with np.errstate(over="ignore", divide="ignore"):
        logits = (logp - logp.max(axis=-1, keepdims=True)) / temperature
    if top_k and top_k < logits.shape[-1]:
        rest = np.argpartition(logits, -top_k, axis=-1)[:, :-top_k]  # all but the k most likely
        np.put_along_axis(logits, rest, -np.inf, axis=-1)
    weights = np.exp(logits - logits.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return draw(weights, rng)


def draw(weights, rng):
    """One id per row of ``weights`` (rows summing to 1), as ``rng.choice(len(w), p=w)`` draws
    it row after row, for all rows at once: a uniform u in [0, 1) per row, then the first id
    whose cumulative weight exceeds u (the same ids from the same seed: tests compare)."""
    cdf = np.cumsum(weights, axis=-1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(weights))
    return (cdf <= u[:, np.newaxis]).sum(axis=-1)


def generate(model, vocab, prompts, length, window, temperature=0.0, top_k=0, seed=0):
    """Each prompt followed by ``length`` generated characters.

    Raises LabError for a prompt character outside the vocabulary, ValueError for an empty
    prompt; with several prompts, each message says which one.
    """
    encoded = []
    for i, prompt in enumerate(prompts):
        several = len(prompts) > 1
        if not prompt:
            which = f"prompt {i + 1} of {len(prompts)}" if several else "the prompt"
            raise ValueError(f"{which} is empty: a prompt needs at least one character")
        try:
            encoded.append(vocab.encode(prompt))
        except LabError as err:
            if not several:
                raise
            raise LabError(f"prompt {i + 1} of {len(prompts)}: {err}") from None
    rng = np.random.default_rng(seed)
    win = windows(model, left_pad(encoded, window, vocab.pad))
    chosen = np.empty((len(prompts), length), dtype=np.int32)
    for t in range(length):
        chosen[:, t] = choose(win.probs(), temperature, top_k, rng)
        if t + 1 < length:
            win.read(chosen[:, t])
    return [p + vocab.decode(ids) for p, ids in zip(prompts, chosen)]
