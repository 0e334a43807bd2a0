"""Behind the lesson: the MLflow store and its failures as one line (store), an older store's
artifact locations made relative to it once (relocation), the run a model's stages share
(runs), the experiment it is in (experiments), where it comes from (provenance), the runs dead
processes left RUNNING (orphans), whose a name is (claims), a later stage's failure on the run
(failures), the link runs/<model>.json (links), the logged and registered models (registry),
the texts the UI shows (notes) and the names given after data files (names). A training's
epochs reach the run through the sink runs.EpochMetrics, which a train stage hands to the
lesson's Keras callback (rnnlab/nets/progress.py). The lesson's code imports none of this."""
