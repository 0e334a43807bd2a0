"""The parts of benchmarks/pipeline.py (its entry: options, the order of the parts): processes
(running and measuring a process, the temporary copy of the project), then one module a part,
in the order they run: lecture (1), repro (2), generate (3), params (4), whole (5), summary (6)."""
