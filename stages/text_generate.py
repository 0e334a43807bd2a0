"""Stage text_generate@<variant>: continuations of the prompts in params.yaml, at each of
the temperatures in params.yaml.

Each prompt gets ``length`` characters. At temperature 0 each is the model's most likely next
character given the last ``window`` characters (the lecture's generate_seq, without a
predict() per character); at temperature > 0 a seeded draw from the model's probabilities,
sharpened (< 1) or flattened (> 1), among the ``top_k`` most likely (0: all). Either kind of
model works: a many_to_many model's prediction after the last character is the one read.

Output: reports/samples/<variant>.txt, a 'T=<temperature>' line then one
'prompt -> generated text' line per prompt, for each temperature. Logged into the training
run as samples.txt.
"""
from rnnlab import params
from rnnlab.core.errors import LabError, run
from rnnlab.core.outputs import all_or_nothing
from rnnlab.data import variants, vocab
from rnnlab.forward import inference, textgen
from rnnlab.tracking import runs


def main():
    v = variants.from_argv("text_generate", params.variants())
    stage = f"text_generate@{v.name}"
    p = params.load(stage, "text_generate")["text_generate"]
    voc, meta = vocab.load(vocab.VOCAB)
    for prompt in p["prompts"]:
        missing = voc.unknown(prompt)
        if missing:
            raise LabError(f"params.yaml: text_generate.prompts: {prompt!r} has characters not in "
                           f"the vocabulary of {meta['corpus']}: {''.join(missing)!r}")

    with all_or_nothing(v.samples), runs.same_run(v.run, stage):
        model = inference.load_model(v.model)  # NumPy: no TensorFlow in this stage
        lines = []
        for temperature in p["temperatures"]:
            texts = textgen.generate(model, voc, p["prompts"], p["length"], meta["window"],
                                     temperature, p["top_k"], p["seed"])
            lines.append(f"T={temperature:g}" + (" (greedy)" if temperature == 0 else ""))
            lines += [f"  {prompt!r} -> {text!r}" for prompt, text in zip(p["prompts"], texts)]
        page = "\n".join(lines) + "\n"
        with open(v.samples, "w", encoding="utf-8") as f:
            f.write(page)
        runs.log_text(page, "samples.txt")  # the same name in every run: Compare lines them up
    print(f"{stage}:", *lines, sep="\n  ")


if __name__ == "__main__":
    run(main)
