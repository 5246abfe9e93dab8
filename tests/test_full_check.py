"""`make check`'s comparison (the strict-nbval part of the root conftest.py), on a tiny notebook in a temporary folder.

The notebook's stored outputs are known: one cell matches apart from a duration (sanitized), one has a falsified
number, one a changed figure. pytest runs it under strict nbval in a subprocess with the project's conftest.py;
the first cell must pass and the other two must fail, each naming the notebook, the cell, the first differing
line and the command that refreshes the stored outputs.
"""

import base64
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def png(value: int) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.full((4, 4), value, dtype=np.uint8)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def printing_cell(printed: str, stored: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(f"print({printed!r})", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
    return cell


def figure_cell(shown: str, stored: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(
        f"from IPython.display import display\ndisplay({{'image/png': {shown!r}, 'text/plain': 'figure'}}, raw=True)",
        execution_count=1)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": stored, "text/plain": "figure"})]
    return cell


@pytest.fixture(scope="module")
def verdict(tmp_path_factory):
    """pytest's output for a notebook with a matching cell, a falsified number and a changed figure."""
    folder = tmp_path_factory.mktemp("check")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        printing_cell("errors: 42 in 3.5 s", "errors: 42 in 9.1 s\n"),  # only a duration differs: passes
        printing_cell("errors: 42", "errors: 41\n"),  # a falsified stored number
        figure_cell(png(2), png(1)),  # a figure that changed
        figure_cell(png(3), png(3)),  # the same figure: passes
    ]
    for i, cell in enumerate(nb.cells):
        cell.execution_count = i + 1
    nbformat.write(nb, folder / "07_tiny.ipynb")
    shutil.copy(ROOT / "conftest.py", folder / "conftest.py")
    shutil.copy(ROOT / "tests" / "nbval_sanitize.cfg", folder / "sanitize.cfg")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-q", "-rf", "--nbval",
         "--nbval-current-env", "--nbval-sanitize-with", "sanitize.cfg", "07_tiny.ipynb"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )
    return result.stdout


def test_matching_cells_pass_and_stale_ones_fail(verdict):
    assert re.search(r"\b2 failed, 2 passed\b", verdict), verdict[-3000:]
    failed = set(re.findall(r"^FAILED 07_tiny.ipynb::(Cell \d)", verdict, flags=re.M))
    assert failed == {"Cell 1", "Cell 2"}, verdict[-3000:]


def test_a_falsified_number_names_the_cell_the_line_and_the_refresh(verdict):
    assert "07_tiny.ipynb, code cell 2 (nbval's 'Cell 1', starting \"print('errors: 42')\"): the stored output " \
           "is stale — stdout line 1: stored 'errors: 41', now 'errors: 42'." in verdict
    failures = verdict.split("short test summary info")[0]  # (the summary repeats messages where CI is set)
    assert failures.count("refresh the stored outputs with `make run NB=07`") == 2


def test_a_changed_figure_is_named_by_its_digest(verdict):
    stale = re.search(r"07_tiny.ipynb, code cell 3 .*?image/png line 1: stored '(sha256:\w+) \(\d+ bytes\)', "
                      r"now '(sha256:\w+)", verdict)
    assert stale, verdict[-3000:]
    assert stale.group(1) != stale.group(2)
