"""helpers.oip.parameterization: the 1/f Fourier parameterization."""


import numpy as np
import pytest

from helpers import oip


def test_fourier_parameterization_favours_low_frequencies(toy, plain_run):
    plain, kwargs = plain_run
    fourier = oip.run_oip(toy, "deep", [0, 1, 2], parameterization="fourier", **kwargs)
    assert np.all(fourier.final_loss > fourier.losses[0])  # still an ascent
    assert np.all(oip.high_frequency_share(fourier.images) < 0.5 * oip.high_frequency_share(plain.images))
    x0 = kwargs["x0"]  # what the ascent added, too
    assert np.all(oip.high_frequency_share(fourier.images - x0) < 0.5 * oip.high_frequency_share(plain.images - x0))
    # a decay of 0 is a flat filter: the pixel ascent
    flat = oip.run_oip(toy, "deep", [0, 1, 2], parameterization="fourier", fourier_decay=0.0, **kwargs)
    np.testing.assert_allclose(flat.images, plain.images, atol=1e-4)


def test_fourier_preconditioner_is_the_squared_1_over_f_scale():
    for height, width in ((12, 12), (8, 12), (9, 7)):
        f = oip.fourier_preconditioner(height, width)
        assert f.shape == (height, width) and f.dtype == np.float32
        assert f.mean() == pytest.approx(1.0, rel=1e-5)
        # symmetric: the coefficients of frequencies k and -k are equal (a real gradient stays real)
        np.testing.assert_allclose(f, f[(-np.arange(height)) % height][:, (-np.arange(width)) % width], rtol=1e-6)
        # decreasing with frequency
        frequency = np.hypot(*np.meshgrid(np.fft.fftfreq(height), np.fft.fftfreq(width), indexing="ij")).ravel()
        by_frequency = f.ravel()[np.argsort(frequency, kind="stable")]
        assert np.all(np.diff(by_frequency) <= 1e-6) and by_frequency[0] > by_frequency[-1]
    # exact values for 12x12: scale = 1 / max(f, 1/12) (f in cycles per pixel), filter = scale^2 / mean
    f = oip.fourier_preconditioner(12, 12)
    assert f[0, 0] == pytest.approx(f[0, 1])  # f = 0 is clamped to the lowest frequency, 1/12
    assert f[0, 1] / f[0, 2] == pytest.approx(4.0, rel=1e-5)  # 1/12 vs 2/12 cycles per pixel: (2/1)^2
    assert f[0, 1] / f[3, 4] == pytest.approx(25.0, rel=1e-5)  # |(3, 4)| = 5/12
    assert oip.fourier_preconditioner(12, 12, decay=2.0)[0, 1] / oip.fourier_preconditioner(12, 12, decay=2.0)[0, 2] \
        == pytest.approx(16.0, rel=1e-5)
    np.testing.assert_allclose(oip.fourier_preconditioner(6, 10, decay=0.0), 1.0)
