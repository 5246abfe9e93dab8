"""Fixtures of the tests of helpers.oip: the toy model and a plain run."""

import numpy as np
import pytest

from helpers import oip
from oip_toys import _toy_conv


@pytest.fixture(scope="module")
def toy():
    return _toy_conv()


@pytest.fixture(scope="module")
def plain_run(toy):
    """Three maps that react, ascended without damping (the reference for the options' effects)."""
    x0 = oip.initial_images(3, (12, 12, 1), seed=3)
    kwargs = dict(x0=x0, n_steps=40, epsilon=0.05, damping=None, early_stop=False, progress=False)
    result = oip.run_oip(toy, "deep", [0, 1, 2], **kwargs)
    assert np.all(result.reacted)
    return result, kwargs
