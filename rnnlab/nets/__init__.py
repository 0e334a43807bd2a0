"""The lesson's Keras networks: the SimpleRNN, LSTM and GRU models the train stages build and
fit (models), the training windows they stream from a text's ids (streams, tf.data), the
callback that hands each epoch to a sink the stage gives (progress), and the gradient norms
that show the vanishing gradient (gradients). The only package that imports
TensorFlow.

Keras comes from here (``from rnnlab.nets import keras``). Keras 3 imports scikit-learn when
it is installed, for its scikit-learn wrappers (``keras.wrappers``), which the lab never uses:
a second and a half of every training stage's start. The lab needs scikit-learn for one
splitter (rnnlab/scores/walkforward.py), so it stays installed, and is hidden from Keras'
import instead: ``sys.modules['sklearn'] = None`` is Python's own way of saying a module is
not there, which Keras' ``try: import sklearn`` takes as not installed (its wrappers then
refuse to be built, and nothing else changes). A stage that imported scikit-learn before is
left as it is; the name is given back at once, so a later ``import sklearn`` works.
"""
import sys

_hidden = "sklearn" not in sys.modules and "keras" not in sys.modules
if _hidden:
    sys.modules["sklearn"] = None
try:
    import keras
finally:
    if _hidden:
        del sys.modules["sklearn"]

__all__ = ["keras"]
