"""Count-based baselines for the character models (numpy only: the data stages import this).

A window model predicts ids[t] from ids[t-window:t] for every t >= window; the baselines
here are scored on exactly those targets, so their figures sit beside the neural models'.
"""
import numpy as np

from rnnlab.core.errors import LabError
from rnnlab.scores.scoring import Scores

BASELINES = ("unigram", "ngram", "ceiling")
"""The baselines, each a metrics file of stage text_baselines under its name."""
CHUNK = 4096  # distinct contexts whose full distributions are held at once
DENSE_LIMIT = 1 << 21  # probabilities in a level small enough to keep as a dense table


def ngram_scores(train_ids, eval_ids, vocab_size, order, window):
    """Loss (nats), accuracy, bits per character and perplexity of an order-``order``
    Witten-Bell model counted on ``train_ids``, over the targets ``eval_ids[window:]``."""
    if order > window:
        raise LabError(f"order {order} is longer than the window {window}: "
                       f"the model may only look at the window")
    eval_ids = _checked(eval_ids, vocab_size, "eval ids")
    if len(eval_ids) <= window:
        raise LabError(f"{len(eval_ids)} eval ids leave no target after a window of {window}")
    tables = _tables(train_ids, vocab_size, order)
    targets = eval_ids[window:]
    # The order-k context of target t is eval_ids[t-k:t]; score each distinct context once.
    contexts = _keys(eval_ids[window - order:len(eval_ids) - 1], order, vocab_size)
    distinct, inverse = np.unique(contexts, return_inverse=True)
    by_context = np.argsort(inverse, kind="stable")
    sorted_inverse = inverse[by_context]
    scores = Scores()
    for start in range(0, len(distinct), CHUNK):
        probs = _distribution(tables, distinct[start:start + CHUNK])
        lo, hi = np.searchsorted(sorted_inverse, [start, start + CHUNK])
        where = by_context[lo:hi]
        rows, wanted = inverse[where] - start, targets[where]
        scores.add_totals(-float(np.log(probs[rows, wanted]).sum()),  # never 0: smoothed
                          int((probs.argmax(axis=1)[rows] == wanted).sum()), len(wanted))
    return scores.result()


def ngram_distribution(train_ids, contexts, vocab_size, order):
    """(M, V) probabilities P(c | context) for M context rows; each row's last ``order`` ids
    are the context (oldest first). Witten-Bell, interpolated down to an add-one unigram:

        P_0(c)     = (C(c) + 1) / (N + V)
        P_j(c | h) = (C(h c) + T(h) P_{j-1}(c | h')) / (C(h) + T(h))

    where h' is h without its oldest character, C(h) = sum_c C(h c), T(h) = #{c : C(h c) > 0};
    a context never seen in training (C(h) = 0) keeps P_{j-1}(c | h').
    """
    contexts = np.asarray(contexts)
    if contexts.ndim != 2 or contexts.shape[1] < order:
        raise LabError(f"contexts must be rows of at least {order} ids, got shape {contexts.shape}")
    tables = _tables(train_ids, vocab_size, order)
    rows = _checked(contexts[:, contexts.shape[1] - order:].ravel(), vocab_size, "contexts")
    keys = np.zeros(len(contexts), dtype=np.int64)
    for column in rows.reshape(len(contexts), order).T:
        keys = keys * vocab_size + column
    return np.concatenate([_distribution(tables, keys[i:i + CHUNK])
                           for i in range(0, len(keys), CHUNK)] or [np.empty((0, vocab_size))])


def accuracy_ceiling(ids, window):
    """The best accuracy any function of the window can reach on the windows of ``ids``
    (each distinct window content predicts its most frequent next id), and the fraction
    of windows ``determined``: always followed by the same id."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer) or window < 1:
        raise LabError(f"need a 1-D array of integer ids and a window >= 1, "
                       f"got {ids.dtype} {ids.shape} and {window}")
    if len(ids) <= window or ids.min() < 0:
        raise LabError(f"need more than {window} non-negative ids, got {len(ids)}")
    small = ids.astype(np.min_scalar_type(ids.max()))
    rows = np.lib.stride_tricks.sliding_window_view(small, window + 1)
    # Exact grouping: each window's bytes as one opaque value (an (N, window) copy, no hashing).
    contents = np.ascontiguousarray(rows[:, :window]).view(f"V{window * small.itemsize}")
    _, group = np.unique(contents.ravel(), return_inverse=True)
    base = int(ids.max()) + 1
    pairs, counts = np.unique(group.astype(np.int64) * base + rows[:, window], return_counts=True)
    starts = np.flatnonzero(np.diff(pairs // base, prepend=-1))  # pairs sorted by window group
    best = np.maximum.reduceat(counts, starts)
    kinds = np.diff(np.append(starts, len(pairs)))  # distinct next ids per window content
    total = np.add.reduceat(counts, starts)
    return {"accuracy": float(best.sum() / len(rows)),
            "determined": float(total[kinds == 1].sum() / len(rows))}


def _checked(ids, vocab_size, name):
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise LabError(f"{name} must be a 1-D array of integer ids, got {ids.dtype} {ids.shape}")
    if len(ids) and (ids.min() < 0 or ids.max() >= vocab_size):
        raise LabError(f"{name} must lie in [0, {vocab_size}), got {ids.min()}..{ids.max()}")
    return ids.astype(np.int64)


def _keys(ids, length, vocab_size):
    """Every run of ``length`` ids as one int64, base V, oldest id most significant."""
    keys = np.zeros(len(ids) - length + 1, dtype=np.int64)
    for i in range(length):
        keys = keys * vocab_size + ids[i:len(ids) - length + 1 + i]
    return keys


def _tables(train_ids, vocab_size, order):
    """The add-one unigram, then for each j = 1..order the training contexts of length j
    (sorted keys, C(h), T(h)) and their (j+1)-grams' last ids and counts, grouped by context."""
    if order < 0 or vocab_size < 1:
        raise LabError(f"order must be >= 0 and the vocabulary non-empty (order {order}, "
                       f"vocabulary {vocab_size})")
    if vocab_size ** (order + 1) > np.iinfo(np.int64).max:
        raise LabError(f"order {order} is too large for a vocabulary of {vocab_size} characters")
    ids = _checked(train_ids, vocab_size, "train ids")
    if len(ids) < order + 1:
        raise LabError(f"{len(ids)} train ids are too few for an order-{order} model")
    unigram = (np.bincount(ids, minlength=vocab_size) + 1) / (len(ids) + vocab_size)
    levels = []
    for j in range(1, order + 1):
        grams, counts = np.unique(_keys(ids, j + 1, vocab_size), return_counts=True)
        contexts, starts = np.unique(grams // vocab_size, return_index=True)
        types = np.diff(np.append(starts, len(grams)))
        denominator = np.add.reduceat(counts, starts) + types  # C(h) + T(h)
        level = {"keys": contexts, "weight": types / denominator, "types": types,
                 "starts": starts, "chars": grams % vocab_size,
                 "shares": counts / np.repeat(denominator, types)}  # C(h c) / (C(h) + T(h))
        if len(contexts) * vocab_size <= DENSE_LIMIT:  # few contexts: one row per context
            level["dense"] = np.zeros((len(contexts), vocab_size))
            level["dense"][np.repeat(np.arange(len(contexts)), types), level["chars"]] = level["shares"]
        levels.append(level)
    return {"vocab_size": vocab_size, "unigram": unigram, "levels": levels}


def _distribution(tables, context_keys):
    """(M, V) probabilities for M order-k context keys, built up from the unigram."""
    vocab_size = tables["vocab_size"]
    probs = np.tile(tables["unigram"], (len(context_keys), 1))
    for j, level in enumerate(tables["levels"], start=1):
        suffix = context_keys % vocab_size ** j  # the last j ids of each context
        at = np.minimum(np.searchsorted(level["keys"], suffix), len(level["keys"]) - 1)
        seen = np.flatnonzero(level["keys"][at] == suffix)
        at = at[seen]
        # P_j = lambda(h) P_{j-1} + C(h c) / (C(h) + T(h)) with lambda(h) = T(h) / (C(h) + T(h));
        # a context never seen in training keeps P_{j-1}.
        if "dense" in level:
            probs[seen] = probs[seen] * level["weight"][at, None] + level["dense"][at]
            continue
        weight = np.ones(len(context_keys))
        weight[seen] = level["weight"][at]
        probs *= weight[:, None]
        # Scatter each seen context's run of (j+1)-gram shares into its row.
        types = level["types"][at]
        row = np.repeat(seen, types)
        gram = np.arange(len(row)) + np.repeat(level["starts"][at] - (np.cumsum(types) - types), types)
        probs[row, level["chars"][gram]] += level["shares"][gram]
    return probs
