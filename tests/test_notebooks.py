"""Committed notebooks are executed top to bottom, portable, and listed in the README."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MACHINE_PATH = re.compile(r"(/home/|/Users/|/root/|/work/|/tmp/|[A-Z]:\\\\Users)")
TF_LOG = re.compile(r"^[IWE]\d{4} [\d:.]+\s+\d+ \S+:\d+\]", re.M)


def test_there_are_notebooks_and_they_are_numbered():
    assert NOTEBOOKS, "no notebooks committed"
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), f"{path.name} does not follow NN_topic.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_executed_and_portable(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert None not in counts, "some code cells were not executed"
    assert counts == sorted(counts) and len(set(counts)) == len(counts), "cells not executed top to bottom in one run"
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"], "error outputs are stored"
    text = json.dumps(outputs)
    assert not MACHINE_PATH.search(text), f"stored outputs show a machine path: {MACHINE_PATH.search(text).group(0)}"
    streams = "".join("".join(o["text"]) for o in outputs if o["output_type"] == "stream")
    assert not TF_LOG.search(streams), "TensorFlow's C++ log lines are stored (run notebooks with `make run`)"
    figures = sum("image/png" in o.get("data", {}) for o in outputs)
    assert figures >= 1, "a notebook of this series shows at least one figure"


def test_readme_links_every_notebook():
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\((notebooks/\d\d_[a-z0-9_]+\.ipynb)\)", readme))
    committed = {f"notebooks/{p.name}" for p in NOTEBOOKS}
    assert committed <= linked, f"notebooks missing from the README's contents: {sorted(committed - linked)}"
    missing = sorted(link for link in linked if not (ROOT / link).exists())
    assert not missing, f"the README links notebooks that do not exist: {missing}"


# ------------------------------------------------------------------------- numbers quoted in the prose

DECIMAL = re.compile(r"(?<![\w.^])(\d+\.\d+)(?![\w.]*\d)")
NUMBER = re.compile(r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?")
MARKDOWN_NUMBERS_ALLOWED = {
    # notebook: decimals in its prose that are citations, formulas or definitions, not results of the run
    "*": {"0.5", "0.9", "1.0", "2.0", "3.0", "0.1", "0.01", "0.05", "0.8", "0.2", "0.4"},
}


def _prose_decimals(nb: dict) -> set[str]:
    """Decimal numbers in the markdown, with formulas ($...$), inline code and links left out."""
    found = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`|\]\([^)]*\)", " ", text, flags=re.S)
        found.update(DECIMAL.findall(text))
    return found


def _shown_numbers(nb: dict) -> list[float]:
    """Every number in the notebook's code cells and text outputs (stream, text/plain, text/markdown)."""
    chunks = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        chunks.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                chunks.append("".join(out["text"]))
            for mime in ("text/plain", "text/markdown", "text/html"):
                if mime in out.get("data", {}):
                    chunks.append("".join(out["data"][mime]))
    values = []
    for token in NUMBER.findall("\n".join(chunks).replace(",", "")):
        try:
            values.append(float(token))
        except ValueError:
            pass
    return values


def quoted_number_is_shown(quoted: str, shown: list[float]) -> bool:
    """``quoted`` (e.g. "99.42") equals a shown value rounded to the quoted precision, or that value as a
    percentage (0.9942 -> 99.42) or as a fraction (99.42 % -> 0.9942)."""
    decimals = len(quoted.split(".")[1])
    target = float(quoted)
    tolerance = 0.5 * 10.0**-decimals + 1e-9
    return any(abs(abs(v) * scale - target) <= tolerance for v in shown for scale in (1.0, 100.0, 0.01))


def test_quoted_number_matching():
    assert quoted_number_is_shown("99.42", [0.99421])
    assert quoted_number_is_shown("0.75", [0.7512])
    assert quoted_number_is_shown("2.5", [2.46])
    assert not quoted_number_is_shown("2.5", [2.56, 0.0244, 256.0, -2.44])
    assert not quoted_number_is_shown("99.42", [0.9953])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_decimal_in_the_prose_is_shown_by_the_notebook(path):
    nb = json.loads(path.read_text())
    shown = _shown_numbers(nb)
    allowed = MARKDOWN_NUMBERS_ALLOWED["*"] | MARKDOWN_NUMBERS_ALLOWED.get(path.stem, set())
    unbacked = sorted(q for q in _prose_decimals(nb) - allowed if not quoted_number_is_shown(q, shown))
    assert not unbacked, (
        f"{path.name}: the markdown quotes {unbacked}, but no code cell or text output of this notebook shows "
        "them (print the number, or use helpers.claims.claim)"
    )


NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
                "seventeen eighteen nineteen twenty").split()


COMPANION = ROOT / "notebooks" / "10_filling_the_gaps_deeper.ipynb"


def test_start_page_counts_the_chapters_and_notebooks_there_are():
    """"Fourteen chapters (fifteen notebooks: ...)": chapters are the notebooks that are not a deeper companion
    (``NN_topic_deeper.ipynb``); the count of notebooks is given wherever it differs, and then agrees too."""
    start = (ROOT / "notebooks" / "00_start_here.md").read_text()
    chapters = [p for p in NOTEBOOKS if not p.stem.endswith("_deeper")]
    counted = re.search(r"\b(\w+) (?:short notebooks|chapters)\b(?: \((\w+) notebooks\b)?", start)
    assert counted, "00_start_here.md no longer says how many chapters there are"
    assert counted.group(1).lower() == NUMBER_WORDS[len(chapters)], (
        f"00_start_here.md says {counted.group(1)!r} chapters; there are {len(chapters)}")
    if counted.group(2) or len(chapters) != len(NOTEBOOKS):
        assert counted.group(2) and counted.group(2).lower() == NUMBER_WORDS[len(NOTEBOOKS)], (
            f"00_start_here.md says {counted.group(2)!r} notebooks; there are {len(NOTEBOOKS)}")
