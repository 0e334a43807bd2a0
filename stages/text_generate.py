"""Stage text_generate@<variant>: continuations of the prompts in params.yaml, at each of
the temperatures in params.yaml.

Each prompt gets ``length`` characters. At temperature 0 each is the model's most likely next
character given the last ``window`` characters (the lecture's generate_seq, without a
predict() per character); at temperature > 0 a seeded draw from the model's probabilities,
sharpened (< 1) or flattened (> 1), among the ``top_k`` most likely (0: all). Either kind of
model works: a many_to_many model's prediction after the last character is the one read.

Outputs, the same samples twice (rnnlab/report/samples.py), at the paths dvc.yaml's cmd
names: --samples-json, the data (prompt, temperature, text, and the generation's settings)
the report reads, and --samples-txt for people, a 'T=<temperature>' line then one
'prompt -> generated text' line per prompt, for each temperature. text_track logs the text
into the training's MLflow run as samples.txt; this stage imports no MLflow.
"""
from rnnlab import params
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import LabError, run
from rnnlab.core.outputs import all_or_nothing, write_json
from rnnlab.data import vocab
from rnnlab.forward import inference, textgen
from rnnlab.report import samples


def arguments():
    parser = Arguments("text_generate")
    parser.choice("variant", params.variants(), "the model: a section of params.yaml's text_train")
    parser.path("vocab", "text_encode's vocabulary (JSON)")
    parser.path("model", "text_train's model (.keras)")
    parser.path("samples-json", "the samples written as data (JSON)")
    parser.path("samples-txt", "the samples written for people (text)")
    return parser.parse_args()


def main():
    args = arguments()
    name = args.variant
    stage = f"text_generate@{name}"
    p = params.load(stage, "text_generate")["text_generate"]
    voc, meta = vocab.load(args.vocab)
    for prompt in p["prompts"]:
        missing = voc.unknown(prompt)
        if missing:
            raise LabError(f"params.yaml: text_generate.prompts: {prompt!r} has characters not in "
                           f"the vocabulary of {meta['corpus']}: {''.join(missing)!r}")

    with all_or_nothing(args.samples_txt, args.samples_json):
        model = inference.load_model(args.model)  # NumPy: no TensorFlow in this stage
        generated = []
        for temperature in p["temperatures"]:
            texts = textgen.generate(model, voc, p["prompts"], p["length"], meta["window"],
                                     temperature, p["top_k"], p["seed"])
            generated += samples.records(temperature, p["prompts"], texts)
        write_json(args.samples_json, {"variant": name, "length": p["length"],
                                       "window": meta["window"], "top_k": p["top_k"],
                                       "seed": p["seed"], "samples": generated})
        page = samples.page(generated)
        with open(args.samples_txt, "w", encoding="utf-8") as f:
            f.write(page)
    print(f"{stage}:", *page.splitlines(), sep="\n  ")


if __name__ == "__main__":
    run(main)
