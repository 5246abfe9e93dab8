"""A quiet TensorFlow start: its known C++ start-up lines stay out of notebooks, anything else still shows.

When TensorFlow is first imported, its C++ code writes a few lines straight to file descriptor 2 (absl's
``WARNING: All log messages before absl::InitializeLog() ...``, ``I0000 ... port.cc`` about oneDNN,
``I0000 ... cudart_stub.cc`` and ``E0000 ... cuda_platform.cc ... cuInit`` on a machine without CUDA driver).
``TF_CPP_MIN_LOG_LEVEL`` does not stop them all, and Jupyter shows them as a pink stderr block.

``import helpers`` calls :func:`install`: the first ``import tensorflow`` after it (also the one inside
``import keras``) runs with descriptor 2 redirected to a temporary file, probes the devices (where the ``cuInit``
line comes from), and then writes every captured line that is *not* one of :data:`BENIGN` back to
``sys.stderr``, so real errors and warnings still appear, in the cell that imported TensorFlow. Set
``TF_CPP_MIN_LOG_LEVEL=0`` to see every line unfiltered.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

LOG_LINE = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ (?P<source>[\w.]+):\d+\] (?P<message>.*)$")
"""An absl/TensorFlow C++ log line: severity and date, time, thread, ``source.cc:line]``, the message."""

ABSL_PREAMBLE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"

BENIGN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("port.cc", re.compile(r"oneDNN custom operations are on\.")),
    ("cudart_stub.cc", re.compile(r"Could not find cuda drivers on your machine, GPU will not be used\.")),
    ("cpu_feature_guard.cc", re.compile(r"This TensorFlow binary is optimized to use available CPU instructions")),
    ("*", re.compile(r"TF-TRT Warning: Could not find TensorRT")),
    ("*", re.compile(r"Unable to register cu(DNN|FFT|BLAS) factory: Attempting to register factory for plugin")),
)
"""(source file or ``*``, message pattern) of the start-up lines that say nothing wrong on a CPU machine."""

NO_DRIVER_CUINIT = ("cuda_platform.cc", re.compile(r"failed call to cuInit"))
"""Benign only next to cudart_stub's "Could not find cuda drivers": no driver, so no GPU was expected."""

CONTINUATION = re.compile(r"^To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\.$")
"""The second line of cpu_feature_guard's message."""

SHOW_ALL_ENV = "TF_CPP_MIN_LOG_LEVEL"

__all__ = ["filter_startup_text", "Captured", "capture_fd2", "startup_lines_filtered", "install", "uninstall"]


def _matches(rule: tuple[str, re.Pattern[str]], source: str, message: str) -> bool:
    return rule[0] in ("*", source) and bool(rule[1].search(message))


def filter_startup_text(text: str) -> str:
    """``text`` without TensorFlow's known, benign start-up lines (see :data:`BENIGN`); every other line is kept.

    The ``cuInit`` failure counts as benign only when the same text says that no CUDA driver was found.
    """
    from helpers import checks

    lines = checks.string("text", text, allow_empty=True).splitlines()
    records = [LOG_LINE.match(line) for line in lines]
    no_driver = any(m and _matches(BENIGN[1], m["source"], m["message"]) for m in records)
    kept = []
    previous_dropped = False
    for line, record in zip(lines, records):
        if line.strip() == ABSL_PREAMBLE:
            drop = True
        elif record is not None:
            drop = any(_matches(rule, record["source"], record["message"]) for rule in BENIGN) or (
                no_driver and _matches(NO_DRIVER_CUINIT, record["source"], record["message"]))
        else:
            drop = previous_dropped and bool(CONTINUATION.match(line))
        previous_dropped = drop
        if not drop:
            kept.append(line)
    return "".join(f"{line}\n" for line in kept)


@dataclass
class Captured:
    """What was written to file descriptor 2 inside :func:`capture_fd2` (filled in when the block ends)."""

    text: str = ""


@contextlib.contextmanager
def capture_fd2() -> Iterator[Captured]:
    """Redirect file descriptor 2 (where C and C++ code write) to a temporary file for the block.

    Python-level ``sys.stderr`` writes that end on descriptor 2 are captured too (flushed first).
    """
    captured = Captured()
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as tmp:
            os.dup2(tmp.fileno(), 2)
            try:
                yield captured
            finally:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                os.dup2(saved, 2)
                tmp.seek(0)
                captured.text = tmp.read().decode("utf-8", errors="replace")
    finally:
        os.close(saved)


def _fd2_usable() -> bool:
    try:
        os.fstat(2)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def startup_lines_filtered() -> Iterator[None]:
    """Run the block with descriptor 2 captured; then write what is not :data:`BENIGN` to ``sys.stderr``
    (also when the block raises). With ``TF_CPP_MIN_LOG_LEVEL=0``, or no descriptor 2, nothing is captured."""
    if os.environ.get(SHOW_ALL_ENV, "").strip() == "0" or not _fd2_usable():
        yield
        return
    captured = None
    try:
        with capture_fd2() as captured:
            yield
    finally:
        rest = filter_startup_text(captured.text) if captured is not None else ""
        if rest:
            sys.stderr.write(rest)
            sys.stderr.flush()


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` for the first real import and hands it to a loader that imports it quietly."""

    def __init__(self) -> None:
        self._busy = False

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow" or self._busy:
            return None
        self._busy = True
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self._busy = False
        if spec is None or spec.loader is None:
            return None
        spec.loader = _QuietLoader(spec.loader)
        return spec


class _QuietLoader(importlib.abc.Loader):
    """Executes the ``tensorflow`` module inside :func:`capture_fd2`, then steps aside (the real loader is restored)."""

    def __init__(self, loader) -> None:
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        uninstall()
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        with startup_lines_filtered():
            self._loader.exec_module(module)
            with contextlib.suppress(Exception):  # the cuInit probe: its lines come now, not at the first op
                module.config.list_physical_devices()

    def __getattr__(self, name: str):
        return getattr(self._loader, name)


def install() -> bool:
    """Make the next ``import tensorflow`` (direct, or inside ``import keras``) quiet; returns whether a hook was
    installed (False when TensorFlow is already imported or one is installed already)."""
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietFinder) for f in sys.meta_path):
        return False
    sys.meta_path.insert(0, _QuietFinder())
    return True


def uninstall() -> None:
    """Remove the import hook of :func:`install` (a no-op when there is none)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _QuietFinder)]
