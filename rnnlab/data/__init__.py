"""The lesson's data: windows of a sequence (windows), a series cut into train | val | test
(series), its scalings (scaling) and what it may be (limits), daily prices read from a CSV
(prices), a text's vocabulary and splits (vocab), the character models' kinds (variants) and
the adding problem (adding). NumPy and pandas; no TensorFlow (the windows a training streams
are rnnlab/nets/streams.py), no MLflow."""
