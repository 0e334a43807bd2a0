"""The documentation against the repo: numbers, links, commands and files.

- The results table on the front page (README.md, and its mirror in README.ko.md) shows the
  numbers of the committed metrics/*.json, rounded as displayed (the committed ones, as git's
  HEAD holds them: a `make repro` on another machine rewrites the workspace's with figures
  that may differ in their last digits, docs/pipeline.md); "exact (~0)" means below 1e-12,
  and a percentage ("+170.1%") is the metric's fraction times 100.
  So does the stock table of docs/evaluation.md.
- Every relative link or image in README.md, README.ko.md and docs/*.md points at a file that
  exists, and a #fragment at a heading of the page it names.
- Every `make <target>` named there is a Makefile target; every .py file named there exists.
- Every other figure on docs/*.md, lecture/README.md and README.ko.md (a decimal, a number with
  thousands separators or with a unit) is a value of a committed results file at the precision
  printed, or part of a paragraph, list item or table that names its date and machine, or one of
  a few constants listed with the reason they are no measurement (NOT_MEASURED).
- README.md stays a front page: at most 200 lines.

Reads files only (no TensorFlow, no MLflow): a second or two.
"""
import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRONT_PAGES = [ROOT / "README.md", ROOT / "README.ko.md"]
PAGES = FRONT_PAGES + sorted((ROOT / "docs").glob("*.md"))
MAX_FRONT_PAGE_LINES = 200


def committed(relative, root=ROOT):
    """The text of the file ``relative`` (to the repo ``root``) as the last commit holds it,
    which the pages describe; the file itself outside a git checkout or while git does not
    track it."""
    try:
        return subprocess.run(["git", "show", f"HEAD:{relative}"], cwd=root, capture_output=True,
                              text=True, encoding="utf-8", check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return (Path(root) / relative).read_text(encoding="utf-8")


def test_pages_are_judged_against_the_committed_results_not_a_local_repro(tmp_path):
    """`make repro` on another machine rewrites metrics/ with figures that may differ in their
    last digits; the pages describe the committed ones."""
    (tmp_path / "metrics").mkdir()
    result = tmp_path / "metrics" / "adding.json"
    result.write_text('{"mse": 0.00206}')
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm",
                    "results"], cwd=tmp_path, check=True)
    result.write_text('{"mse": 0.00203}')  # this machine's repro
    assert json.loads(committed("metrics/adding.json", tmp_path)) == {"mse": 0.00206}
    untracked = tmp_path / "metrics" / "new.json"
    untracked.write_text("{}")
    assert committed("metrics/new.json", tmp_path) == "{}"


def metric(ref):
    """'sine:test.mse.ar' -> the committed metrics/sine.json["test"]["mse"]["ar"] (None when
    absent)."""
    name, path = ref.split(":")
    value = json.loads(committed(f"metrics/{name}.json"))
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


# ---- numbers ---------------------------------------------------------------------------------

EXACT = ("exact (~0)", "정확 (~0)")  # what the pages write for a floating-point-noise figure
VALUE = r"(?:<\s*)?[+-]?\d[\d,]*(?:\.\d+)?(?:e-?\d+)?%?"


def check_value(shown, ref, where):
    """``shown`` (a cell's text) equals the metric ``ref`` as displayed; returns nothing, asserts."""
    value = metric(ref)
    assert value is not None, f"{where}: {ref} is not in metrics/"
    shown = shown.strip()
    if shown in EXACT:
        assert abs(value) < 1e-12, f"{where}: the page says exact, but {ref} is {value!r}"
        return
    if shown.startswith("<"):
        bound = float(shown[1:].strip())
        assert value < bound, f"{where}: the page says {shown}, but {ref} is {value!r}"
        return
    number, percent = shown.replace(",", ""), shown.endswith("%")
    if percent:  # a fraction shown as a percentage: '+170.1%' is 1.701
        number, value = number[:-1], value * 100
    assert re.fullmatch(r"[+-]?\d+(?:\.\d+)?(?:e-?\d+)?", number), f"{where}: {shown!r} is not a number"
    mantissa, _, exponent = number.lstrip("+-").partition("e")
    decimals = len(mantissa.partition(".")[2])
    scale = 10.0 ** int(exponent) if exponent else 1.0
    tolerance = 0.5 * 10.0 ** -decimals * scale * (1 + 1e-9)
    expected = f"{value:.{decimals}f}" if not exponent else f"{value:.{decimals}e}"
    expected += "%" if percent else ""
    assert abs(value - float(number)) <= tolerance, (
        f"{where}: the page shows {shown}, but {ref} is {value!r} (shown as {expected})")


def label_key(label):
    """The predictor a cell's label names ('AR(20)' -> 'ar', '상한(ceiling)' -> 'ceiling')."""
    text = label.lower()
    for word, key in [("buy and hold", "buy_and_hold"), ("buy-and-hold", "buy_and_hold"),
                      ("매수 후 보유", "buy_and_hold"),
                      ("predict the mean", "mean"), ("평균", "mean"),
                      ("unigram", "unigram"), ("gram", "ngram"), ("ar(", "ar"),
                      ("persistence", "persistence"), ("random walk", "persistence"),
                      ("drift", "drift"), ("ceiling", "ceiling"), ("untrained", "untrained"),
                      ("lstm", "model"), ("simplernn", "model"), ("gru", "model")]:
        if word in text:
            return key
    return None


def split_labelled(part):
    """'AR(3) exact (~0)' -> ('AR(3)', 'exact (~0)'); '4-gram 0.919' -> ('4-gram', '0.919')."""
    part = part.strip()
    for exact in EXACT:
        if part.endswith(exact):
            return part[: -len(exact)].strip(), exact
    match = re.fullmatch(rf"(.*?)\s*({VALUE})", part)
    assert match, f"no number at the end of {part!r}"
    return match.group(1).strip(), match.group(2)


def cells(line):
    return [c.strip().replace("*", "") for c in line.strip().strip("|").split("|")]


def table_after(path, marker):
    """The rows (lists of cells) of the markdown table that follows the line holding ``marker``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if marker in line]
    assert len(starts) == 1, f"{path.name}: expected one line with {marker!r}, found {len(starts)}"
    rows = []
    for line in lines[starts[0] + 1:]:
        if not line.startswith("|"):
            break
        rows.append(cells(line))
    assert len(rows) > 2, f"{path.name}: no table after {marker!r}"
    return rows[0], rows[2:]  # header, body (after the |---| line)


def m(name, path):
    return f"{name}:{path}"


TEXT_ACCURACY = {"ngram": m("text_ngram", "train.accuracy"), "unigram": m("text_unigram", "train.accuracy"),
                 "ceiling": m("text_ceiling", "train.accuracy")}
TEXT_BITS = {"ngram": m("text_ngram", "train.bits_per_char"),
             "unigram": m("text_unigram", "train.bits_per_char")}


def series(name, part, score, *predictors):
    return {p: m(name, f"{part}.{score}.{p}") for p in predictors}


# The front page's table, row by row: (example, the RNN's metric, {baseline: metric}).
HEADLINE = [
    ("1", m("sine", "train.mse.model"), series("sine", "train", "mse", "untrained", "persistence", "ar")),
    ("1", m("sine", "test.mse.model"), series("sine", "test", "mse", "persistence", "ar")),
    ("1", m("sine", "forecast.mse.model"), series("sine", "forecast", "mse", "persistence", "ar")),
    ("2", m("text_many_to_one", "train.accuracy"), TEXT_ACCURACY),
    ("2", m("text_many_to_one", "train.bits_per_char"), TEXT_BITS),
    ("3", m("text_many_to_many", "train.accuracy"), TEXT_ACCURACY),
    ("3", m("text_many_to_many", "train.sequence_accuracy"), {}),
    ("3", m("text_many_to_many", "train.bits_per_char"), TEXT_BITS),
    # example 4: the lab's model (log returns), the tutorials' (min-max scaled prices), the lab's
    # at several origins (walk-forward, pooled) and as a trading rule against buy-and-hold
    ("4", m("stock", "test.rmse.model"), series("stock", "test", "rmse", "persistence", "drift", "ar")),
    ("4", m("stock", "test.theil_u.model"), series("stock", "test", "theil_u", "persistence", "drift", "ar")),
    ("4", m("stock_tutorial", "test.theil_u.model"), series("stock_tutorial", "test", "theil_u", "persistence")),
    ("4", m("stock_walkforward", "pooled.theil_u.model"), series("stock_walkforward", "pooled", "theil_u", "drift", "ar")),
    ("4", m("stock_strategy", "strategy.cumulative_return"),
     {"buy_and_hold": m("stock_strategy", "buy_and_hold.cumulative_return")}),
    *(("5", m("adding", f"T100.{cell}.mse"), {"mean": m("adding", "T100.baseline.mse")})
      for cell in ("simple_rnn", "gru", "lstm")),
]


@pytest.mark.parametrize("page", FRONT_PAGES, ids=lambda p: p.name)
def test_headline_table_holds_the_pipelines_numbers(page):
    header, rows = table_after(page, "<!-- headline")
    assert len(rows) == len(HEADLINE), (
        f"{page.name}: the headline table has {len(rows)} rows, tests/test_docs.py knows {len(HEADLINE)}: "
        "give a new row its metrics in HEADLINE")
    example = None
    for n, (row, (number, model_ref, baseline_refs)) in enumerate(zip(rows, HEADLINE), 1):
        assert len(row) == 4, f"{page.name}, row {n}: expected 4 cells, got {row}"
        first, _, rnn, baselines = row
        if first:
            example = re.match(r"\d+", first).group()
        where = f"{page.name}, headline row {n} (example {example})"
        assert example == number, f"{where}: expected example {number}"
        check_value(rnn, model_ref, f"{where}, RNN")
        found = {}
        for part in filter(None, (p.strip() for p in baselines.split("·"))):
            label, shown = split_labelled(part)
            key = label_key(label)
            assert key in baseline_refs, f"{where}: baseline {label!r} is not one tests/test_docs.py checks here"
            check_value(shown, baseline_refs[key], f"{where}, {label}")
            found[key] = shown
        assert set(found) == set(baseline_refs), (
            f"{where}: baselines shown {sorted(found)}, expected {sorted(baseline_refs)}")


STOCK_COLUMNS = {"rmse": "rmse", "mae": "mae", "mape": "mape", "theil": "theil_u", "bias": "bias",
                 "direction": "direction", "dm p": "dm_pvalue", "peak lag": "peak_lag",
                 "change r": "change_corr"}


def test_evaluation_page_stock_table_holds_the_pipelines_numbers():
    """The side-by-side table of example 4: the lab's model and the baselines against
    metrics/stock.json's test part, a row naming the tutorials' model against stock_tutorial.json's."""
    page = ROOT / "docs" / "evaluation.md"
    header, rows = table_after(page, "<!-- checked: stock-test")
    columns = []
    for title in header[1:]:
        keys = [v for k, v in STOCK_COLUMNS.items() if title.lower().startswith(k)]
        assert len(keys) == 1, f"{page.name}: column {title!r} is not one tests/test_docs.py knows"
        columns.append(keys[0])
    seen = set()
    for row in rows:
        assert len(row) == len(header), f"{page.name}: row {row[0]!r} has {len(row)} cells, the header {len(header)}"
        predictor = label_key(row[0])
        assert predictor, f"{page.name}: row {row[0]!r} names no predictor tests/test_docs.py knows"
        name = "stock_tutorial" if "tutorial" in row[0].lower() else "stock"
        assert name == "stock" or predictor == "model", f"{page.name}: row {row[0]!r}: which model?"
        seen.add((name, predictor))
        for score, shown in zip(columns, row[1:]):
            ref = m(name, f"test.{score}.{predictor}")
            where = f"{page.name}, {row[0]}, {score}"
            if shown in ("–", "-"):
                assert metric(ref) is None, f"{where}: shown as –, but {ref} is {metric(ref)!r}"
            else:
                check_value(shown, ref, where)
    assert seen == {("stock", "model"), ("stock_tutorial", "model"), ("stock", "persistence"),
                    ("stock", "drift"), ("stock", "ar")}


def test_quoted_greedy_continuation_is_the_reports():
    report = committed("reports/README.md")
    for page in FRONT_PAGES:
        quotes = re.findall(r"`'([^'`]+)'`\s*(?:continues as|→)\s*`'([^'`]+)'`", page.read_text(encoding="utf-8"))
        assert quotes, f"{page.name}: quotes no generated text"
        for prompt, text in quotes:
            assert f"'{prompt}' -> '{text}'" in report, (
                f"{page.name}: {prompt!r} -> {text!r} is not a continuation in reports/README.md")


# ---- links, commands, files -----------------------------------------------------------------

def prose(text):
    """The text without fenced code blocks, HTML comments and inline code spans."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    return re.sub(r"`[^`]*`", "", text)


def code(text):
    """Fenced code blocks and inline code spans, concatenated."""
    blocks = re.findall(r"^```.*?^```", text, flags=re.S | re.M)
    rest = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return "\n".join(blocks + re.findall(r"`([^`]*)`", rest))


def slug(heading):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = text.replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path):
    seen, out = {}, set()
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    for heading in re.findall(r"^#{1,6}\s+(.*?)\s*#*\s*$", text, flags=re.M):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files_that_exist(page):
    broken = []
    for target in LINK.findall(prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, flags=re.I):  # http:, https:, mailto:
            continue
        path, _, fragment = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target} (no {dest.relative_to(ROOT) if ROOT in dest.parents else dest})")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            broken.append(f"{target} (no heading #{fragment} in {dest.relative_to(ROOT)})")
    assert not broken, f"{page.relative_to(ROOT)}: broken links: " + "; ".join(dict.fromkeys(broken))


def makefile_targets():
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, flags=re.M))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_named_make_targets_and_python_files_exist(page):
    text = page.read_text(encoding="utf-8")
    commands = code(text)
    targets = makefile_targets()
    unknown = sorted({t for t in re.findall(r"\bmake ([a-z][a-z0-9_-]*)", commands)} - targets)
    assert not unknown, f"{page.relative_to(ROOT)} names make targets the Makefile does not have: {unknown}"
    files = set(re.findall(r"(?<![\w/.<-])((?:rnnlab|stages|benchmarks|tests|lecture|docs)/[\w/.-]*\.py)\b", text))
    missing = sorted(f for f in files if not (ROOT / f).exists())
    for module in re.findall(r"python -m ((?:rnnlab|stages|benchmarks|lecture)(?:\.\w+)+)", text):
        path = ROOT / module.replace(".", "/")
        if not (path.with_suffix(".py").exists() or (path / "__main__.py").exists()):
            missing.append(f"python -m {module}")
    assert not missing, f"{page.relative_to(ROOT)} names files that do not exist: {missing}"


def test_front_page_stays_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_FRONT_PAGE_LINES, (
        f"README.md has {lines} lines (at most {MAX_FRONT_PAGE_LINES}): move detail to a page of docs/")


# ---- every number on every page ---------------------------------------------------------------
#
# Beyond the tables above, every figure a reader would trust on the pages below is either
#  (a) a value of a committed results file (SOURCES, and a page's own PAGE_SOURCES), equal to it
#      at the precision printed ("0.9976" is any value in [0.99755, 0.99765]; a percentage may
#      be a fraction times 100; "1.1e35" is compared in its own exponent), or
#  (b) part of a dated measurement: its paragraph, list item, table row or code block, the
#      paragraph that introduces its list, table or code block, or its section's heading names a
#      date (2026-11-28) and a machine ("2 cores", "the lab's 2-core machine", "코어 2개"). A time, a memory size or a rate (s, min, MB, chars/s, ...)
#      must be dated even when some results file happens to hold its value: timings vary
#      from machine to machine and do not repeat, or
#  (c) in NOT_MEASURED, a short list of constants that are no measurement, each with its reason.
# "A figure": a decimal (0.990, 17.4, 1.1e35), a number with thousands separators (2,537), or a
# number with a unit of time, size, ratio, share or count (80 s, 2.5 GB, 2.58x, 52%, 5 bp, 396
# windows) or a time in words (about eleven minutes). Not scanned: code (fenced blocks but their
# `# comments`, and `spans`: commands, params, sample output), HTML comments, link targets,
# dates, versions (Python 3.11, MLflow 3.17), and README.md (its table is checked above; its
# prose is not yet held to this).

NUMBER_PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "lecture" / "README.md", ROOT / "README.md",
                                                       ROOT / "README.ko.md"]
SOURCES = ["metrics/*.json", "lecture/results.json", "lecture/slide.json", "params.yaml",
           "reports/README.md", "benchmarks/variants.json"]
PAGE_SOURCES = {  # files a page quotes rows of, beyond SOURCES (too many values to hold for all)
    "docs/serving.md": ["predictions/stock_test.csv", "predictions/stock_tutorial_test.csv"],
    "docs/evaluation.md": ["rows:data/msft.csv", "plots/stock_forecast.csv", "plots/stock_tutorial_forecast.csv",
                           "predictions/stock_test.csv"],
    "docs/why-lstm.md": ["plots/adding/*.csv"],
}
NOT_MEASURED = {  # (page, the number as printed): why it is no measurement
    ("docs/serving.md", "3.4e38"): "float32's largest value",
    ("docs/serving.md", "60 s"): "MLflow's server's request timeout, a setting",
    ("docs/params.md", "1,000,000"): "the params check's bound on adding_data.train_size",
    ("docs/params.md", "23 GiB"): "the memory check's arithmetic for that example, not a measurement",
    ("docs/lecture.md", "0.9697"): "384/396, the accuracy next to the slide's with 396 windows, worked out",
    ("docs/lecture.ko.md", "0.9697"): "384/396, as in lecture.md",
    ("docs/experiments.md", "ten seconds"): "how often the epochs' metrics are sent, a setting",
    ("docs/team.md", "11 MB"): "the size of pgserver's wheel, a fact of the package",
    ("docs/tests.md", "10 GiB"): "the size of a test's (sparse) price file, a setting of the test",
    ("docs/tests.md", "1e-12"): "the threshold below which the pages write 'exact', a setting",
    ("docs/troubleshooting.md", "13 s"): "MLflow's retry schedule (waits of 0, 4 and 8 s), not a timing",
    ("docs/troubleshooting.md", "2 s"): "the watcher thread's grace period (rnnlab/core/lifeline.py)",
}
DATE = re.compile(r"(?<!\d)20\d\d-[01]\d-[0-3]\d(?!\d)")
MACHINE = re.compile(r"\bcores?\b|-core\b|\bmachine\b|\bCPUs?\b|코어|기계", re.I)
TIMING_UNITS = (r"ms|s|sec|seconds?|min|minutes?|hours?|MB|GB|KB|MiB|GiB|chars/s|characters/s|"
                r"requests/s|초|분|시간")
KOREAN_UNITS = r"초|분(?!의)|시간"  # a particle may follow (17초로); 10분의 1 is a tenth
OTHER_UNITS = r"x|×|%|bp|windows|epochs|trades|rows|days|parameters|weights"
WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
         r"forty")
FIGURE = re.compile(
    r"(?<![\w.,/#:])(?<!\w-)(?:"
    rf"(?P<words>\b(?:{WORDS})(?: and a half)?(?= (?:minutes?|hours?|seconds?)\b))|"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+(?:e[+-]?\d+)?|\d+e[+-]?\d+"
    rf"|\d+(?=\s?(?:(?:{TIMING_UNITS}|{OTHER_UNITS})(?![\w/])|{KOREAN_UNITS})))"
    r")(?![\w.]*\d)(?:\s?(?P<unit>(?:" + TIMING_UNITS + "|" + OTHER_UNITS + r")(?![\w/])|" + KOREAN_UNITS + "))?")
# A time that is a setting, not a measurement: "timeout 30 s", "every 30 s", "for 10 minutes",
# "a 20 s busy timeout", "ten seconds at most".
SETTING_BEFORE = re.compile(r"(?:timeout|every|for|at most|within(?: about)?|larger than)\s+(?:a\s+|~|about\s+)?$", re.I)
SETTING_AFTER = re.compile(r"^\s*(?:busy timeout|timeout|at most|password cache)")
VERSION = re.compile(r"(?:Python|MLflow|DVC|Keras|TensorFlow|NumPy|pandas|PostgreSQL|Ubuntu)\s+$", re.I)


def masked(text):
    """The page with code, HTML comments, link targets, commit ids and addresses blanked out, line
    for line."""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group())  # noqa: E731

    def comments_only(m):  # a code block's comments are prose: "make test  # about 11 minutes"
        return "\n".join(re.sub(r"^(.*?)((?:^|\s)#\s.*)?$", lambda c: " " * len(c.group(1)) + (c.group(2) or ""),
                                 line) for line in m.group().split("\n"))

    text = re.sub(r"^```.*?^```", comments_only, text, flags=re.S | re.M)
    text = re.sub(r"<!--.*?-->", blank, text, flags=re.S)
    text = re.sub(r"`[^`]*`", blank, text)
    text = re.sub(r"\]\([^)\s]*\)", blank, text)
    # a commit id, which may read as a number (6e2487f: 6e2487)
    text = re.sub(r"\b(?=[0-9a-f]{7,40}\b)(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]+\b", blank, text)
    return re.sub(r"https?://\S+", blank, text)


def blocks(text):
    """Each line's context, as line ranges: its block (a paragraph, a list item, a table's row,
    or a code block), the paragraph that introduces its table, code block or list, if any, and
    its section's heading."""
    lines = text.splitlines()
    spans, start = [], None
    for i, line in enumerate(lines + [""]):
        item = re.match(r"\s{0,3}(?:[-*+]|\d+\.)\s", line)
        if start is not None and (not line.strip() or item or line.startswith("#")):
            spans.append((start, i - 1))
            start = None
        if line.strip() and start is None:
            start = i
    owner, intro, heading = {}, None, None
    for n, (first, last) in enumerate(spans):
        head = lines[first].lstrip()
        context = [(first, last)]
        if head.startswith("#"):
            heading, intro = (first, first), None
        elif re.match(r"(?:[-*+]|\d+\.)\s", head):
            context.append(intro)
        else:
            caption = spans[n - 1] if n and spans[n - 1][1] >= first - 2 else None
            if head.startswith(("|", "```")) and caption:
                context.append(caption)
            intro = (first, last)
        context.append(heading)
        for i in range(first, last + 1):
            if head.startswith("|"):  # a table row: itself, the table's caption, the heading
                owner[i] = [c for c in [(i, i), *context[1:]] if c]
            else:
                owner[i] = [c for c in context if c]
    return lines, owner


def source_values(patterns):
    values = []

    def walk(v):
        if isinstance(v, bool):
            return
        if isinstance(v, (int, float)):
            values.append(float(v))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for pattern in patterns:
        if pattern.startswith("rows:"):  # how many data rows a CSV file has (its header aside)
            values.append(float(committed(pattern[5:]).strip().count("\n")))
            continue
        names = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(pattern))
        assert names, f"no committed file {pattern}"
        for name in names:
            text = committed(name)
            if name.endswith(".json"):
                walk(json.loads(text))
            elif name.endswith(".csv"):
                for cell in re.split(r"[,\n]", text):
                    try:
                        values.append(float(cell))
                    except ValueError:
                        pass
            elif name.endswith((".yaml", ".md")):  # every number in it
                for x in re.findall(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?", text):
                    try:
                        values.append(float(x.replace(",", "")))
                    except ValueError:
                        pass
    return values


def holds(values, shown):
    """Whether a value rounds to ``shown`` at its printed precision (or, times 100, a share)."""
    number = shown.replace(",", "")
    mantissa, _, exponent = number.partition("e")
    decimals = len(mantissa.partition(".")[2])
    scale = 10.0 ** int(exponent) if exponent else 1.0
    tolerance = 0.5 * 10.0 ** -decimals * scale * (1 + 1e-9)
    x = float(number)
    return any(abs(abs(v) - x) <= tolerance or abs(abs(v) * 100 - x) <= tolerance for v in values)


def unsourced_figures(name, text, values, not_measured=NOT_MEASURED):
    """(line number, figure, line) of every figure of the page ``name`` (its ``text``) that none
    of (a)-(c) accounts for."""
    lines, owner = blocks(masked(text))
    out = []
    for i, line in enumerate(lines):
        for match in FIGURE.finditer(line):
            if VERSION.search(line[: match.start()]) or DATE.search(line[max(0, match.start() - 8):match.end() + 8]):
                continue
            shown = match.group("number") or match.group("words")
            unit = match.group("unit") or ("minutes" if match.group("words") else "")
            if {(name, shown), (name, f"{shown} {unit}".strip())} & set(not_measured):
                continue
            timing = bool(re.fullmatch(TIMING_UNITS, unit)) if unit else False
            if timing and (SETTING_BEFORE.search(line[: match.start()])
                           or SETTING_AFTER.search(line[match.end():])):
                continue
            block = "\n".join("\n".join(lines[a:b + 1]) for a, b in owner[i])
            dated = bool(DATE.search(block) and MACHINE.search(block))
            if dated or (not timing and match.group("number") and holds(values, shown)):
                continue
            out.append((i + 1, f"{shown} {unit}".strip(), line.strip()))
    return out


@pytest.fixture(scope="module")
def committed_values():
    return source_values(SOURCES)


@pytest.mark.parametrize("page", NUMBER_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_figure_comes_from_a_results_file_or_a_dated_measurement(page, committed_values):
    name = str(page.relative_to(ROOT))
    extra = source_values(PAGE_SOURCES.get(name, []))
    found = unsourced_figures(name, page.read_text(encoding="utf-8"), committed_values + extra)
    assert not found, (
        f"{page.relative_to(ROOT)}: figures held by no committed results file ({', '.join(SOURCES)}) "
        "and not part of a paragraph, list item or table that names its date and machine:\n"
        + "\n".join(f"  line {n}: {shown}   | {line[:140]}" for n, shown, line in found))


def test_every_constant_listed_as_not_measured_is_still_on_its_page(committed_values):
    """NOT_MEASURED stays short: an entry whose figure left its page, or that a results file or
    a date now accounts for, goes."""
    stale = []
    for name in sorted({page for page, _ in NOT_MEASURED}):
        page = ROOT / name
        values = committed_values + source_values(PAGE_SOURCES.get(name, []))
        found = unsourced_figures(name, page.read_text(encoding="utf-8"), values, not_measured={})
        shown = {figure for _, figure, _ in found} | {figure.split(" ")[0] for _, figure, _ in found}
        stale += [f"{name}: {figure}" for page_name, figure in NOT_MEASURED
                  if page_name == name and figure not in shown]
    assert not stale, f"NOT_MEASURED lists figures no page needs it for: {stale}"


def test_an_unsourced_or_undated_figure_is_caught(committed_values):
    cases = {
        "Accuracy 0.990 on the rhyme.": [],                          # metrics: 0.98989...
        "Accuracy 0.9777 on the rhyme.": ["0.9777"],                 # no committed value rounds to it
        "AR(3)'s mse on the sine is about 1e-31.": ["1e-31"],        # it is 3.75e-31: 4e-31
        "AR(3)'s mse on the sine is about 4e-31.": [],
        "The rhyme gives 397 windows.": ["397 windows"],             # 396 (the slide: 399)
        "Walk-forward took 17.4 s.": ["17.4 s"],                     # a timing, undated
        "Walk-forward took 17.4 s (2026-11-28, the lab's 2-core machine).": [],
        "Walk-forward took about twenty minutes.": ["twenty minutes"],
        "파이프라인은 약 4분 30초 걸립니다.": ["4 분", "30 초"],
        "2026-11-28에 CPU 코어 2개에서 257초 걸렸습니다.": [],
        "A request waits at most 30 s (timeout 30 s).": [],          # settings
        "| a | b |\n|---|---|\n| x | 1,234 |": ["1,234"],
        "On 2 cores (2026-12-07):\n\n| a | b |\n|---|---|\n| x | 1,234 |": [],
        "Python 3.11, from 2013-02-13, `lr 0.123`, [x](a/1.2.md).": [],
    }
    for text, expected in cases.items():
        found = unsourced_figures("docs/probe.md", text, committed_values)
        assert [shown for _, shown, _ in found] == expected, (text, found)
