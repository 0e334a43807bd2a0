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
