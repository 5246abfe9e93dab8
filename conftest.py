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
AGG_SET_HERE = "MPLBACKEND" not in os.environ
os.environ.setdefault("MPLBACKEND", "Agg")  # unit tests draw off-screen; see pytest_configure for the kernels

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


def output_lines(item, outputs) -> list[tuple[str, str]]:
    """The compared outputs of one cell as sanitized ``(kind, line)`` pairs (kind: stdout, text/plain, image/png...)."""
    lines = []
    for out in outputs:
        if out.get("output_type") == "stream":
            parts = [] if out.get("name") in NEVER_COMPARED else [(out.get("name"), out.get("text", ""))]
        else:
            parts = [(k, v) for k, v in out.get("data", {}).items() if k not in item.parent.skip_compare]
        for kind, value in parts:
            text = item.sanitize("".join(value) if isinstance(value, list) else value)
            lines += [(kind, line) for line in str(text).splitlines()]
    return lines


def first_difference(stored: list[tuple[str, str]], fresh: list[tuple[str, str]]) -> str:
    """The first line that differs, kind by kind (nbval compares each kind of output on its own)."""
    kinds = list(dict.fromkeys(kind for kind, _ in stored + fresh))
    for kind in kinds:
        old = [line for k, line in stored if k == kind]
        new = [line for k, line in fresh if k == kind]
        for i, (a, b) in enumerate(zip(old, new)):
            if a != b:
                return f"{kind} line {i + 1}: stored {a!r}, now {b!r}"
        if len(old) > len(new):
            return f"{kind} line {len(new) + 1}: stored {old[len(new)]!r}, now nothing"
        if len(new) > len(old):
            return f"{kind} line {len(old) + 1}: stored nothing, now {new[len(old)]!r}"
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


NOTEBOOK_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report):
    """Add up the time of every notebook's cells (strict runs report it at the end)."""
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        NOTEBOOK_SECONDS[path] = NOTEBOOK_SECONDS.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter, config):
    if not NOTEBOOK_SECONDS or config.option.nbval_lax:
        return
    terminalreporter.section("full-path time per notebook")
    for path, seconds in NOTEBOOK_SECONDS.items():
        terminalreporter.write_line(f"{Path(path).stem:40s} {seconds:7.0f} s")
    terminalreporter.write_line(f"{'all':40s} {sum(NOTEBOOK_SECONDS.values()):7.0f} s; load average at the end "
                                f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def pytest_configure(config):
    if hasattr(config.option, "nbval_lax") and not config.option.nbval_lax and config.option.nbval:
        _install_comparison()
        if AGG_SET_HERE:  # kernels draw inline, as in `make run`: figures are part of the stored outputs
            del os.environ["MPLBACKEND"]
