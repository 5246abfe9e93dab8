"""helpers.patterns: shifts, wavelengths, fits of rotated and shifted copies, surrogates, and every bad-input path."""

import numpy as np
import pytest
from scipy import ndimage

from helpers import patterns as P

ROWS, COLS = np.mgrid[:28, :28]


def smooth_pattern(seed=0, sigma=2.0, shape=(28, 28)):
    return ndimage.gaussian_filter(np.random.default_rng(seed).standard_normal(shape), sigma)


def stripes(wavelength, angle=0.0, phase=0.3):
    direction = np.cos(angle) * COLS + np.sin(angle) * ROWS
    return np.sin(2 * np.pi * direction / wavelength + phase)


def band_limited(wavelength, seed=0):
    frequency = np.hypot(*np.meshgrid(np.fft.fftfreq(28), np.fft.fftfreq(28), indexing="ij"))
    spectrum = np.fft.fft2(np.random.default_rng(seed).standard_normal((28, 28)))
    return np.real(np.fft.ifft2(spectrum * np.exp(-(((frequency - 1 / wavelength) / 0.02) ** 2))))


def cross(size=9):
    part = np.zeros((size, size))
    part[size // 2, :] = 1.0
    part[: size // 2, size // 2] = 0.6  # an upper arm only: rotations are distinguishable
    return part - part.mean()


# ------------------------------------------------------------------------------------------------- shifts


@pytest.mark.parametrize("dy, dx", [(0, 0), (3, -5), (-4, 4), (8, 0), (0, -7)])
def test_pattern_shift_finds_a_known_shift(dy, dx):
    reference = smooth_pattern()
    moved = ndimage.shift(reference, (dy, dx), order=0, mode="constant")  # content moves down by dy, right by dx
    shift = P.pattern_shift(reference, moved)
    assert (shift.dy, shift.dx) == (dy, dx)
    assert 0.5 < shift.peak <= 1.0 + 1e-9


def test_pattern_shift_identity_peaks_at_one_and_is_antisymmetric():
    a = smooth_pattern(1)
    assert P.pattern_shift(a, a).peak == pytest.approx(1.0)
    b = ndimage.shift(a, (2, 3), order=0, mode="constant")
    forward, backward = P.pattern_shift(a, b), P.pattern_shift(b, a)
    assert (backward.dy, backward.dx) == (-forward.dy, -forward.dx)


def test_pattern_shift_accepts_a_channel_axis_and_integers():
    a = smooth_pattern(2)
    b = ndimage.shift(a, (1, 2), order=0, mode="constant")
    shift = P.pattern_shift(a[..., np.newaxis], b[..., np.newaxis])
    assert (shift.dy, shift.dx) == (1, 2)
    integers = (a * 100).astype(int)
    assert P.pattern_shift(integers, integers).dy == 0


def test_pattern_shift_max_shift_restricts_the_search():
    a = smooth_pattern(3)
    b = ndimage.shift(a, (6, 0), order=0, mode="constant")
    restricted = P.pattern_shift(a, b, max_shift=2)
    assert abs(restricted.dy) <= 2 and abs(restricted.dx) <= 2
    assert restricted.peak < P.pattern_shift(a, b).peak


def test_pattern_shift_inverted_pattern_scores_negative_at_zero_shift():
    a = smooth_pattern(4)
    assert P.pattern_shift(a, -a, max_shift=0).peak == pytest.approx(-1.0)


@pytest.mark.parametrize(
    "reference, moved, error, message",
    [
        (np.full((28, 28), np.nan), np.ones((28, 28)), ValueError, "finite"),
        (np.zeros((28, 28)), np.eye(28), ValueError, "constant"),
        (np.eye(28), np.eye(27), ValueError, "same shape"),
        (np.ones(28), np.ones(28), ValueError, r"\(height, width\)"),
        (np.ones((2, 28, 28)), np.ones((2, 28, 28)), ValueError, r"\(height, width\)"),
        (np.ones((3, 3)), np.ones((3, 3)), ValueError, "at least 4x4"),
        ("image", np.eye(28), TypeError, "array of real numbers"),
        (None, np.eye(28), TypeError, "array of real numbers"),
        (np.eye(28) > 0, np.eye(28), TypeError, "real numbers"),
        (np.eye(28) * 1j, np.eye(28), TypeError, "real numbers"),
        ([[1, 2], [3]], np.eye(28), TypeError, "array of real numbers"),
    ],
)
def test_pattern_shift_bad_input(reference, moved, error, message):
    with pytest.raises(error, match=message):
        P.pattern_shift(reference, moved)


@pytest.mark.parametrize("max_shift", [-1, 2.5, True, "3"])
def test_pattern_shift_bad_max_shift(max_shift):
    with pytest.raises(ValueError, match="max_shift must be an integer >= 0"):
        P.pattern_shift(np.eye(28), np.eye(28), max_shift=max_shift)


def test_nan_error_names_the_first_bad_index():
    a = smooth_pattern()
    a[5, 7] = np.inf
    with pytest.raises(ValueError, match=r"0 NaN and 1 infinite value\(s\), the first at index \(5, 7\)"):
        P.pattern_shift(a, smooth_pattern())


# -------------------------------------------------------------------------------------------- wavelengths


@pytest.mark.parametrize("wavelength", [3.0, 4.0, 5.0, 7.0, 8.0, 10.0])
@pytest.mark.parametrize("angle", [0.0, np.pi / 2, np.pi / 4])
def test_dominant_wavelength_of_stripes(wavelength, angle):
    # a 28-pixel image resolves frequencies to about 1/28 cycle per pixel: long wavelengths are coarser
    tolerance = 0.05 if wavelength <= 5 else 0.15
    assert P.dominant_wavelength(stripes(wavelength, angle)) == pytest.approx(wavelength, rel=tolerance)


def test_dominant_wavelength_of_band_limited_noise():
    assert P.dominant_wavelength(band_limited(6.0)) == pytest.approx(6.0, rel=0.1)


def test_dominant_wavelength_batch_shapes_and_order():
    batch = np.stack([stripes(4.0), stripes(8.0), stripes(5.0)])
    single = P.dominant_wavelength(batch[0])
    assert isinstance(single, float)
    three = P.dominant_wavelength(batch)
    assert three.shape == (3,)
    np.testing.assert_allclose(three, [4.0, 8.0, 5.0], rtol=0.1)
    np.testing.assert_allclose(P.dominant_wavelength(batch[..., np.newaxis]), three)
    assert three[1] > three[2] > three[0]


def test_longer_wavelengths_than_the_image_are_not_reported():
    ramp = COLS.astype(float)  # no oscillation at all: the longest measurable wavelength is the image size
    assert P.dominant_wavelength(ramp) <= 28.0 + 1e-9


def test_radial_power_spectrum_peaks_at_the_stripes():
    frequencies, power = P.radial_power_spectrum(stripes(7.0), window=False)
    assert frequencies.shape == power.shape
    assert frequencies[0] == 0 and frequencies[-1] == pytest.approx(0.5)
    assert np.all(np.diff(frequencies) > 0) and np.all(power >= 0)
    assert frequencies[np.argmax(power)] == pytest.approx(1 / 7, abs=0.01)
    assert len(P.radial_power_spectrum(stripes(7.0), oversample=1)[0]) == 15  # 0 .. 14/28


def test_radial_power_spectrum_has_no_power_at_zero_frequency_without_window():
    frequencies, power = P.radial_power_spectrum(smooth_pattern() + 5.0, window=False)
    assert power[0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("wavelength", [4.0, 6.0, 8.0])
def test_per_ring_sum_also_finds_stripes_and_band_limited_noise(wavelength):
    assert P.dominant_wavelength(stripes(wavelength), per_ring="sum") == pytest.approx(wavelength, rel=0.1)
    assert P.dominant_wavelength(band_limited(wavelength), per_ring="sum") == pytest.approx(wavelength, rel=0.15)


def test_alternating_columns_put_all_their_power_at_the_nyquist_frequency():
    image = np.tile([1.0, -1.0, 1.0, -1.0], (4, 1))  # the 2-D FFT is 16 at (0, 1/2) cycles per pixel, else 0
    frequencies, power = P.radial_power_spectrum(image, oversample=1, window=False, per_ring="sum")
    np.testing.assert_allclose(frequencies, [0.0, 0.25, 0.5])
    np.testing.assert_allclose(power, [0.0, 0.0, 256.0], atol=1e-9)
    # six of the 16 frequencies round to ring 2: (0, 1/2), (1/2, 0), (+-1/4, 1/2), (1/2, +-1/4)
    np.testing.assert_allclose(P.radial_power_spectrum(image, oversample=1, window=False)[1], [0, 0, 256 / 6], atol=1e-9)
    assert P.dominant_wavelength(image, oversample=1, window=False) == pytest.approx(2.0)
    assert P.mean_wavelength(image, oversample=1, window=False) == pytest.approx(2.0)


def test_per_ring_sum_is_the_mean_times_the_ring_size():
    image = smooth_pattern(3)
    frequencies, mean = P.radial_power_spectrum(image, per_ring="mean")
    _, total = P.radial_power_spectrum(image, per_ring="sum")
    assert np.all(total >= mean - 1e-12)
    ratio = total[10:50] / mean[10:50]  # number of Fourier modes per ring, about 2 pi k
    np.testing.assert_allclose(ratio, 2 * np.pi * np.arange(10, 50), rtol=0.15)


def test_mean_wavelength_orders_patterns_by_scale():
    fine, coarse = stripes(4.0), stripes(10.0)
    assert P.mean_wavelength(fine) == pytest.approx(4.0, rel=0.15)
    assert P.mean_wavelength(coarse) > P.mean_wavelength(fine)
    both = P.mean_wavelength(np.stack([fine, coarse]))
    assert both.shape == (2,) and both[0] == pytest.approx(P.mean_wavelength(fine))
    assert 2.0 <= P.mean_wavelength(np.random.default_rng(0).standard_normal((28, 28))) < 4.0  # white noise


@pytest.mark.parametrize("per_ring", ["median", "", None, 1])
def test_bad_per_ring(per_ring):
    with pytest.raises(ValueError, match="per_ring must be 'mean'"):
        P.dominant_wavelength(stripes(5.0), per_ring=per_ring)
    with pytest.raises(ValueError, match="per_ring must be 'mean'"):
        P.radial_power_spectrum(stripes(5.0), per_ring=per_ring)


def test_mean_wavelength_bad_input():
    with pytest.raises(ValueError, match="constant"):
        P.mean_wavelength(np.zeros((28, 28)))
    with pytest.raises(ValueError, match="finite"):
        P.mean_wavelength(np.full((28, 28), np.nan))
    with pytest.raises(TypeError, match="real numbers"):
        P.mean_wavelength("image")
    with pytest.raises(ValueError, match="one channel"):
        P.mean_wavelength(np.ones((2, 28, 28, 3)))


@pytest.mark.parametrize(
    "images, message",
    [
        (np.ones((28, 28)), "constant"),
        (np.stack([stripes(5.0), np.zeros((28, 28))]), r"image 1\) is constant"),
        (np.zeros((0, 28, 28)), "empty batch"),
        (stripes(5.0)[..., np.newaxis],
         r"at least 4x4 pixels, got 28x1 \(a single image with a channel axis\? pass image\[\.\.\., 0\]\)"),
        (np.ones((2, 28, 28, 3)), "one channel"),
        (np.ones((1, 2, 28, 28, 1)), "one image"),
        (np.ones(5), "one image"),
        (np.array([[np.nan] * 28] * 28), "finite"),
    ],
)
def test_dominant_wavelength_bad_images(images, message):
    with pytest.raises(ValueError, match=message):
        P.dominant_wavelength(images)


def test_dominant_wavelength_bad_types_and_oversample():
    with pytest.raises(TypeError, match="array of real numbers"):
        P.dominant_wavelength("stripes")
    with pytest.raises(TypeError, match="real numbers"):
        P.dominant_wavelength(np.array([["a"] * 28] * 28))
    with pytest.raises(ValueError, match="oversample must be an integer >= 1"):
        P.dominant_wavelength(stripes(5.0), oversample=0)
    with pytest.raises(ValueError, match="oversample must be an integer >= 1"):
        P.radial_power_spectrum(stripes(5.0), oversample=1.5)


# ------------------------------------------------------------------------------------------ copies of a part


def place(canvas, part, top, left, amplitude=1.0):
    canvas[top : top + part.shape[0], left : left + part.shape[1]] += amplitude * part
    return canvas


def test_fit_copies_recovers_two_rotated_copies_exactly():
    part = cross()
    target = place(np.zeros((28, 28)), part, 3, 4, 1.0)
    target = place(target, np.rot90(part), 14, 15, 2.0)  # np.rot90 = +90 degrees as scipy.ndimage.rotate
    fit = P.fit_copies(target, part, n_copies=2, angles=range(0, 360, 90))
    assert fit.r2 > 0.999
    assert sorted(fit.angles.tolist()) == [0.0, 90.0]
    found = {a: (tuple(p), amp) for a, p, amp in zip(fit.angles, fit.positions, fit.amplitudes)}
    assert found[90.0][0] == (18 - 13.5, 19 - 13.5) and found[90.0][1] == pytest.approx(2.0)
    assert found[0.0][0] == (7 - 13.5, 8 - 13.5) and found[0.0][1] == pytest.approx(1.0)
    np.testing.assert_allclose(fit.fitted, target, atol=1e-9)


def test_translations_alone_explain_less_of_a_rotated_copy():
    part = cross()
    target = place(place(np.zeros((28, 28)), part, 3, 4), np.rot90(part), 14, 15)
    with_rotation = P.fit_copies(target, part, n_copies=2, angles=range(0, 360, 90))
    translation_only = P.fit_copies(target, part, n_copies=2)
    assert translation_only.r2 < with_rotation.r2 - 0.2


def test_fit_copies_curve_and_amplitudes():
    target = smooth_pattern(5)
    fit = P.fit_copies(target, target[5:19, 5:19], n_copies=5, angles=(0, 45, 90))
    assert fit.r2_curve.shape == (5,) and fit.positions.shape == (5, 2) and fit.amplitudes.shape == (5,)
    assert np.all(np.diff(fit.r2_curve) >= -1e-12)  # more copies never explain less
    assert np.all(fit.amplitudes >= 0) and 0 < fit.r2 <= 1
    assert fit.fitted.shape == (28, 28)
    assert fit.n_candidates > 0


def test_fit_copies_max_shift_and_overlap_constrain_positions():
    target = smooth_pattern(6)
    fit = P.fit_copies(target, target[7:21, 7:21], n_copies=4, max_shift=3)
    assert np.all(np.abs(fit.positions) <= 3)
    loose = P.fit_copies(target, target[7:21, 7:21], n_copies=1, min_overlap=0.1)
    strict = P.fit_copies(target, target[7:21, 7:21], n_copies=1, min_overlap=1.0)
    assert strict.n_candidates < loose.n_candidates


def test_a_part_of_the_pattern_fits_its_own_pattern_better_than_a_surrogate():
    target = smooth_pattern(7)
    part = target[6:20, 6:20]
    own = P.fit_copies(target, part, n_copies=1)
    other = P.fit_copies(P.phase_randomized(target, seed=1), part, n_copies=1)
    assert tuple(own.positions[0]) == (12.5 - 13.5, 12.5 - 13.5)  # found where it was cut out
    assert own.amplitudes[0] == pytest.approx(1.0)
    assert own.r2 > other.r2


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"n_copies": 0}, ValueError, "n_copies must be an integer >= 1"),
        ({"n_copies": 2.0}, ValueError, "n_copies must be an integer >= 1"),
        ({"angles": ()}, ValueError, "angles is empty"),
        ({"angles": "0, 90"}, TypeError, "sequence of numbers"),
        ({"angles": [0, np.nan]}, ValueError, "finite"),
        ({"max_shift": -1.0}, ValueError, r"max_shift \(pixels\) must be a finite number >= 0"),
        ({"min_overlap": 0.0}, ValueError, r"min_overlap must be a finite number in \(0, 1\]"),
        ({"min_overlap": 1.5}, ValueError, r"min_overlap must be a finite number in \(0, 1\]"),
        ({"max_shift": 0.0, "min_overlap": 1.0, "sub_pattern": np.eye(10)[:, :9]}, ValueError, "no placement"),
        ({"sub_pattern": np.ones((9, 9))}, ValueError, "constant"),
        ({"sub_pattern": np.ones((60, 9))}, ValueError, "more than twice as large"),
        ({"sub_pattern": np.full((9, 9), np.nan)}, ValueError, "finite"),
        ({"target": np.ones((28, 28, 2))}, ValueError, r"\(height, width\)"),
        ({"target": [["x"] * 28] * 28}, TypeError, "real numbers"),
    ],
)
def test_fit_copies_bad_input(kwargs, error, message):
    arguments = {"target": smooth_pattern(), "sub_pattern": cross(), "n_copies": 2}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        P.fit_copies(**arguments)


# ------------------------------------------------------------------------------------------------ surrogates


def test_phase_randomized_keeps_the_spectrum_and_the_mean():
    image = band_limited(6.0) + 2.0
    surrogate = P.phase_randomized(image, seed=3)
    assert surrogate.shape == image.shape
    assert surrogate.mean() == pytest.approx(image.mean())
    np.testing.assert_allclose(np.abs(np.fft.fft2(surrogate - surrogate.mean())),
                               np.abs(np.fft.fft2(image - image.mean())), atol=1e-9)
    assert abs(np.corrcoef(image.ravel(), surrogate.ravel())[0, 1]) < 0.5
    assert P.dominant_wavelength(surrogate) == pytest.approx(6.0, rel=0.15)


def test_phase_randomized_is_seeded():
    image = smooth_pattern(9)
    np.testing.assert_array_equal(P.phase_randomized(image, seed=4), P.phase_randomized(image, seed=4))
    assert not np.allclose(P.phase_randomized(image, seed=4), P.phase_randomized(image, seed=5))


@pytest.mark.parametrize(
    "image, seed, error, message",
    [
        (np.ones((28, 28)), 0, ValueError, "constant"),
        (np.full((28, 28), np.inf), 0, ValueError, "finite"),
        (np.ones(28), 0, ValueError, r"\(height, width\)"),
        (np.eye(28), -1, ValueError, "seed must be an integer >= 0"),
        (np.eye(28), 1.5, ValueError, "seed must be an integer >= 0"),
        ({"a": 1}, 0, TypeError, "real numbers"),
    ],
)
def test_phase_randomized_bad_input(image, seed, error, message):
    with pytest.raises(error, match=message):
        P.phase_randomized(image, seed=seed)


def test_fit_copies_places_a_wide_part_and_a_part_cut_by_the_edge():
    part = np.random.default_rng(7).normal(size=(4, 8))
    part -= part.mean()
    inside = np.zeros((20, 24))
    inside[5:9, 2:10] = part  # centred at row 6.5, col 5.5; the target's centre is (9.5, 11.5)
    fit = P.fit_copies(inside, part, n_copies=1)
    np.testing.assert_allclose(fit.positions, [[-3.0, -6.0]])
    np.testing.assert_allclose(fit.amplitudes, [1.0], rtol=1e-9)
    cut = np.zeros((20, 24))
    cut[5:9, 0:6] = part[:, 2:]  # the copy spans cols -2..5: its first two columns fall outside
    fit = P.fit_copies(cut, part, n_copies=1, min_overlap=0.3)
    np.testing.assert_allclose(fit.positions, [[-3.0, 1.5 - 11.5]])
    assert fit.r2 == pytest.approx(1.0, abs=0.02)  # only the target's mean is left unexplained
