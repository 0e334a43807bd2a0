"""Baselines and scores: persistence, drift and AR beside a forecast, and Theil's U and the
Diebold-Mariano test (forecast), the n-gram and unigram baselines of a text and the ceiling
of its window (ngram, scoring), a trading rule on the forecasts (trading), walk-forward folds
(walkforward). NumPy, SciPy, and scikit-learn's TimeSeriesSplit for the folds."""
