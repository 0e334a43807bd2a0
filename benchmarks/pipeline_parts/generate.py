"""Part 3: greedy generation both ways on the cold repro's trained model, in a child process
(TensorFlow stays out of the launcher): the entry script run again with --child-generate.

The lecture's loop is lecture/sixpence_generate.py's generate_seq written out again here, not
imported: importing that script runs it (as on the slide, it loads its own model and prints at
the top level), and the pipeline's model takes integer ids where the slide's takes one-hot
vectors, so the loop is given the ids and keeps what is measured, one predict() call over one
window per character. Beside the pipeline's way, the same textgen.generate on the Keras model
(what the NumPy model of rnnlab.forward.inference buys), where the copy has that module.
"""
import json
import os
import sys
import time
from pathlib import Path

from benchmarks.pipeline_parts.processes import check, fmt_ratio, measure

ENTRY = Path(__file__).resolve().parents[1] / "pipeline.py"  # runs generation_child
PROMPTS = ["Sing a son", "king was i", "hello worl"]  # the lecture's (and params.yaml's)
LECTURE_SECONDS = 2.0  # the lecture's loop repeats until at least this much work is timed
PIPELINE_LENGTH, REQUEST_LENGTH = 2000, 10_000


def generation_child(lab, model_path, vocab_path):
    """Both ways of greedy generation on one saved model; prints one JSON line."""
    sys.path.insert(0, lab)
    os.chdir(lab)
    import keras
    import numpy as np

    import rnnlab  # noqa: F401  (the copy's TensorFlow environment defaults, as in its stages)
    from rnnlab.data import vocab
    from rnnlab.forward import textgen

    voc, meta = vocab.load(vocab_path)
    window = meta["window"]
    result = {"window": window}

    # (a) the lecture's loop (lecture/sixpence_generate.py's generate_seq, given ids: see this
    # module's docstring): one model.predict per character, one prompt at a time.
    start = time.perf_counter()
    kmodel = keras.saving.load_model(model_path)
    result["keras_load_s"] = time.perf_counter() - start
    mapping_c2i, mapping_i2c = voc.index, dict(enumerate(voc.chars))

    def generate_seq(model, seq_length, seed_text, nb_chars):
        in_text = seed_text
        for _ in range(nb_chars):
            encoded = [mapping_c2i[char] for char in in_text]
            encoded = keras.utils.pad_sequences([encoded], maxlen=seq_length, truncating='pre')
            # The lecture one-hot encodes here (to_categorical, (1, 10, 34)) and predicts on
            # that; the pipeline's model takes integer ids and one-hot encodes inside (a frozen
            # identity Embedding), so it gets the (1, 10) ids: the same one predict() call per
            # character over one window, the work pattern being measured.
            yhat = np.argmax(model.predict(encoded, verbose=0), axis=-1)
            in_text += mapping_i2c[int(yhat[0])]
        return in_text

    generate_seq(kmodel, window, PROMPTS[0], 2)  # warm-up (builds predict's function): untimed
    lecture_texts, chars, start = None, 0, time.perf_counter()
    while True:
        texts = [generate_seq(kmodel, window, p, 20) for p in PROMPTS]
        lecture_texts = lecture_texts or texts
        chars += 20 * len(PROMPTS)
        elapsed = time.perf_counter() - start
        if elapsed >= LECTURE_SECONDS:
            break
    result["lecture"] = {"chars": chars, "seconds": elapsed, "cps": chars / elapsed,
                         "texts": lecture_texts}

    # (b) the pipeline's way: textgen.generate, one call per character for all prompts at once.
    try:
        from rnnlab.forward import inference
        loader = getattr(inference, "load_model", None)
    except ImportError:  # a copy from before rnnlab/forward/inference.py
        loader = None
    start = time.perf_counter()
    if loader:
        model, result["loader"] = loader(model_path), "rnnlab.forward.inference.load_model (NumPy)"
    else:
        model = keras.saving.load_model(model_path)
        result["loader"] = "keras.saving.load_model (this copy has no rnnlab.forward.inference.load_model)"
    result["pipeline_load_s"] = time.perf_counter() - start
    textgen.generate(model, voc, PROMPTS, 2, window)  # warm-up, as for the lecture's loop
    first = textgen.generate(model, voc, PROMPTS, 20, window)
    start = time.perf_counter()
    long = textgen.generate(model, voc, PROMPTS, PIPELINE_LENGTH, window)
    elapsed = time.perf_counter() - start
    result["pipeline"] = {"chars": PIPELINE_LENGTH * len(PROMPTS), "seconds": elapsed,
                          "cps": PIPELINE_LENGTH * len(PROMPTS) / elapsed, "texts": first,
                          "long_starts_alike": all(t.startswith(f) for t, f in zip(long, first))}
    start = time.perf_counter()
    request = textgen.generate(model, voc, PROMPTS[:1], REQUEST_LENGTH, window)[0]
    elapsed = time.perf_counter() - start
    result["request"] = {"chars": REQUEST_LENGTH, "seconds": elapsed,
                         "cps": REQUEST_LENGTH / elapsed, "tail": request[-60:]}
    if loader:  # beside it: the same function on the Keras model (what the NumPy pass buys)
        length = 200
        textgen.generate(kmodel, voc, PROMPTS, 2, window)
        start = time.perf_counter()
        textgen.generate(kmodel, voc, PROMPTS, length, window)
        elapsed = time.perf_counter() - start
        result["pipeline_keras"] = {"chars": length * len(PROMPTS), "seconds": elapsed,
                                    "cps": length * len(PROMPTS) / elapsed}
    print(json.dumps(result), flush=True)


def generate_part(args, lab, logs, rep):
    """Part 3: greedy generation both ways, in a child process (TensorFlow stays out of the
    launcher)."""
    gen = check(measure([sys.executable, str(ENTRY), "--child-generate", str(lab), rep["model"],
                         rep["vocab"]], lab, logs / "generate.log", args.timeout),
                "the generation child")
    g = json.loads(gen["out"].strip().splitlines()[-1])
    lcps, pcps = g["lecture"]["cps"], g["pipeline"]["cps"]
    same = [a == b for a, b in zip(g["lecture"]["texts"], g["pipeline"]["texts"])]
    print(f"3. Greedy generation on the cold repro's models/text_many_to_one.keras (LSTM(75), "
          f"window {g['window']}), one process (peak RSS {gen['peak_mb']:.1f} MB), each way "
          f"warmed up by an untimed call:\n"
          f"   lecture:  keras.saving.load_model ({g['keras_load_s']:.3f} s), model.predict(ids, "
          f"verbose=0) + argmax per character, one prompt at a time: {g['lecture']['chars']} "
          f"characters (20 x {len(PROMPTS)} prompts, repeated) in {g['lecture']['seconds']:.2f} s "
          f"= {lcps:,.1f} chars/s\n"
          f"   pipeline: {g['loader']} ({g['pipeline_load_s']:.3f} s), textgen.generate: "
          f"{PIPELINE_LENGTH:,} characters x {len(PROMPTS)} prompts in "
          f"{g['pipeline']['seconds']:.2f} s = {pcps:,.1f} chars/s\n"
          f"   pipeline / lecture: {fmt_ratio(pcps / lcps)}", flush=True)
    if "pipeline_keras" in g:
        k = g["pipeline_keras"]
        print(f"   (the same textgen.generate on the Keras model, predict_on_batch per step: "
              f"{k['chars']} characters in {k['seconds']:.2f} s = {k['cps']:,.1f} chars/s, "
              f"{k['cps'] / lcps:,.1f}x the lecture's loop)", flush=True)
    print(f"   first 20 greedy characters identical both ways: "
          f"{'yes, all 3' if all(same) else f'{sum(same)} of {len(same)}'}"
          f"{'' if g['pipeline']['long_starts_alike'] else ' (but the 2,000-character texts start differently!)'}")
    for p, a, b, s in zip(PROMPTS, g["lecture"]["texts"], g["pipeline"]["texts"], same):
        print(f"     {p!r}: lecture {a!r}  pipeline {b!r}{'' if s else '   <- differ'}")
    req = g["request"]
    print(f"   one request of {req['chars']:,} characters after {PROMPTS[0]!r}, the pipeline's "
          f"way: {req['seconds']:.2f} s ({req['cps']:,.0f} chars/s; it ends ...{req['tail']!r})\n",
          flush=True)
    return {"lecture_cps": lcps, "pipeline_cps": pcps, "request_s": req["seconds"]}
