"""Test-suite configuration shared by the unit tests and nbval.

- Every test run takes the CI fast path (``MNIST_OIP_FAST=1``, read through ``helpers.device``) unless the
  caller set the variable: notebook kernels inherit this environment.
- TensorFlow's C++ start-up lines go to stderr and differ between machines, so nbval never compares stderr.
- Under strict nbval (``make check``: the full path, no ``--nbval-lax``) every output is compared with the stored
  one, figures included: PNG and GIF images by their SHA-256 digest and size, so that a difference reads as one
  line instead of a page of base64. A cell whose outputs differ is reported with the notebook, the cell, the first
  differing line and the command that refreshes the stored outputs when the change was intended.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

os.environ.setdefault("MNIST_OIP_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

NEVER_COMPARED = ("stderr", "text/html", "application/javascript", "application/vnd.jupyter.widget-view+json")
IMAGES = ("image/png", "image/gif", "image/jpeg")


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += NEVER_COMPARED
        if not collector.config.option.nbval_lax:  # make check: figures are compared too
            collector.skip_compare = tuple(k for k in collector.skip_compare if k not in IMAGES)


def image_digest(data) -> str:
    """A base64 image as one comparable line: its SHA-256 (first 16 hex digits) and size in bytes."""
    raw = base64.b64decode("".join(data) if isinstance(data, list) else data)
    return f"sha256:{hashlib.sha256(raw).hexdigest()[:16]} ({len(raw):,} bytes)"


def comparable(outputs):
    """Copies of nbval's outputs with every image replaced by :func:`image_digest`."""
    from nbformat import NotebookNode

    copies = []
    for out in outputs:
        out = NotebookNode(out)
        if "data" in out:
            out["data"] = {k: (image_digest(v) if k in IMAGES else v) for k, v in out["data"].items()}
        copies.append(out)
    return copies


def output_lines(item, outputs) -> list[str]:
    """The compared outputs of one cell as sanitized lines, each prefixed by its kind (stdout, text/plain, ...)."""
    lines = []
    for out in outputs:
        if out.get("output_type") == "stream":
            parts = [] if out.get("name") in NEVER_COMPARED else [(out.get("name"), out.get("text", ""))]
        else:
            parts = [(k, v) for k, v in out.get("data", {}).items() if k not in item.parent.skip_compare]
        for kind, value in parts:
            text = item.sanitize("".join(value) if isinstance(value, list) else value)
            lines += [f"{kind}: {line}" for line in str(text).splitlines()]
    return lines


def first_difference(stored: list[str], fresh: list[str]) -> str:
    for i, (a, b) in enumerate(zip(stored, fresh)):
        if a != b:
            return f"output line {i + 1}: stored {a!r}, now {b!r}"
    if len(stored) != len(fresh):
        i = min(len(stored), len(fresh))
        extra = (stored if len(stored) > len(fresh) else fresh)[i]
        return f"output line {i + 1}: {'stored' if len(stored) > len(fresh) else 'now'} only: {extra!r}"
    return "the outputs differ in kind or order"


def refresh_hint(path: Path) -> str:
    number = re.match(r"\d\d", path.name)
    return f"make run NB={number.group(0)}" if number else f"make run NB={path.stem}"


def _install_comparison() -> None:
    """Wrap nbval's comparison (strict runs only) with image digests and a first-difference summary."""
    from nbval.plugin import IPyNbCell, coalesce_streams

    original = IPyNbCell.compare_outputs
    if getattr(original, "_mnist_oip", False):
        return

    def compare_outputs(self, test, ref, skip_compare=None):
        test, ref = comparable(test), comparable(ref)
        if original(self, test, ref, skip_compare):
            return True
        stored, fresh = (output_lines(self, coalesce_streams(outs)) for outs in (ref, test))
        path = Path(str(self.fspath))
        self.comparison_traceback.insert(0, (
            f"{path.name}, code cell {self.cell_num + 1} (nbval's 'Cell {self.cell_num}', starting "
            f"{self.cell.source.splitlines()[0] if self.cell.source else ''!r}): the stored output is stale — "
            f"{first_difference(stored, fresh)}.\n"
            f"If the change was intended, refresh the stored outputs with `{refresh_hint(path)}` and commit them.\n"
        ))
        return False

    compare_outputs._mnist_oip = True
    IPyNbCell.compare_outputs = compare_outputs


def pytest_configure(config):
    if hasattr(config.option, "nbval_lax") and not config.option.nbval_lax and config.option.nbval:
        _install_comparison()
