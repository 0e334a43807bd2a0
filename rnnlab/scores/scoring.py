"""Scores of next-character distributions (numpy only): cross-entropy in nats, accuracy, bits
per character and perplexity. The models (text_evaluate) and the count baselines (ngram) are
both scored here, so figures under the same name mean the same thing."""
import math

import numpy as np


class Scores:
    """Running totals over batches of predictions; ``result()`` gives the figures."""

    def __init__(self):
        self.nats, self.correct, self.count = 0.0, 0, 0

    def add(self, probs, targets):
        """``probs`` (..., V) for ``targets`` (...) of the same leading shape. Probabilities
        are clipped at 1e-12 before the log: a float32 softmax can round one to 0."""
        p_true = np.take_along_axis(probs, targets[..., np.newaxis], axis=-1)[..., 0]
        self.add_totals(-float(np.sum(np.log(np.clip(p_true, 1e-12, 1.0)))),
                        int(np.sum(np.argmax(probs, axis=-1) == targets)), targets.size)

    def add_totals(self, nats, correct, count):
        """Summed cross-entropy, the number of right argmax guesses, and how many targets."""
        self.nats += nats
        self.correct += correct
        self.count += count

    def result(self):
        loss = self.nats / self.count
        return {"loss": loss, "accuracy": self.correct / self.count,
                "bits_per_char": loss / math.log(2), "perplexity": math.exp(loss)}


def summary(split, metrics):
    """A text model's scores in a line, from its metrics on ``split`` (as text_evaluate writes
    them): the stage prints it, and text_track puts it in the run's description."""
    return (f"{split} accuracy {metrics['accuracy']:.4f}, {metrics['bits_per_char']:.3f} "
            f"bits/char over {metrics['windows']} windows")
