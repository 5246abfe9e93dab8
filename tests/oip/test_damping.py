"""helpers.oip.damping: damping tricks (blur, Fourier low-pass) and the coarse-to-fine gradient low-pass."""


import numpy as np
import pytest

from helpers import oip


def test_fourier_damping_removes_high_frequencies(toy):
    x0 = oip.initial_images(4, (12, 12, 1), scales=[(12, 12)], seed=2)

    def high_frequency_power(x):
        spectrum = np.abs(np.fft.fft2(x[..., 0])) ** 2
        return spectrum[:, 4:9, 4:9].sum() / spectrum.sum()

    kwargs = dict(n_steps=20, early_stop=False, x0=x0)
    plain = oip.run_oip(toy, "deep", [0, 1, 2, 3], damping=None, **kwargs)
    damped = oip.run_oip(toy, "deep", [0, 1, 2, 3], damping="fourier", damping_sigma=0.5, **kwargs)
    blurred = oip.run_oip(toy, "deep", [0, 1, 2, 3], damping="blur", damping_sigma=1.0, **kwargs)
    assert high_frequency_power(damped.images) < 0.5 * high_frequency_power(plain.images)
    assert high_frequency_power(blurred.images) < 0.5 * high_frequency_power(plain.images)


def test_coarse_to_fine_forms_coarse_structure_first(toy):
    x0 = oip.initial_images(4, (12, 12, 1), scales=[(12, 12)], seed=6)
    kwargs = dict(x0=x0, n_steps=30, epsilon=0.1, damping=None, restandardize=False, early_stop=False)
    plain = oip.run_oip(toy, "deep", [0, 1, 2, 3], **kwargs)
    coarse = oip.run_oip(toy, "deep", [0, 1, 2, 3], coarse_to_fine=[(30, 0.2)], **kwargs)
    released = oip.run_oip(toy, "deep", [0, 1, 2, 3], coarse_to_fine=[(10, 0.2), (20, 0.5)], **kwargs)
    change = {name: r.images - x0 for name, r in  # what the ascent added
              (("plain", plain), ("coarse", coarse), ("released", released))}
    share = {name: oip.high_frequency_share(c).mean() for name, c in change.items()}
    assert share["coarse"] < 0.5 * share["plain"]  # the ascent only added smooth structure
    assert share["coarse"] < share["released"]  # finer scales were released later
    with pytest.raises(ValueError, match="increasing steps"):
        oip.run_oip(toy, "deep", [0], coarse_to_fine=[(20, 0.2), (10, 0.5)])
    with pytest.raises(ValueError, match="cutoffs > 0"):
        oip.run_oip(toy, "deep", [0], coarse_to_fine=[(20, 0.0)])
