"""The lesson's Keras networks: the SimpleRNN, LSTM and GRU models the train stages build and
fit (models), the training windows they stream from a text's ids (streams, tf.data), the
callback that hands each epoch to a sink the stage gives (progress), and the gradient norms
that show the vanishing gradient (gradients). The only package that imports
TensorFlow.

Keras comes from here (``from rnnlab.nets import keras``). Keras 3 imports two installed
packages at its own import for features the lab never uses: scikit-learn for its wrappers
(``keras.wrappers``), matplotlib's pyplot for its image galleries
(``keras.visualization``). Together they are a large part of every training stage's start
(docs/speed.md). The lab needs both elsewhere (scikit-learn for one splitter,
rnnlab/scores/walkforward.py; matplotlib for the figures, rnnlab/charts/), so they stay
installed, and are hidden from Keras' import instead: ``sys.modules[name] = None`` is Python's
own way of saying a module is not there, which Keras' ``try: import ...`` takes as not
installed (those features then refuse to run, and nothing else changes). A package the stage
imported before is left as it is; the names are given back at once, so a later import of
either works.
"""
import sys

_UNUSED_BY_THE_LAB = ("sklearn", "matplotlib")
_hidden = ([] if "keras" in sys.modules else
           [name for name in _UNUSED_BY_THE_LAB if name not in sys.modules])
for _name in _hidden:
    sys.modules[_name] = None
try:
    import keras
finally:
    for _name in _hidden:
        del sys.modules[_name]

__all__ = ["keras"]
