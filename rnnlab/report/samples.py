"""A text model's generated samples, as data and as lines for people.

stages/text_generate.py writes each variant's samples twice, from one list of records
``{"prompt": ..., "temperature": ..., "text": ...}`` (``text``: the prompt followed by what the
model wrote after it), in the order generated, every prompt at each temperature in turn:

  reports/samples/<variant>.json  {"variant", "length", "window", "top_k", "seed", "samples":
                                  [records]}: the data; the report reads it (``check``);
  reports/samples/<variant>.txt   the same samples for people (``page``): a line
                                  'T=<temperature>' (' (greedy)' at 0), then a line
                                  "  'prompt' -> 'text'" per prompt, for each temperature.

The results page quotes ``page`` of the records too, so it shows what the .txt file holds.
"""
import itertools


def records(temperature, prompts, texts):
    """The records of one temperature: each prompt and its text (prompt + generated)."""
    return [{"prompt": prompt, "temperature": float(temperature), "text": text}
            for prompt, text in zip(prompts, texts)]


def page(samples):
    """The samples as people read them (the .txt file): a block per temperature, in order."""
    lines = []
    for temperature, block in itertools.groupby(samples, key=lambda s: s["temperature"]):
        lines.append(f"T={temperature:g}" + (" (greedy)" if temperature == 0 else ""))
        lines += [f"  {s['prompt']!r} -> {s['text']!r}" for s in block]
    return "\n".join(lines) + "\n"


def check(data):
    """The records of a samples JSON file ``data`` (as ``path`` holds it); KeyError or
    TypeError if it is not what text_generate writes."""
    found = data["samples"]
    if not isinstance(found, list):
        raise TypeError(f"'samples' is a {type(found).__name__}, not a list of records")
    for s in found:
        if not (isinstance(s["prompt"], str) and isinstance(s["text"], str)
                and isinstance(s["temperature"], (int, float))):
            raise TypeError(f"a sample is not {{prompt: str, temperature: number, text: str}}: {s!r}")
    return found


def greedy(samples):
    """{prompt: text} of the greedy samples (temperature 0), the lecture's."""
    return {s["prompt"]: s["text"] for s in samples if s["temperature"] == 0}
