"""The page's first section: the lecture beside the lab. What the slides print
(lecture/slide.json), what the lecture's scripts printed when `make lecture` last ran here
(lecture/results.json), and the lab's own numbers: the sine, and the first many-to-one text
model (the lecture's network; ``many_to_one`` by default)."""
import re
from collections import Counter

from rnnlab.report.markdown import fmt, table


def prompt_note(prompt, text, window, length=20):
    """Why the three columns may differ on a prompt of the slide, from the text the models
    learnt (``text``: the training text): following the rhyme from the prompt for ``length``
    characters, the first ``window`` characters the rhyme continues in more than one way (from
    there each model guesses), or that it has one continuation, or that the prompt is not in
    it. Counted on the text, so a prompt or a corpus of one's own gets its own note; each
    window's followers found by the regular-expression engine (every occurrence, overlapping),
    not a Python step per character, so a corpus of megabytes takes a moment."""
    if prompt not in text:
        return "not in the rhyme: each model guesses its own way"
    context = prompt
    for _ in range(length):
        last = context[-window:]
        nexts = Counter(m.group(1) for m in re.finditer(f"(?={re.escape(last)}(.))", text, re.S))
        if len(nexts) > 1:
            ways = " and by ".join(f"{c!r} {times(n)}" for c, n in sorted(nexts.items()))
            return f"{last!r} is followed by {ways} in the rhyme: a guess"
        if not nexts:
            break
        context += next(iter(nexts))
    return "the rhyme goes on one way from it: every model that has learnt it writes it"


def times(n):
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def lstm_weights(units, inputs):
    """Weights of an LSTM layer: four gates, each a (inputs + units + 1) x units matrix (the
    slide's own comment on its summary: 33000 = 75 x 440, 440 = 4 x (34 + 75 + 1))."""
    return 4 * units * (inputs + units + 1)


def shapes(record):
    """'X (17, 3, 1), Y (17, 1)' of a record with X_shape and Y_shape."""
    return f"X {tuple(record['X_shape'])}, Y {tuple(record['Y_shape'])}"


def sine_rows(slide, script, sine, window):
    """The sine: its windows' shapes, its mse before and after training. ``sine``: the lab's
    'train_mse' (metrics/sine.json's train.mse) and 'train_windows' (its training windows)."""
    n, mse = sine["train_windows"], sine["train_mse"]
    return [
        ["sine: windows X, targets Y", shapes(slide), shapes(script),
         f"X ({n}, {window}, 1), Y ({n}, 1)", "the same 20 samples"],
        ["sine: mse before training", "–", fmt(script["mse_before"]),
         fmt(mse["untrained"]), "the same seed gives the same initial weights"],
        ["sine: mse after 100 epochs", "–", fmt(script["mse_after"]),
         fmt(mse["model"]), "the same model, optimiser and seed"],
    ]


def sixpence_rows(slide, script, text):
    """The rhyme: its size, windows, weights, the last epochs' loss and accuracy, and the
    greedy continuation of each of the slide's prompts. ``text``: the lab's model, 'units',
    'vocab_size' (its output layer), 'meta' (data/text/vocab.json), 'history' (the rows of
    its history plot), 'greedy' ({prompt: text} at temperature 0) and 'text' (what it trained
    on, decoded)."""
    units, size, meta = text["units"], text["vocab_size"], text["meta"]
    lab_weights = lstm_weights(units, size) + (units + 1) * size
    rows = [
        ["sixpence: characters, vocabulary", f"–, {slide['vocab_size']}",
         f"{script['characters']}, {script['vocab_size']}", f"{meta['characters']}, {size}",
         "the rhyme as the slide prints it"],
        ["sixpence: windows of 10 (+1)", str(slide["windows"]), str(script["windows"]),
         str(meta["split"]["train"] - meta["window"]),
         "the slide's text file had 3 more characters than its printed rhyme "
         "([docs/lecture.md](../docs/lecture.md))"],
        ["sixpence: weights (LSTM + Dense)", f"{slide['params_total']:,}",
         f"{script['params_total']:,}", f"{lab_weights:,}",
         "the same layers; the lab one-hot encodes inside the model (a frozen layer)"],
    ]
    history = text["history"][-3:]
    for i, epoch in enumerate(slide["last_epochs"]):
        lab = next((r for r in history if int(r["epoch"]) == epoch), None)
        rows.append([f"sixpence: loss, accuracy at epoch {epoch}",
                     f"{slide['loss_last_epochs'][i]:.4f}, {slide['accuracy_last_epochs'][i]:.4f}",
                     f"{script['loss_last_epochs'][i]:.4f}, {script['accuracy_last_epochs'][i]:.4f}",
                     f"{float(lab['loss']):.4f}, {float(lab['accuracy']):.4f}" if lab else "–",
                     "one training run each: other initial weights and batch order "
                     "(the slide's is unseeded, on Keras 2)" if i == 0 else "as above"])
    ran = dict(zip(script["prompts"], script["generated"]))
    for prompt, printed in zip(slide["prompts"], slide["generated"]):
        here, lab = ran.get(prompt), text["greedy"].get(prompt)
        rows.append([f"sixpence: {prompt!r} + 20 greedy characters", f"`{printed}`",
                     f"`{here}`" if here else "–", f"`{lab}`" if lab else "–",
                     prompt_note(prompt, text["text"], meta["window"])])
    return rows


def lecture_model(variants):
    """The name of the first many-to-one text model in ``variants`` ({name: its
    text_train section}), the lecture's network; None if there is none."""
    return next((name for name, section in variants.items()
                 if section["kind"] == "many_to_one"), None)


def section(slide, script, sine, window, text):
    """The section: ``slide`` and ``script`` as lecture/slide.json and lecture/results.json
    hold them, ``sine`` as ``sine_rows`` reads it (None: params.yaml has no model of the sine,
    so no sine rows), ``window`` the sine's (sine_data.window), ``text`` the lecture's text
    model as ``sixpence_rows`` reads it (None: no rhyme rows)."""
    rows = sine_rows(slide["sine"], script["sine"], sine, window) if sine is not None else []
    if text is not None:
        rows += sixpence_rows(slide["sixpence"], script["sixpence"], text)
    return ["## The lecture beside the lab\n",
            "What the slides print, what the lecture's scripts (`lecture/`, Keras 3, `make "
            f"lecture`) printed on this machine ({script['machine']['cpus']} CPUs, Keras "
            f"{script['machine']['keras']}), and the lab's defaults. "
            "[docs/lecture.md](../docs/lecture.md) maps every step of the slides to the lab.\n",
            table(rows, ["", "slide", "lecture script, here", "lab", "why they differ"])]
