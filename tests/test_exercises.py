"""Exercises that run: each notebook keeps its adjustable numbers in one cell tagged ``parameters`` near its top,
and lists its exercise variants in its metadata (``metadata["mnist_oip"]["exercises"]``)::

    {"exercise": "1", "parameters": {"CHOSEN_CLASSES": "(7, 2, 8)"}}

(values are Python source). The quick tests (always run) check that every variant names parameters of that cell;
``make exercises`` (CI runs it) executes every variant on the fast path — the parameters cell's values replaced —
and asserts the notebook runs to its end.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RUN_ENV = "MNIST_OIP_EXERCISES"
FIRST_CODE_CELLS = 3
"""The parameters cell is among the first code cells (after the imports)."""


def parameters_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """The code cell tagged ``parameters``, or None."""
    tagged = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    return tagged[0] if len(tagged) == 1 else None


def assigned_names(source: str) -> set[str]:
    """The names a cell assigns at its top level."""
    names = set()
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def variants() -> list[tuple[Path, dict]]:
    found = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for variant in nb.metadata.get("mnist_oip", {}).get("exercises", []):
            found.append((path, variant))
    return found


def with_parameters(nb: nbformat.NotebookNode, parameters: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose parameters cell ends by assigning ``parameters`` (Python source values)."""
    nb = nbformat.from_dict(nb)
    cell = parameters_cell(nb)
    overrides = "\n".join(f"{name} = {value}  # exercise variant" for name, value in parameters.items())
    cell.source = f"{cell.source.rstrip()}\n{overrides}\n"
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2] + p.stem[2:].split("_", 2)[-1][:0])
def test_every_notebook_has_one_parameters_cell_near_its_top(path):
    nb = nbformat.read(path, as_version=4)
    cell = parameters_cell(nb)
    assert cell is not None, f"{path.name}: no single code cell tagged 'parameters'"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code.index(cell) < FIRST_CODE_CELLS, f"{path.name}: the parameters cell should be among the first code cells"
    assert assigned_names(cell.source), f"{path.name}: the parameters cell assigns nothing"


@pytest.mark.parametrize("path, variant", variants(), ids=lambda v: v.name[:2] if isinstance(v, Path) else f"ex{v['exercise']}")
def test_every_exercise_variant_names_parameters_of_the_parameters_cell(path, variant):
    nb = nbformat.read(path, as_version=4)
    names = assigned_names(parameters_cell(nb).source)
    unknown = set(variant["parameters"]) - names
    assert variant["parameters"] and not unknown, f"{path.name} exercise {variant['exercise']}: {sorted(unknown)} not in the parameters cell"
    for value in variant["parameters"].values():
        ast.parse(value, mode="eval")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for name in variant["parameters"]:
        assert f"`{name}" in text, f"{path.name}: exercise {variant['exercise']} changes {name}, which no markdown names"


def test_the_exercise_variants_are_listed():
    assert len(variants()) >= len(NOTEBOOKS), "most notebooks should list at least one exercise variant"


@pytest.mark.skipif(os.environ.get(RUN_ENV) != "1", reason="executed by `make exercises` (CI runs it)")
@pytest.mark.parametrize("path, variant", variants(), ids=lambda v: v.name[:2] if isinstance(v, Path) else f"ex{v['exercise']}")
def test_an_exercise_variant_runs_to_the_end(path, variant, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("MNIST_OIP_FAST", "1")
    monkeypatch.delenv("MNIST_OIP_STRICT", raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = with_parameters(nbformat.read(path, as_version=4), variant["parameters"])
    client = NotebookClient(nb, timeout=900, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors and all(c.get("execution_count") for c in code if c.source.strip())
