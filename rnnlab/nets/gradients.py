"""How far back a recurrent network's gradient reaches: the lecture's "problem with RNNs".

For the lecture's SimpleRNN, s_t = tanh(U x_t + W s_{t-1}) (rnnlab/forward/inference.py:simple_rnn_step),
the gradient of the loss with respect to an input k steps before the output passes through
k factors W^T diag(1 - s^2):

    d loss / d x_{T-1-k} = U^T diag(1 - s_{T-1-k}^2) [prod over the k steps of W^T diag(1 - s^2)] d loss / d s_{T-1}

so it shrinks geometrically when those factors are small (a vanishing gradient) and the
network cannot learn what depends on inputs far back. The LSTM's cell state,
c_t = f * c_{t-1} + i * g, adds instead of multiplying through W, and its forget gate f near 1
lets the gradient through: that is the answer the lecture gives.

``input_gradient_norms`` measures it with TensorFlow's automatic differentiation, in the
training stage where TensorFlow is already loaded (the evaluate stages run in NumPy only).
"""
import numpy as np


def input_gradient_norms(model, inputs, targets):
    """g(k) for k = 1 .. T-1: the norm of d(loss)/d(x) at the input k steps before the output,
    averaged over the sequences of ``inputs`` (n, T, features), where the loss of a sequence
    is its squared error against ``targets`` (n,). Returns an array of T - 1 norms, g(1) first."""
    import tensorflow as tf

    x = tf.convert_to_tensor(np.asarray(inputs, dtype=np.float32))
    y = tf.convert_to_tensor(np.asarray(targets, dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        predictions = tf.reshape(model(x, training=False), [-1])
        loss = tf.reduce_sum(tf.square(predictions - y))  # each sequence's own squared error
    grads = tape.gradient(loss, x)                          # (n, T, features)
    norms = tf.reduce_mean(tf.norm(grads, axis=-1), axis=0).numpy()  # (T,), step 0 first
    return norms[::-1][1:].astype(np.float64)               # distance 1 .. T-1 from the output
