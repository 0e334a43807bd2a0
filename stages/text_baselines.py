"""Stage text_baselines: what trivial predictors score on the split the LSTMs are scored on
(numpy only).

unigram  each character predicted from its frequency in the training text alone;
ngram    from the previous k characters (k = text_baselines.ngram_order), Witten-Bell
         smoothed down to the unigram (rnnlab/scores/ngram.py); counted on the training text. A
         baseline sees no more than the models: an order above text_encode.window is lowered
         to the window, and the stage says so;
ceiling  the best accuracy any function of the window could reach on the scored text: how
         often the `window` characters before a position determine the next one.
Scored on the held-out text when text_encode.val > 0, else on the training text, with the
same names as metrics/text_<variant>.json, so `dvc metrics show` lines them up.

Outputs: metrics/text_unigram.json, metrics/text_ngram.json (with `order`, the context used,
and `order_asked`, text_baselines.ngram_order), metrics/text_ceiling.json.
"""

from rnnlab import params
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, write_json
from rnnlab.data import vocab
from rnnlab.scores import ngram
from rnnlab.scores.ngram import CEILING, NGRAM, UNIGRAM

STAGE = "text_baselines"


def main():
    p = params.load(STAGE, STAGE)[STAGE]
    voc, meta = vocab.load(vocab.VOCAB)
    window, split = meta["window"], vocab.scored_split(meta)
    asked = p["ngram_order"]
    order = min(asked, window)  # a baseline sees no more than the models' window
    if order < asked:
        print(f"{STAGE}: 'text_baselines.ngram_order' asks for {asked} characters of context, "
              f"but the models read windows of {window} (text_encode.window): using {order}")
    train, scored = vocab.load_ids("train"), vocab.load_ids(split)
    count = {"windows": len(scored) - window}
    results = {
        UNIGRAM: ngram.ngram_scores(train, scored, len(voc), 0, window),
        NGRAM: ngram.ngram_scores(train, scored, len(voc), order, window),
        CEILING: ngram.accuracy_ceiling(scored, window),
    }
    with all_or_nothing(*results):
        for path, scores in results.items():
            write_json(path, {split: {**scores, **count},
                              **({"order": order, "order_asked": asked} if path == NGRAM else {})})
    print(f"text_baselines: {split} accuracy: unigram {results[UNIGRAM]['accuracy']:.4f}, "
          f"{order}-character context {results[NGRAM]['accuracy']:.4f}, "
          f"ceiling of a {window}-character window {results[CEILING]['accuracy']:.4f}")


if __name__ == "__main__":
    run(main)
