"""helpers.oip.penalties: the penalty tricks (total variation, L1, L2)."""


import numpy as np

from helpers import oip
from oip_toys import _total_variation


def test_total_variation_penalty_smooths_the_images(toy, plain_run):
    plain, kwargs = plain_run
    smooth = oip.run_oip(toy, "deep", [0, 1, 2], tv_weight=1.0, **kwargs)
    assert np.all(_total_variation(smooth.images) < 0.6 * _total_variation(plain.images))
    np.testing.assert_allclose(smooth.images.std(axis=(1, 2, 3)), 1, atol=1e-3)  # same contrast: a fair comparison
    # a small weight changes little, a larger one more: the penalty is weighted
    light = oip.run_oip(toy, "deep", [0, 1, 2], tv_weight=0.1, **kwargs)
    assert np.all(_total_variation(smooth.images) < _total_variation(light.images))
    assert np.all(_total_variation(light.images) < _total_variation(plain.images))


def test_l1_penalty_lowers_the_mean_absolute_value_at_fixed_contrast(toy, plain_run):
    plain, kwargs = plain_run
    sparse = oip.run_oip(toy, "deep", [0, 1, 2], l1_weight=1.0, **kwargs)
    np.testing.assert_allclose(sparse.images.std(axis=(1, 2, 3)), 1, atol=1e-3)  # re-standardized
    assert np.all(np.abs(sparse.images).mean(axis=(1, 2, 3)) < 0.9 * np.abs(plain.images).mean(axis=(1, 2, 3)))


def test_l2_penalty_lowers_the_norm_without_restandardization(toy, plain_run):
    _, kwargs = plain_run
    free = oip.run_oip(toy, "deep", [0, 1, 2], restandardize=False, **kwargs)
    shrunk = oip.run_oip(toy, "deep", [0, 1, 2], restandardize=False, l2_weight=1.0, **kwargs)

    def rms(x):
        return np.sqrt((x**2).mean(axis=(1, 2, 3)))

    assert np.all(rms(free.images) > 1.5)  # without the penalty the unstandardized images grow
    assert np.all(rms(shrunk.images) < 0.6 * rms(free.images))
