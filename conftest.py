"""Test-suite configuration shared by the unit tests and nbval.

- Every test run takes the CI fast path (``MNIST_OIP_FAST=1``, read through ``helpers.device``) unless the
  caller set the variable: notebook kernels inherit this environment.
- TensorFlow's C++ start-up lines go to stderr and differ between machines, so nbval never compares stderr.
"""

import os

os.environ.setdefault("MNIST_OIP_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr", "text/html", "application/javascript", "application/vnd.jupyter.widget-view+json")
