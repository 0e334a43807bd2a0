"""The parts of benchmarks/server_load.py (its entry: options, the parts' loop), in the order
they are used: repro (the models, stages and moments of one `make repro`), content (the
synthetic files and models logged), student (one student's calls), servers (the servers
measured), load (the student processes, released at once), verify (what the server kept),
figures (what is printed)."""
