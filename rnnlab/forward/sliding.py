"""Generation's windows run side by side: one step of the recurrence per character, not a
whole window.

textgen.generate asks, for every new character, what the model predicts after the last
``window`` characters, read from a zero state as in training (the state is not carried along
the text: see textgen). Run one window at a time, that is ``window`` steps per character, each
a few NumPy calls on a (prompts, units) matrix. But the window that predicts the next
character but one is this window moved on by one character: ``window`` windows can run at
once, each one character deeper than the next, as a (windows, prompts, units) state. With
window 4 and the text ``a b c d`` so far (a row is a slot, holding one window; 0 is the zero
state):

    after reading:   a   b   c   d      predicts   from
    slot 0           a   ab  abc abcd   e          a b c d   (complete)
    slot 1           0   b   bc  bcd    f          b c d e
    slot 2           0   0   c   cd     g          c d e f
    slot 3           0   0   0   d      h          d e f g

Slot 0's window is complete: its output gives e's probabilities. Once e is chosen, slot 0
restarts from the zero state (it now holds the window that predicts i) and every slot reads e,
in one step for all of them: the recurrence's equations are inference.STEPS' own, on arrays
with one more axis. While the prompt is read, a slot reads only from the character its window
starts at (before, it keeps its zero state, as over a padded step), and the prompt's padding is
skipped as the Masking layer skips it.

Each window's arithmetic is the whole-window pass's (inference.Model): the same steps in the
same order, and ``state @ W`` on a (windows, prompts, units) array is, for NumPy, one
(prompts, units) product per window, the call the whole-window pass makes. So the
probabilities are the same floats, and the text the same characters (tests/test_textgen.py
compares both ways on small models). The input's share U x + b of a step is looked up, one row
per character id, in a table computed once: for the lab's one-hot embedding its rows are the
very numbers the whole-window pass adds (a one-hot row times U picks a row of U, exactly).
"""
import numpy as np

from rnnlab.forward import inference


def layers(model):
    """The layer configs (embedding, masking or None, (kind, recurrent), dense) of a model this
    module runs: an inference.Model whose layers are Embedding, optionally Masking, one
    recurrent layer and Dense. None for any other model (textgen then runs whole windows)."""
    if not isinstance(model, inference.Model):
        return None
    kinds, cfgs = zip(*model.layers) if model.layers else ((), ())
    masked = kinds[1:2] == ("Masking",)
    rest = kinds[2:] if masked else kinds[1:]
    if (kinds[:1] != ("Embedding",) or len(rest) != 2 or rest[0] not in inference.STEPS
            or rest[1] != "Dense"):
        return None
    return cfgs[0], cfgs[1] if masked else None, (kinds[-2], cfgs[-2]), cfgs[-1]


class Windows:
    """The windows of a text model (``layers`` not None) over ``context``, the prompts' last
    ``window`` ids as textgen.left_pad gives them, then over the characters read after it."""

    def __init__(self, model, context):
        embedding, masking, (self.kind, rec), out = layers(model)
        self.step, self.w = inference.STEPS[self.kind], model.weights[rec["name"]]
        self.dense, self.out_cfg = model.weights[out["name"]], out
        self.sequences = rec["return_sequences"]  # many_to_many: Dense at every step
        table = model.weights[embedding["name"]]["embeddings"].astype(np.float32)
        bias = self.w["bias"][0] if self.kind == "GRU" else self.w["bias"]
        self.ux = table @ self.w["kernel"] + bias  # row i: U x + b for character id i
        # Masking's test, per id: an id whose embedding is all mask_value is skipped
        self.kept = (np.any(table != masking["mask_value"], axis=-1) if masking
                     else np.ones(len(table), dtype=bool))
        self.size, prompts = context.shape[1], context.shape[0]
        units = self.w["recurrent_kernel"].shape[0]
        zero = np.zeros((self.size, prompts, units), dtype=np.float32)
        self.state = (zero, zero) if self.kind == "LSTM" else zero
        self.complete = 0  # the slot whose window has read all its characters
        starts = np.arange(self.size)[:, np.newaxis]  # slot k's window starts at context[:, k]
        for t in range(self.size):
            self._step(context[:, t], (starts <= t) & self.kept[context[:, t]])

    def _step(self, ids, keep=None):
        """Every slot reads ``ids``; where ``keep`` ((slots,) prompts) is False, it keeps its
        state, as the whole-window pass keeps it over a masked step."""
        new = self.step(self.w, self.ux[ids], self.state)
        if keep is not None:
            keep = keep[..., np.newaxis]
            new = (tuple(np.where(keep, n, s) for n, s in zip(new, self.state))
                   if self.kind == "LSTM" else np.where(keep, new, self.state))
        self.state = new

    def probs(self):
        """The next character's probabilities (prompts, vocabulary): the complete window's."""
        h = self.state[0] if self.kind == "LSTM" else self.state
        last = h[self.complete]  # (prompts, units): the complete window's last output
        if not self.sequences:
            return inference.dense(self.dense, self.out_cfg, last)
        # many_to_many: Dense on a (prompts, window, units) array, the product the whole-window
        # pass computes (so the same floats); only the last step's output is read, so only it
        # is filled.
        steps = np.zeros((last.shape[0], self.size, last.shape[1]), dtype=last.dtype)
        steps[:, -1] = last
        return inference.dense(self.dense, self.out_cfg, steps)[:, -1]

    def read(self, ids):
        """The chosen characters ``ids`` (one a prompt): the complete window's slot restarts as
        the newest window, and every slot reads them."""
        for part in (self.state if self.kind == "LSTM" else (self.state,)):
            part[self.complete] = 0
        self.complete = (self.complete + 1) % self.size
        kept = self.kept[ids]
        self._step(ids, None if kept.all() else kept)
