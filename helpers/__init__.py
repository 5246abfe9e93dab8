"""Shared helpers for the mnist-oip notebooks, one concern per module (see the README and ``shared/DESIGN.md``).

- ``device``: CPU/GPU choice, threads, seeds, the CI fast-path switch
- ``data``: verified offline MNIST loading and the standardization
- ``model``: the CNN, training recipes, atomic saving with a JSON record, checked loading
- ``activations``: sub-models to named layers, batched extraction, class aggregates, similarity
- ``oip``: original input patterns by batched gradient ascent on the input, precursor scans
- ``attribution``: saliency, SmoothGrad, Grad-CAM, integrated gradients, sanity checks
- ``patterns``: shifts, dominant wavelengths and fits of rotated/shifted copies of patterns such as OIPs
- ``distributions``: limiting distributions, maximum entropy, extreme values (notebook 11)
- ``explorer``: an ipywidgets OIP explorer over plain, tested logic
- ``plotting``: image grids, galleries, contrast enhancement, curves, atomic figure saving
- ``checks``: argument checks (integers, finite numbers and arrays, nodes) with messages naming what is valid

Modules are imported explicitly, e.g. ``from helpers import data, plotting``.
"""

import os as _os

# TensorFlow reads this once, at import: keep its C++ start-up chatter out of notebook outputs unless the
# user has chosen a level. Set here because notebooks import helpers before TensorFlow.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
