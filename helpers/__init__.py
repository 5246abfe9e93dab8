"""Shared helpers for the mnist-oip notebooks.

One concern per module (see ``shared/DESIGN.md``): ``device`` (CPU/GPU, threads, seeds, the CI fast path),
``data`` (verified MNIST loading and standardization), ``plotting`` (image grids, galleries, contrast).
Modules are imported explicitly, e.g. ``from helpers import data, plotting``.
"""

import os as _os

# TensorFlow reads this once, at import: keep its C++ start-up chatter out of notebook outputs unless the
# user has chosen a level. Set here because notebooks import helpers before TensorFlow.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
