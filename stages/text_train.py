"""Stage text_train@<variant>: a character LSTM learns the corpus (the rhyme by default).

The variant's section of params.yaml, text_train.<variant>, says which network (its ``kind``):
many_to_one   (the lecture)  LSTM(units) + Dense(V, softmax): the character after each window.
many_to_many  (its agenda)   LSTM(units, return_sequences) + Dense(V, softmax) at every step:
                             the window shifted by one.
Windows stream from the training ids (rnnlab/data/streams.py), shuffled with the seed; sparse
integer targets with sparse categorical cross-entropy are the lecture's one-hot targets with
categorical cross-entropy, without the one-hot arrays. With a held-out split
(text_encode.val > 0) Keras also scores it after every epoch (val_loss, val_accuracy).

Outputs: models/text_<variant>.keras, plots/text_<variant>_history.csv, runs/text_<variant>.json
(the MLflow run that text_evaluate and text_generate log into as well). The run also
registers the served generator, '<corpus>-<variant>' (rnnlab/serving/generator.py): prompts in, text
out.
"""
import numpy as np

from rnnlab import params
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, write_csv
from rnnlab.data import variants, vocab
from rnnlab.tracking import names, notes, runs


def main():
    v = variants.from_argv("text_train", params.variants())
    stage, section = f"text_train@{v.name}", f"text_train.{v.name}"
    p = params.load(stage, section)[section]
    voc, meta = vocab.load(vocab.VOCAB)
    window, corpus = meta["window"], meta["corpus"]
    train, val = vocab.load_ids("train"), vocab.load_ids("val")

    samples = len(train) - window
    run_params = {**p, "variant": v.name, "window": window, "vocab_size": len(voc),
                  "corpus": corpus, "samples": samples, "val_samples": max(len(val) - window, 0)}
    note = notes.text_run(v.name, p, window, len(voc), corpus, samples)
    with all_or_nothing(v.model, v.history, v.run), \
            runs.new_run(names.text_experiment(corpus), v.name, stage, v.run, run_params,
                         notes=(notes.experiment("text", corpus),
                                notes.pending(note, f"text_evaluate@{v.name}")),
                         view=notes.text_view(vocab.scored_split(meta)),
                         example="text", registers=[names.generator(corpus, v.name)],
                         formulation=variants.FORMULATIONS[p["kind"]]) as link:
        # TensorFlow: inputs and store are good
        from rnnlab.data import streams
        from rnnlab.nets import models
        from rnnlab.tracking import registry
        from rnnlab.tracking.progress import EpochLog

        model = models.compiled_text_model(v.name, len(voc), p)
        split = variants.SPLITS[p["kind"]]
        batches = streams.window_batches(train, window, split, p["batch_size"], shuffle=True,
                                         seed=p["seed"])
        val_batches = (streams.window_batches(val, window, split, streams.EVAL_BATCH)
                       if len(val) else None)
        history, kept = models.fit(model, batches, section, p, validation=val_batches,
                                   callbacks=[EpochLog(stage, p["epochs"])])
        model.save(v.model)
        write_csv(v.history, {"epoch": range(1, len(history["loss"]) + 1), **history})
        first = train[np.newaxis, :window]  # the corpus's first window: an example input
        link.models = registry.log_and_register(
            model, v.name, inputs=first, step=kept, files={"vocab.json": voc.to_json()},
            served=registry.generator(v.name, v.model, vocab.VOCAB, corpus, voc.decode(first[0])))
    held = f"; held out: accuracy {history['val_accuracy'][-1]:.4f}" if "val_accuracy" in history else ""
    print(f"{stage}: loss {history['loss'][-1]:.4f}, accuracy {history['accuracy'][-1]:.4f}{held} "
          f"after {p['epochs']} epochs; {v.model}")


if __name__ == "__main__":
    run(main)
