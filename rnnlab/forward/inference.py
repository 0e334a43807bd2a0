"""The trained models run in NumPy: the lecture's recurrence, written out.

The lecture writes a recurrent layer as

    s_t = f(U x_t + W s_{t-1})        the state after reading x_t
    o_t = g(V s_t)                    the output

This module computes exactly that for every layer the lab's models use, one step at a time,
from the weights in a saved ``.keras`` file (a zip of ``config.json`` and ``model.weights.h5``),
without importing TensorFlow or Keras. In Keras' names: U is a layer's ``kernel``, W its
``recurrent_kernel``, plus a ``bias``; V and g are the ``Dense`` layer after it.

Why by hand, when Keras runs these models already: importing TensorFlow takes seconds and
hundreds of MB in every process that only predicts (evaluate, generate, serve), Keras' NumPy
backend imports JAX, and a few hundred lines of NumPy show a student what each layer computes. Tests hold
every layer to Keras' ``predict`` within 1e-5.
"""
import io
import json
import zipfile

import numpy as np

from rnnlab.core.errors import LabError
from rnnlab.core.outputs import reading


class Unsupported(LabError, ValueError):
    """A model file with a layer or a setting this forward pass does not compute: one line
    naming the file and the layer (a LabError) where a stage meets it."""


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def gates(z, n):
    """z (batch, n * units) cut into n (batch, units) blocks, one per gate (a view: slicing,
    not np.split, which costs more than the arithmetic here)."""
    units = z.shape[-1] // n
    return [z[..., k * units:(k + 1) * units] for k in range(n)]


ACTIVATIONS = {"linear": lambda x: x, "tanh": np.tanh, "sigmoid": sigmoid, "softmax": softmax,
               "relu": lambda x: np.maximum(x, 0)}


# ---- one step of each recurrent layer: (U x_t, state) -> state ----
# ``ux`` is U x_t + b, the input's share, computed for every step at once before the loop
# (it does not depend on the state); only W s_{t-1} has to wait for the step before.

def simple_rnn_step(w, ux, h):
    """s_t = tanh(U x_t + W s_{t-1} + b): the lecture's SRNN."""
    return np.tanh(ux + h @ w["recurrent_kernel"])


def lstm_step(w, ux, state):
    """The LSTM's gates, in Keras' order i, f, c, o:
        i = sigmoid(U_i x + W_i h + b_i)       input gate: how much new memory to write
        f = sigmoid(U_f x + W_f h + b_f)       forget gate: how much old memory to keep
        g = tanh(U_c x + W_c h + b_c)          the candidate memory
        o = sigmoid(U_o x + W_o h + b_o)       output gate: how much memory to show
        c_t = f * c_{t-1} + i * g              the cell (long-term memory)
        h_t = o * tanh(c_t)                    the state the next layer sees
    """
    h, c = state
    z = ux + h @ w["recurrent_kernel"]  # the four gates' U x + W h + b, side by side
    i, f, _, o = gates(sigmoid(z), 4)    # one sigmoid over all of z (a call, not three)
    g = np.tanh(gates(z, 4)[2])
    c = f * c + i * g
    return o * np.tanh(c), c


def gru_step(w, ux, h):
    """The GRU's gates, in Keras' order z, r, h (reset_after, Keras' default):
        z = sigmoid(U_z x + b_z + W_z h + b'_z)      update gate
        r = sigmoid(U_r x + b_r + W_r h + b'_r)      reset gate
        n = tanh(U_h x + b_h + r * (W_h h + b'_h))   the candidate state
        h_t = z * h_{t-1} + (1 - z) * n
    """
    xz, xr, xh = gates(ux, 3)
    hz, hr, hh = gates(h @ w["recurrent_kernel"] + w["bias"][1], 3)
    z, r = sigmoid(xz + hz), sigmoid(xr + hr)
    return z * h + (1 - z) * np.tanh(xh + r * hh)


STEPS = {"SimpleRNN": simple_rnn_step, "LSTM": lstm_step, "GRU": gru_step}


def dense(w, cfg, s):
    """o = g(V s + b): the Dense layer after a recurrent one."""
    return ACTIVATIONS[cfg["activation"]](s @ w["kernel"] + w["bias"])


def recurrent(kind, w, x, mask, return_sequences):
    """Run a recurrent layer over x (batch, steps, features) from a zero state. Where ``mask``
    (batch, steps) is False the step is skipped: the state stays as it was (a padded step)."""
    batch, steps, _ = x.shape
    units = w["recurrent_kernel"].shape[0]
    zero = np.zeros((batch, units), dtype=x.dtype)
    state = (zero, zero) if kind == "LSTM" else zero
    step = STEPS[kind]
    bias = w["bias"][0] if kind == "GRU" else w["bias"]  # GRU: input and recurrent biases
    ux = x @ w["kernel"] + bias                          # U x_t + b for every t at once
    if mask is not None and mask.all():
        mask = None                                      # nothing to skip
    outputs = []
    for t in range(steps):
        new = step(w, ux[:, t], state)
        if mask is not None:
            keep = mask[:, t, np.newaxis]
            new = (tuple(np.where(keep, n, s) for n, s in zip(new, state)) if kind == "LSTM"
                   else np.where(keep, new, state))
        state = new
        outputs.append(state[0] if kind == "LSTM" else state)
    return np.stack(outputs, axis=1) if return_sequences else outputs[-1]


class Model:
    """A saved Keras model of the lab's layers (Input, Embedding, Masking, SimpleRNN, LSTM, GRU,
    Dense), as a chain of NumPy functions. ``model(x)`` is Keras' ``predict_on_batch(x)``."""

    def __init__(self, layers, weights, input_dtype):
        self.layers, self.weights, self.input_dtype = layers, weights, input_dtype

    def __call__(self, x):
        x = np.asarray(x, dtype=self.input_dtype)
        mask = None
        for kind, cfg in self.layers:
            w = self.weights.get(cfg["name"], {})
            if kind == "Embedding":        # row i of the table for id i (here: one-hot)
                x = w["embeddings"][x]
            elif kind == "Masking":        # a step whose features are all mask_value is padding
                mask = np.any(x != cfg["mask_value"], axis=-1)
                x = x * mask[..., np.newaxis]
            elif kind in STEPS:
                x = recurrent(kind, w, x.astype(np.float32), mask, cfg["return_sequences"])
                if not cfg["return_sequences"]:
                    mask = None
            elif kind == "Dense":
                x = dense(w, cfg, x)
        return x

    predict_on_batch = __call__

    @property
    def input_steps(self):
        """The window length the model was built for (None: any)."""
        return self._input_shape[1] if len(self._input_shape) > 1 else None

    @property
    def input_features(self):
        """The values per step the model reads (a series' columns); None for ids (text)."""
        return self._input_shape[2] if len(self._input_shape) > 2 else None

    @property
    def output_size(self):
        """The values of each output (a text model's vocabulary size): its last Dense layer's."""
        dense = [cfg["name"] for kind, cfg in self.layers if kind == "Dense"]
        return self.weights[dense[-1]]["kernel"].shape[-1] if dense else None


WEIGHT_NAMES = {"Embedding": ["embeddings"], "Dense": ["kernel", "bias"],
                "SimpleRNN": ["kernel", "recurrent_kernel", "bias"],
                "LSTM": ["kernel", "recurrent_kernel", "bias"],
                "GRU": ["kernel", "recurrent_kernel", "bias"]}
SKIPPED = {"InputLayer", "NotEqual", "Any"}  # the input, and the ops that compute Masking's mask
RECURRENT_SETTINGS = {"activation": "tanh", "use_bias": True, "go_backwards": False,
                      "stateful": False, "zero_output_for_mask": False}
"""The settings the steps above compute (Keras' defaults); a layer saved with others is refused."""
EXPECTED = {"SimpleRNN": RECURRENT_SETTINGS,
            "LSTM": {**RECURRENT_SETTINGS, "recurrent_activation": "sigmoid"},
            "GRU": {**RECURRENT_SETTINGS, "recurrent_activation": "sigmoid", "reset_after": True},
            "Embedding": {"mask_zero": False},
            "Dense": {"use_bias": True}}


def _check_settings(path, kind, cfg):
    for key, value in EXPECTED.get(kind, {}).items():
        if cfg.get(key, value) != value:
            raise Unsupported(f"{path}: {kind} layer {cfg['name']!r} has {key}={cfg[key]!r}, which "
                             f"the NumPy forward pass does not compute (it computes {key}={value!r})")
    if kind == "Dense" and cfg["activation"] not in ACTIVATIONS:
        raise Unsupported(f"{path}: Dense layer {cfg['name']!r} has activation "
                         f"{cfg['activation']!r}, which the NumPy forward pass does not compute")


def load_model(path):
    """The model in the ``.keras`` file at ``path``, read with zipfile, json and h5py only."""
    import h5py

    with reading(path), zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        weights_file = io.BytesIO(archive.read("model.weights.h5"))
        config["config"]["layers"]  # noqa: B018 (a Keras model's config)
    layers, input_dtype, input_shape = [], "float32", None
    for layer in config["config"]["layers"]:
        kind, cfg = layer["class_name"], layer["config"]
        if kind == "InputLayer":
            input_dtype, input_shape = cfg.get("dtype", "float32"), cfg["batch_shape"]
        elif kind not in SKIPPED:
            if kind not in WEIGHT_NAMES and kind != "Masking":
                raise Unsupported(f"{path}: layer {kind} is not one the NumPy forward pass knows")
            _check_settings(path, kind, cfg)
            layers.append((kind, cfg))
    weights = {}
    with reading(path), h5py.File(weights_file, "r") as h5:
        for group in h5["layers"].values():
            variables = group["cell/vars"] if "cell" in group else group["vars"]
            name = group["vars"].attrs["name"]
            arrays = [np.asarray(variables[str(i)]) for i in range(len(variables))]
            kind = next((k for k, c in layers if c["name"] == name), None)
            if kind in WEIGHT_NAMES:
                weights[name] = dict(zip(WEIGHT_NAMES[kind], arrays))
    model = Model(layers, weights, input_dtype)
    model._input_shape = input_shape
    return model
