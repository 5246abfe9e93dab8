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
