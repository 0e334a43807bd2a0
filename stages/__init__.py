"""The pipeline's stages, one module per stage of dvc.yaml, each run as
``python -m stages.<name>``. What they share lives in the ``rnnlab`` package."""
