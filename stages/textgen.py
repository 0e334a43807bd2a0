"""Greedy text generation from a trained character model, without a predict() per character.

Both variants were trained on windows of ``window`` characters that start from a zero
LSTM state, so generation gives them the same: the last ``window`` characters, left-padded
with the vocabulary's padding id (masked) while the text is shorter. Every new character is one compiled
``predict_on_batch`` call over the windows of all prompts at once (``model.predict`` per
character manages ~15 characters/s here; this manages hundreds). Carrying the LSTM state
across the whole text instead was tried for many_to_many and drifts once the context grows
past the trained window ('king was in the gar aaddnnen t').
"""
import keras
import numpy as np



def left_pad(rows, width, pad):
    """A (len(rows), width) array: each row's last ``width`` ids, right-aligned after ``pad``
    (the lecture's ``pad_sequences(..., maxlen=window, truncating='pre')``)."""
    return keras.utils.pad_sequences(rows, maxlen=width, dtype="int32", padding="pre",
                                     truncating="pre", value=pad)


def next_char_probs(model, windows):
    """Next-character probabilities (batch, vocab) after each window, for either variant."""
    probs = model.predict_on_batch(windows)
    return probs[:, -1] if probs.ndim == 3 else probs


def greedy(model, vocab, prompts, length, window):
    """Each prompt followed by ``length`` greedily chosen characters.

    Raises LabError for a prompt character outside the vocabulary, ValueError for an empty prompt.
    """
    encoded = [vocab.encode(p) for p in prompts]
    if any(len(e) == 0 for e in encoded):
        raise ValueError("prompts must not be empty")
    context = left_pad(encoded, window, vocab.pad)
    chosen = np.empty((len(prompts), length), dtype=np.int32)
    for t in range(length):
        chosen[:, t] = np.argmax(next_char_probs(model, context), axis=-1)
        context = np.concatenate([context[:, 1:], chosen[:, t:t + 1]], axis=1)
    return [p + vocab.decode(ids) for p, ids in zip(prompts, chosen)]
