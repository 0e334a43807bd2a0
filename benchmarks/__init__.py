"""The benchmarks (docs/speed.md, docs/team.md): each an entry script run from the repository
root (`.venv/bin/python benchmarks/<name>.py`), its parts, where it has several, in a package
beside it (server_load_parts/, pipeline_parts/). lifetime.py is how each one ends: within its
--time-limit, on a signal or an error, with nothing it started left running."""
