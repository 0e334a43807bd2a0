"""The registered models as MLflow serves them: the text generator (generator) and the
forecaster (forecaster), pyfunc models logged from code that run the weights in NumPy, and
`make serve` (serve), which checks the store and the model before MLflow's server starts."""
