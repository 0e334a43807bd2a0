import math
from collections import Counter, defaultdict

import numpy as np
import pytest

from rnnlab.core.errors import LabError
from rnnlab.scores import ngram


def slow_probability(c, h, counts, context_total, context_types, n, vocab_size):
    """Witten-Bell P(c | h) straight from the formulas, with dict counts and recursion."""
    if not h:
        return (counts[(c,)] + 1) / (n + vocab_size)
    lower = slow_probability(c, h[1:], counts, context_total, context_types, n, vocab_size)
    if context_total[h] == 0:
        return lower
    return (counts[h + (c,)] + context_types[h] * lower) / (context_total[h] + context_types[h])


def slow_model(train, vocab_size, order):
    """P(. | h) as a function of a context tuple h of ``order`` ids."""
    train = [int(i) for i in train]
    counts = Counter(tuple(train[t:t + j + 1]) for j in range(order + 1)
                     for t in range(len(train) - j))
    context_total, context_types = defaultdict(int), defaultdict(int)
    for gram, count in counts.items():
        if len(gram) > 1:
            context_total[gram[:-1]] += count
            context_types[gram[:-1]] += 1
    return lambda h: [slow_probability(c, tuple(h), counts, context_total, context_types,
                                       len(train), vocab_size) for c in range(vocab_size)]


def slow_scores(train, evaluation, vocab_size, order, window):
    model = slow_model(train, vocab_size, order)
    loss, correct = 0.0, 0
    for t in range(window, len(evaluation)):
        dist = model([int(i) for i in evaluation[t - order:t]])
        loss -= math.log(dist[evaluation[t]])
        correct += dist.index(max(dist)) == evaluation[t]  # first maximum, as np.argmax
    n = len(evaluation) - window
    return loss / n, correct / n


def slow_ceiling(ids, window):
    follow = defaultdict(Counter)
    for t in range(window, len(ids)):
        follow[tuple(ids[t - window:t])][ids[t]] += 1
    n = len(ids) - window
    return (sum(max(c.values()) for c in follow.values()) / n,
            sum(sum(c.values()) for c in follow.values() if len(c) == 1) / n)


def skewed(rng, n, vocab_size):
    """Random ids with unequal frequencies and some repeated structure (so contexts recur)."""
    p = rng.dirichlet(np.ones(vocab_size) * 0.5)
    ids = rng.choice(vocab_size, size=n, p=p)
    ids[n // 2:n // 2 + 40] = ids[:40]
    return ids


@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_distributions_sum_to_one(order):
    rng = np.random.default_rng(order)
    train = skewed(rng, 300, 7)
    seen = np.lib.stride_tricks.sliding_window_view(train, 4)[::5]
    unseen = rng.integers(0, 7, size=(50, 4))
    probs = ngram.ngram_distribution(train, np.vstack([seen, unseen]), 7, order)
    assert probs.shape == (len(seen) + len(unseen), 7)
    assert (probs > 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("dense_limit", [0, ngram.DENSE_LIMIT])
@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_distribution_matches_the_formulas(order, dense_limit, monkeypatch):
    monkeypatch.setattr(ngram, "DENSE_LIMIT", dense_limit)  # 0: the sparse scatter path
    rng = np.random.default_rng(10 + order)
    train = skewed(rng, 200, 5)
    contexts = np.vstack([np.lib.stride_tricks.sliding_window_view(train, 5)[::7],
                          rng.integers(0, 5, size=(20, 5))])
    model = slow_model(train, 5, order)
    expected = [model(row[len(row) - order:]) for row in contexts]
    got = ngram.ngram_distribution(train, contexts, 5, order)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # only the last ``order`` ids of a row are its context
    np.testing.assert_array_equal(got, ngram.ngram_distribution(
        train, contexts[:, contexts.shape[1] - order:], 5, order))


@pytest.mark.parametrize("dense_limit", [0, ngram.DENSE_LIMIT])
@pytest.mark.parametrize("order", [0, 1, 2, 3])
@pytest.mark.parametrize("seed", [0, 1])
def test_scores_match_a_slow_implementation(order, seed, dense_limit, monkeypatch):
    monkeypatch.setattr(ngram, "DENSE_LIMIT", dense_limit)
    rng = np.random.default_rng(100 * seed + order)
    vocab_size, window = 6, 4
    train, evaluation = skewed(rng, 400, vocab_size), skewed(rng, 150, vocab_size)
    evaluation[:30] = train[:30]  # some eval contexts seen in training, at every order
    scores = ngram.ngram_scores(train, evaluation, vocab_size, order, window)
    loss, accuracy = slow_scores(train, evaluation, vocab_size, order, window)
    assert scores["loss"] == pytest.approx(loss, rel=0, abs=1e-9)
    assert scores["accuracy"] == pytest.approx(accuracy, rel=0, abs=1e-9)
    assert scores["bits_per_char"] == pytest.approx(loss / math.log(2), abs=1e-9)
    assert scores["perplexity"] == pytest.approx(math.exp(loss), rel=1e-9)
    assert all(type(v) is float for v in scores.values())


def test_scores_use_exactly_the_window_targets():
    # Only eval[window:] is scored: changing the first ``window`` ids changes nothing at order 0.
    rng = np.random.default_rng(3)
    train, evaluation = skewed(rng, 500, 8), skewed(rng, 100, 8)
    other = evaluation.copy()
    other[:5] = (other[:5] + 1) % 8
    assert ngram.ngram_scores(train, evaluation, 8, 0, 5) == ngram.ngram_scores(train, other, 8, 0, 5)


def test_unigram_accuracy_is_the_frequency_of_the_commonest_training_character():
    rng = np.random.default_rng(4)
    train, evaluation = skewed(rng, 2000, 9), skewed(rng, 700, 9)
    window = 6
    commonest = np.bincount(train, minlength=9).argmax()
    scores = ngram.ngram_scores(train, evaluation, 9, 0, window)
    assert scores["accuracy"] == np.mean(evaluation[window:] == commonest)


# "abacabad" as ids a=0, b=1, c=2, d=3.
ABACABAD = [0, 1, 0, 2, 0, 1, 0, 3]


@pytest.mark.parametrize("window,ceiling,determined", [
    # window 1: a->b, b->a, a->c, c->a, a->b, b->a, a->d (7 windows).
    # 'a' is followed by b, c, b, d: best guess b is right 2 of 4; 'b' -> a twice; 'c' -> a once.
    # ceiling (2 + 2 + 1) / 7; determined: the 'b' and 'c' windows, 3 / 7.
    (1, 5 / 7, 3 / 7),
    # window 2: ab->a, ba->c, ac->a, ca->b, ab->a, ba->d (6 windows).
    # 'ab' -> a twice, 'ba' -> c or d (1 of 2), 'ac' -> a, 'ca' -> b: ceiling (2+1+1+1) / 6;
    # determined: ab, ab, ac, ca = 4 / 6.
    (2, 5 / 6, 4 / 6),
    # window 3: aba->c, bac->a, aca->b, cab->a, aba->d: 'aba' -> c or d, the rest unique.
    (3, 4 / 5, 3 / 5),
    # window 7: one window, always followed by d.
    (7, 1.0, 1.0),
])
def test_ceiling_by_hand(window, ceiling, determined):
    got = ngram.accuracy_ceiling(np.array(ABACABAD), window)
    assert got["accuracy"] == pytest.approx(ceiling)
    assert got["determined"] == pytest.approx(determined)
    # Ids beyond one byte (a wider dtype for the window rows) give the same answer.
    wide = ngram.accuracy_ceiling(np.array(ABACABAD) * 1000 + 7, window)
    assert wide == got


def test_periodic_text_is_fully_determined():
    assert ngram.accuracy_ceiling(np.tile([2, 0, 1], 10), 1) == {"accuracy": 1.0, "determined": 1.0}


@pytest.mark.parametrize("window", [1, 2, 3, 5])
def test_ceiling_matches_a_slow_implementation(window):
    ids = skewed(np.random.default_rng(window), 600, 4)
    got = ngram.accuracy_ceiling(ids, window)
    accuracy, determined = slow_ceiling([int(i) for i in ids], window)
    assert got["accuracy"] == pytest.approx(accuracy, abs=1e-12)
    assert got["determined"] == pytest.approx(determined, abs=1e-12)


@pytest.mark.parametrize("window", [1, 2, 3, 4])
def test_a_perfect_memoriser_cannot_beat_the_ceiling(window):
    ids = skewed(np.random.default_rng(20 + window), 800, 4)
    ceiling = ngram.accuracy_ceiling(ids, window)["accuracy"]
    assert ceiling < 1.0  # the check below would be vacuous otherwise
    for order in range(window + 1):
        assert ngram.ngram_scores(ids, ids, 4, order, window)["accuracy"] <= ceiling + 1e-12


def test_order_longer_than_the_window_is_refused():
    with pytest.raises(LabError, match=r"order 4.*window 3"):
        ngram.ngram_scores(np.arange(50) % 5, np.arange(50) % 5, 5, 4, 3)


def test_eval_without_targets_is_refused():
    with pytest.raises(LabError, match="eval"):
        ngram.ngram_scores(np.arange(50) % 5, np.arange(3) % 5, 5, 1, 3)


def test_too_short_training_text_is_refused():
    with pytest.raises(LabError, match="train"):
        ngram.ngram_scores(np.array([1, 2]), np.arange(50) % 5, 5, 2, 3)


def test_order_too_large_for_int64_keys_is_refused():
    ids = np.arange(200) % 100
    with pytest.raises(LabError, match="too large for a vocabulary of 100"):
        ngram.ngram_scores(ids, ids, 100, 9, 10)  # 100 ** 10 > 2 ** 63
    with pytest.raises(LabError, match="too large"):
        ngram.ngram_distribution(ids, np.zeros((1, 9), dtype=int), 100, 9)


def test_ids_outside_the_vocabulary_are_refused():
    with pytest.raises(LabError, match=r"\[0, 5\)"):
        ngram.ngram_scores(np.arange(50) % 6, np.arange(50) % 5, 5, 1, 3)


def test_ceiling_needs_more_ids_than_the_window():
    with pytest.raises(LabError):
        ngram.accuracy_ceiling(np.arange(3), 3)


def test_a_million_ids_run_in_bounded_memory():
    rng = np.random.default_rng(5)
    train, evaluation = rng.integers(0, 60, 1_000_000), rng.integers(0, 60, 1_000_000)
    scores = ngram.ngram_scores(train, evaluation, 60, 4, 10)
    # Uniform random text: no model can beat the entropy ln 60 by more than sampling noise.
    assert math.log(60) - 0.01 < scores["loss"] < 2 * math.log(60)
    assert scores["accuracy"] < 0.05
    ceiling = ngram.accuracy_ceiling(train, 10)
    assert ceiling["accuracy"] >= ceiling["determined"] > 0.99  # 10 random ids: all distinct
