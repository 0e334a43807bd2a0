"""Stage text_train@<variant>: a character LSTM learns the corpus (the rhyme by default).

The variant's section of params.yaml, text_train.<variant>, says which network (its ``kind``):
many_to_one   (the lecture)  LSTM(units) + Dense(V, softmax): the character after each window.
many_to_many  (its agenda)   LSTM(units, return_sequences) + Dense(V, softmax) at every step:
                             the window shifted by one.
Windows stream from the training ids (rnnlab/nets/streams.py), shuffled with the seed; sparse
integer targets with sparse categorical cross-entropy are the lecture's one-hot targets with
categorical cross-entropy, without the one-hot arrays. With a held-out split
(text_encode.val > 0) Keras also scores it after every epoch (val_loss, val_accuracy).

Outputs, at the paths dvc.yaml's cmd names: the model (--model), its history per epoch
(--history) and its MLflow run (--run: the run text_track logs the evaluation and the
samples into). The run also registers the served generator, '<corpus>-<variant>'
(rnnlab/serving/generator.py): prompts in, text out.
"""
import numpy as np

from rnnlab import params
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, write_csv
from rnnlab.data import variants, vocab
from rnnlab.tracking import names, notes, runs


def arguments():
    parser = Arguments("text_train")
    parser.choice("variant", params.variants(), "the model: a section of params.yaml's text_train")
    parser.path("vocab", "text_encode's vocabulary (JSON)")
    parser.path("train", "text_encode's training ids (.npy)")
    parser.path("val", "text_encode's held-out ids (.npy)")
    parser.path("model", "the trained model written (.keras)")
    parser.path("history", "its loss and accuracy per epoch written (CSV)")
    parser.path("run", "its MLflow run written (JSON)")
    return parser.parse_args()


def main():
    args = arguments()
    name = args.variant
    stage, section = f"text_train@{name}", f"text_train.{name}"
    p = params.load(stage, section)[section]
    voc, meta = vocab.load(args.vocab)
    window, corpus = meta["window"], meta["corpus"]
    train, val = vocab.load_ids(args.train), vocab.load_ids(args.val)

    samples = len(train) - window
    run_params = {**p, "variant": name, "window": window, "vocab_size": len(voc),
                  "corpus": corpus, "samples": samples, "val_samples": max(len(val) - window, 0)}
    note = notes.text_run(name, p, window, len(voc), corpus, samples)
    with all_or_nothing(args.model, args.history, args.run), \
            runs.new_run(names.text_experiment(corpus), name, stage, args.run, run_params,
                         notes=(notes.experiment("text", corpus),
                                notes.pending(note, f"text_track@{name}")),
                         view=notes.text_view(vocab.scored_split(meta)),
                         example="text", registers=[names.generator(corpus, name)],
                         formulation=variants.FORMULATIONS[p["kind"]]) as link:
        # TensorFlow: inputs and store are good
        from rnnlab.nets import models, streams
        from rnnlab.nets.progress import EpochLog
        from rnnlab.tracking import registry

        model = models.compiled_text_model(name, len(voc), p)
        split = variants.SPLITS[p["kind"]]
        batches = streams.window_batches(train, window, split, p["batch_size"], shuffle=True,
                                         seed=p["seed"])
        val_batches = (streams.window_batches(val, window, split, streams.EVAL_BATCH)
                       if len(val) else None)
        history, kept = models.fit(model, batches, section, p, validation=val_batches,
                                   callbacks=[EpochLog(stage, p["epochs"], runs.EpochMetrics())])
        model.save(args.model)
        write_csv(args.history, {"epoch": range(1, len(history["loss"]) + 1), **history})
        first = train[np.newaxis, :window]  # the corpus's first window: an example input
        link.models = registry.log_and_register(
            model, name, inputs=first, step=kept, files={"vocab.json": voc.to_json()},
            served=registry.generator(name, args.model, args.vocab, corpus, voc.decode(first[0])))
    held = f"; held out: accuracy {history['val_accuracy'][-1]:.4f}" if "val_accuracy" in history else ""
    print(f"{stage}: loss {history['loss'][-1]:.4f}, accuracy {history['accuracy'][-1]:.4f}{held} "
          f"after {p['epochs']} epochs; {args.model}")


if __name__ == "__main__":
    run(main)
