"""Shared helpers for the mnist-oip notebooks, one concern per module (the README's helpers table says more).

- ``device``: CPU/GPU choice, threads, seeds, the CI fast-path switch
- ``data``: verified offline MNIST loading and the standardization
- ``model``: the CNN, training recipes, atomic saving with a JSON record, checked loading
- ``activations``: sub-models to named layers, batched extraction, class aggregates, similarity
- ``objectives``: what an OIP maximizes (maps, nodes, units, class logits, directions), added and scaled
- ``oip``: original input patterns by batched gradient ascent on the input (``AscentSettings``: damping,
  transformation robustness, regularizers, Fourier parameterization, diversity, precision), precursor scans; a
  package of small parts (settings, starts, reading, one file per family of tricks, engine, driver)
- ``stimuli``: drawn strokes (lines, arcs) and their turned and moved copies, for tuning curves (notebook 09)
- ``claims``: checked statements of the prose, folded per section; strict only where the text is produced
- ``attribution``: saliency, SmoothGrad, Grad-CAM, integrated gradients, sanity checks
- ``patterns``: shifts, dominant wavelengths and fits of rotated/shifted copies of patterns such as OIPs
- ``distributions``: limiting distributions, maximum entropy, extreme values (notebook 11)
- ``explorer``: an ipywidgets OIP explorer over plain, tested logic
- ``plotting``: the series' figure style, image grids, galleries, attribution tables, curves, atomic figure saving
- ``startup``: a quiet TensorFlow import (known C++ start-up lines filtered, others shown)
- ``files``: atomic writes, checksums, and a cache of long results keyed by their settings and code
- ``checks``: argument checks (integers, finite numbers and arrays, nodes) with messages naming what is valid

Modules are imported explicitly, e.g. ``from helpers import data, plotting``.
"""

import os as _os

# TensorFlow reads these once, at import; set here because notebooks import helpers before TensorFlow. The level
# keeps TensorFlow's C++ info lines out of notebook outputs unless the user has chosen one; Keras runs on
# TensorFlow. The lines TensorFlow writes before it reads the level (absl's "All log messages before ...", oneDNN,
# no CUDA driver, cuInit) are filtered by helpers.startup: the next `import tensorflow` (also inside
# `import keras`) is quiet, and any other line it writes still shows.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from helpers import startup as _startup  # noqa: E402

_startup.install()


def _version() -> str:
    """The project's version: from ``pyproject.toml`` in a checkout (the source of truth, current even when the
    installed metadata of an editable install predates a version bump), else from the installed package's
    metadata (``importlib.metadata``)."""
    from importlib import metadata
    from pathlib import Path

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        except (OSError, tomllib.TOMLDecodeError):
            project = {}
        if project.get("name") == "mnist-oip" and isinstance(project.get("version"), str):
            return project["version"]
    try:
        return metadata.version("mnist-oip")
    except metadata.PackageNotFoundError:
        return "unknown"


__version__ = _version()
