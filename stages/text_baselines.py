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

Outputs, at the paths dvc.yaml's cmd names: --unigram, --ngram (with `order`, the context
used, and `order_asked`, text_baselines.ngram_order) and --ceiling, each
{<split>: {scores..., "windows"}}.
"""

from rnnlab import params
from rnnlab.core.arguments import Arguments
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, write_json
from rnnlab.data import vocab
from rnnlab.scores import ngram

STAGE = "text_baselines"


def arguments():
    parser = Arguments(STAGE)
    parser.path("vocab", "text_encode's vocabulary (JSON)")
    parser.path("train", "text_encode's training ids (.npy)")
    parser.path("val", "text_encode's held-out ids (.npy)")
    for name in ngram.BASELINES:
        parser.path(name, f"the {name} baseline's metrics written (JSON)")
    return parser.parse_args()


def main():
    args = arguments()
    p = params.load(STAGE, STAGE)[STAGE]
    voc, meta = vocab.load(args.vocab)
    window, split = meta["window"], vocab.scored_split(meta)
    asked = p["ngram_order"]
    order = min(asked, window)  # a baseline sees no more than the models' window
    if order < asked:
        print(f"{STAGE}: 'text_baselines.ngram_order' asks for {asked} characters of context, "
              f"but the models read windows of {window} (text_encode.window): using {order}")
    ids = {"train": args.train, "val": args.val}
    train, scored = vocab.load_ids(args.train), vocab.load_ids(ids[split])
    count = {"windows": len(scored) - window}
    results = {
        "unigram": ngram.ngram_scores(train, scored, len(voc), 0, window),
        "ngram": ngram.ngram_scores(train, scored, len(voc), order, window),
        "ceiling": ngram.accuracy_ceiling(scored, window),
    }
    paths = {name: getattr(args, name) for name in ngram.BASELINES}
    with all_or_nothing(*paths.values()):
        for name, scores in results.items():
            write_json(paths[name], {split: {**scores, **count},
                                     **({"order": order, "order_asked": asked}
                                        if name == "ngram" else {})})
    print(f"text_baselines: {split} accuracy: unigram {results['unigram']['accuracy']:.4f}, "
          f"{order}-character context {results['ngram']['accuracy']:.4f}, "
          f"ceiling of a {window}-character window {results['ceiling']['accuracy']:.4f}")


if __name__ == "__main__":
    run(main)
