"""Pattern analysis for grey-scale images such as OIPs: shifts, wavelengths, fits of rotated and shifted copies.

Every function takes images as NumPy arrays of real, finite numbers in any unit (e.g. standardized pixels):
one image as ``(height, width)`` (or ``(height, width, 1)``, a single channel), a batch as ``(n, height, width)``
(or ``(n, height, width, 1)``). Positions and lengths are in pixels; rows count downwards, columns to the right.

- :func:`pattern_shift`: the shift between two patterns, the peak of their cross-correlation;
- :func:`radial_power_spectrum`, :func:`dominant_wavelength` and :func:`mean_wavelength`: the length scale a
  pattern repeats on, the peak (or the power-weighted mean) of its radial power spectrum;
- :func:`fit_copies`: the best superposition of rotated and shifted copies of a sub-pattern (greedy, with
  non-negative least squares), and :func:`phase_randomized`, a surrogate with the same power spectrum as a
  control for such fits.

Bad input (NaN or infinite values, wrong shapes, non-numeric types) raises an error that names the argument,
what it got and what is valid. This module imports only NumPy and SciPy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from helpers import checks

__all__ = [
    "Shift", "pattern_shift", "radial_power_spectrum", "dominant_wavelength", "mean_wavelength", "CopiesFit",
    "fit_copies", "phase_randomized",
]

MIN_SIZE = 4
"""The smallest image side (pixels) the functions accept."""
MAX_SIZE = 4_096
"""The largest image side (pixels): FFTs of larger images (zero-padded by ``oversample``) exhaust memory."""
MAX_OVERSAMPLE = 64
"""The largest zero-padding factor of the spectra (a finer frequency grid; beyond 64 only memory grows)."""
MAX_ANGLES = 3_600
"""The most rotations :func:`fit_copies` tries (one per tenth of a degree)."""


# ------------------------------------------------------------------------------------------------- checks


def _numbers(name: str, x) -> np.ndarray:
    """``x`` as a float64 array (:func:`helpers.checks.finite_array`: finite real numbers only)."""
    return checks.finite_array(name, x, dtype=np.float64, max_abs=1e100)


def _check_size(name: str, height: int, width: int) -> None:
    if height > MAX_SIZE or width > MAX_SIZE:
        raise ValueError(f"{name} must be at most {MAX_SIZE}x{MAX_SIZE} pixels (patterns.MAX_SIZE; larger FFTs "
                         f"exhaust memory), got {height}x{width}")
    if height < MIN_SIZE or width < MIN_SIZE:
        raise ValueError(f"{name} must be at least {MIN_SIZE}x{MIN_SIZE} pixels, got {height}x{width}"
                         + (" (a single image with a channel axis? pass image[..., 0])" if width == 1 else ""))


def _image(name: str, x) -> np.ndarray:
    """One image as float64 ``(height, width)``; accepts ``(height, width)`` or ``(height, width, 1)``."""
    array = _numbers(name, x)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise ValueError(f"{name} must be one image of shape (height, width) or (height, width, 1), got shape "
                         f"{array.shape}")
    _check_size(name, *array.shape)
    return array


def _batch(name: str, x) -> tuple[np.ndarray, bool]:
    """Images as float64 ``(n, height, width)`` and whether a single 2-D image was given."""
    array = _numbers(name, x)
    single = array.ndim == 2
    if single:
        array = array[np.newaxis]
    elif array.ndim == 4:
        if array.shape[-1] != 1:
            raise ValueError(f"{name} must have one channel (n, height, width, 1), got shape {array.shape}")
        array = array[..., 0]
    if array.ndim != 3:
        raise ValueError(f"{name} must be one image (height, width) or a batch (n, height, width) or "
                         f"(n, height, width, 1), got shape {array.shape}")
    if len(array) == 0:
        raise ValueError(f"{name} is an empty batch; give at least one image")
    _check_size(name, array.shape[1], array.shape[2])
    return array, single


def _integer(name: str, value, low: int) -> int:
    return checks.integer(name, value, low)


def _non_constant(name: str, image: np.ndarray, index: int | None = None) -> np.ndarray:
    """``image`` minus its mean; ValueError if it is constant (it has no pattern to compare)."""
    centred = image - image.mean()
    if not np.any(np.abs(centred) > 1e-12 * max(1.0, float(np.abs(image).max()))):
        where = f" (image {index})" if index is not None else ""
        raise ValueError(f"{name}{where} is constant: it has no spatial pattern to analyse")
    return centred


# ---------------------------------------------------------------------------------------------- shifts


@dataclass(frozen=True)
class Shift:
    """The displacement of one pattern against another (pixels) and how well they match there."""

    dy: int  # rows: positive = moved down
    dx: int  # columns: positive = moved right
    peak: float  # normalized cross-correlation at the displacement, -1..1 (1: identical after the shift)


def pattern_shift(reference: np.ndarray, moved: np.ndarray, max_shift: int | None = None) -> Shift:
    """The shift that best maps ``reference`` onto ``moved``: the peak of their cross-correlation.

    Both images (same shape, ``(h, w)`` or ``(h, w, 1)``) have their means removed; the cross-correlation
    ``c(dy, dx) = sum_yx moved[y + dy, x + dx] * reference[y, x]`` (zero outside the images, computed by FFT) is
    divided by the product of their norms, so that it lies in -1..1. Parts that leave the image count as zero:
    a large shift has a small overlap and scores low.

    Args:
        reference, moved: the two patterns.
        max_shift: search only ``|dy|, |dx| <= max_shift`` pixels (None: every shift with some overlap).

    Returns:
        :class:`Shift` with ``moved ≈ reference`` shifted by ``dy`` rows down and ``dx`` columns right.
    """
    from scipy.signal import correlate

    a = _image("reference", reference)
    b = _image("moved", moved)
    if a.shape != b.shape:
        raise ValueError(f"reference and moved must have the same shape, got {a.shape} and {b.shape}")
    if max_shift is not None:
        max_shift = _integer("max_shift", max_shift, 0)
    a, b = _non_constant("reference", a), _non_constant("moved", b)
    correlation = correlate(b, a, mode="full", method="fft") / (np.linalg.norm(a) * np.linalg.norm(b))
    h, w = a.shape
    lags_y = np.arange(-(h - 1), h)[:, np.newaxis]
    lags_x = np.arange(-(w - 1), w)[np.newaxis, :]
    if max_shift is not None:
        correlation = np.where((np.abs(lags_y) <= max_shift) & (np.abs(lags_x) <= max_shift), correlation, -np.inf)
    row, col = np.unravel_index(np.argmax(correlation), correlation.shape)
    return Shift(dy=int(row - (h - 1)), dx=int(col - (w - 1)), peak=float(correlation[row, col]))


# ----------------------------------------------------------------------------------------- wavelengths


VALID_PER_RING = ("mean", "sum")


def _check_per_ring(per_ring: str) -> str:
    if not isinstance(per_ring, str) or per_ring not in VALID_PER_RING:
        raise ValueError(f"per_ring must be 'mean' (radially averaged) or 'sum' (power per unit frequency), "
                         f"got {per_ring!r}")
    return per_ring


def radial_power_spectrum(
    image: np.ndarray, oversample: int = 4, window: bool = True, per_ring: str = "mean"
) -> tuple[np.ndarray, np.ndarray]:
    """The power spectrum of one image as a function of spatial frequency, radially averaged (or summed).

    The image's mean is removed; with ``window`` it is tapered by a 2-D Hann window (so that its edges do not
    add spurious power); it is zero-padded to ``oversample`` times its larger side (a finer frequency grid, the
    same information), Fourier transformed, and ``|F|^2`` is averaged (``per_ring="mean"``) or summed
    (``"sum"``) over rings of width 1 / (padded size). The mean is the textbook radially averaged spectrum; the
    sum is the power per unit frequency: a ring at frequency ``f`` holds about ``2 pi f`` times more Fourier
    modes, so the mean favours long wavelengths of two-dimensional patterns, the sum says which length scale
    carries most of the variance.

    Args:
        image: ``(h, w)`` or ``(h, w, 1)``, not constant.
        oversample: zero-padding factor, an integer >= 1.
        window: taper with a Hann window first.
        per_ring: ``"mean"`` or ``"sum"``.

    Returns:
        ``(frequencies, power)``, each ``(k,)``: ring centres in cycles per pixel (0 .. 0.5, the Nyquist
        frequency) and the power per ring (squared image units).
    """
    x = _image("image", image)
    oversample = checks.size("oversample", oversample, MAX_OVERSAMPLE, "patterns.MAX_OVERSAMPLE")
    return _radial_power(_non_constant("image", x), oversample, checks.flag("window", window), _check_per_ring(per_ring))


def _radial_power(centred: np.ndarray, oversample: int, window: bool, per_ring: str) -> tuple[np.ndarray, np.ndarray]:
    h, w = centred.shape
    if window:
        centred = centred * np.outer(np.hanning(h + 2)[1:-1], np.hanning(w + 2)[1:-1])
    size = oversample * max(h, w)
    power = np.abs(np.fft.fft2(centred, s=(size, size))) ** 2
    frequency = np.hypot(*np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij"))
    ring = np.rint(frequency * size).astype(int)  # ring k holds frequencies (k - 1/2 .. k + 1/2) / size
    keep = ring <= size // 2
    totals = np.bincount(ring[keep], weights=power[keep], minlength=size // 2 + 1)
    if per_ring == "sum":
        return np.arange(size // 2 + 1) / size, totals
    counts = np.bincount(ring[keep], minlength=size // 2 + 1)
    return np.arange(size // 2 + 1) / size, totals / np.maximum(counts, 1)


def _spectra(images, oversample: int, window: bool, per_ring: str):
    """Checked batch, whether it was one image, and an iterator of (frequencies, power) per image."""
    batch, single = _batch("images", images)
    oversample = checks.size("oversample", oversample, MAX_OVERSAMPLE, "patterns.MAX_OVERSAMPLE")
    per_ring = _check_per_ring(per_ring)
    spectra = [_radial_power(_non_constant("images", image, None if single else i), oversample, checks.flag("window", window),
                             per_ring) for i, image in enumerate(batch)]
    return batch, single, spectra


def dominant_wavelength(
    images: np.ndarray, oversample: int = 4, window: bool = True, per_ring: str = "mean"
) -> float | np.ndarray:
    """The wavelength (pixels) at the peak of each image's radial power spectrum.

    The peak is searched among frequencies from 1 / (larger image side) to the Nyquist frequency 0.5 cycles per
    pixel, i.e. wavelengths from the image size down to 2 pixels (a longer wavelength cannot be measured in the
    image). See :func:`radial_power_spectrum` for ``oversample``, ``window`` and ``per_ring`` (with ``"mean"`` a
    pattern whose power only grows towards long wavelengths peaks at the image size).

    Args:
        images: one image ``(h, w)`` or a batch ``(n, h, w)`` / ``(n, h, w, 1)``; none may be constant.

    Returns:
        A float for one 2-D image, else ``(n,)`` wavelengths in pixels.
    """
    batch, single, spectra = _spectra(images, oversample, window, per_ring)
    longest = max(batch.shape[1:])
    wavelengths = np.empty(len(batch))
    for i, (frequencies, power) in enumerate(spectra):
        measurable = frequencies >= 1.0 / longest - 1e-12
        peak = np.flatnonzero(measurable)[np.argmax(power[measurable])]
        wavelengths[i] = 1.0 / frequencies[peak]
    return float(wavelengths[0]) if single else wavelengths


def mean_wavelength(images: np.ndarray, oversample: int = 4, window: bool = True) -> float | np.ndarray:
    """1 / (power-weighted mean spatial frequency) of each image, in pixels: a length scale without a peak search.

    The weights are the power per unit frequency (:func:`radial_power_spectrum` with ``per_ring="sum"``) over all
    frequencies above 0; the result lies between 2 pixels (all power at the Nyquist frequency) and the padded
    image size. Arguments and returns as :func:`dominant_wavelength`.
    """
    batch, single, spectra = _spectra(images, oversample, window, "sum")
    wavelengths = np.array([np.sum(power[1:]) / np.sum(frequencies[1:] * power[1:]) for frequencies, power in spectra])
    return float(wavelengths[0]) if single else wavelengths


# ------------------------------------------------------------------------------------- copies of a part


@dataclass(frozen=True)
class CopiesFit:
    """A target image approximated by a sum of rotated, shifted copies of one sub-pattern (``k`` copies)."""

    angles: np.ndarray  # (k,) rotation of each copy, degrees (counter-clockwise as displayed, rows down)
    positions: np.ndarray  # (k, 2) (dy, dx): each copy's centre minus the target's centre, pixels
    amplitudes: np.ndarray  # (k,) non-negative weight of each copy
    fitted: np.ndarray  # (h, w) the superposition, in the target's units, mean added back
    r2_curve: np.ndarray  # (k,) R^2 after 1, 2, ..., k copies
    n_candidates: int  # rotations x placements tried for each copy

    @property
    def r2(self) -> float:
        """Fraction of the target's variance (about its mean) that the ``k`` copies explain."""
        return float(self.r2_curve[-1])


def _rotated(sub: np.ndarray, angle: float) -> np.ndarray:
    from scipy.ndimage import rotate

    return sub if angle == 0 else rotate(sub, angle, reshape=True, order=1, mode="constant", cval=0.0)


def fit_copies(
    target: np.ndarray,
    sub_pattern: np.ndarray,
    n_copies: int,
    angles: Sequence[float] = (0.0,),
    max_shift: float | None = None,
    min_overlap: float = 0.5,
) -> CopiesFit:
    """Approximate ``target`` by ``n_copies`` rotated and shifted copies of ``sub_pattern``, best first.

    The sub-pattern's mean is removed (a copy adds structure, not a brightness block); each angle gives a
    rotated copy (``scipy.ndimage.rotate``, bilinear, zeros outside) that may sit at any whole-pixel position
    where at least ``min_overlap`` of its energy lies inside the target (the part outside is cut off). Greedy
    matching pursuit: each round adds the placed copy that correlates best with what is still unexplained
    (found for all positions at once by an FFT cross-correlation) and refits all amplitudes by non-negative
    least squares (``scipy.optimize.nnls``) to the target minus its mean. Negative amplitudes (inverted
    copies) are not allowed: the question is whether the target is a superposition of copies.

    Args:
        target: the pattern to explain, ``(h, w)`` or ``(h, w, 1)``, not constant.
        sub_pattern: the part to copy, ``(a, b)`` or ``(a, b, 1)``, not constant (e.g. a crop of the target).
        n_copies: number of copies, >= 1.
        angles: rotations to try, degrees (e.g. ``range(0, 360, 15)``); ``(0,)``: translations only.
        max_shift: allow only copies whose centre lies within this distance (pixels, per axis) of the target's
            centre (None: anywhere).
        min_overlap: the least fraction (0 < f <= 1) of a copy's energy that must fall inside the target.

    Returns:
        :class:`CopiesFit`; ``r2_curve[k-1]`` is the fraction of the target's variance explained by ``k`` copies.
    """
    from scipy.optimize import nnls
    from scipy.signal import correlate

    y = _image("target", target)
    part = _image("sub_pattern", sub_pattern)
    n_copies = checks.size("n_copies", n_copies, y.size, "one copy per pixel of the target at most")
    if angles is None or isinstance(angles, (str, bytes)):
        raise checks.WrongTypeError(f"angles must be a sequence of numbers (degrees), got {angles!r}")
    angle_list = _numbers("angles", list(angles) if not np.isscalar(angles) else [angles]).reshape(-1)
    if len(angle_list) == 0:
        raise ValueError("angles is empty; give at least one rotation in degrees, e.g. (0,)")
    checks.size("the number of angles", len(angle_list), MAX_ANGLES, "patterns.MAX_ANGLES, one per tenth of a degree")
    if max_shift is not None:
        max_shift = checks.real("max_shift (pixels)", max_shift, 0)
    min_overlap = checks.real("min_overlap", min_overlap, 0, 1, open_low=True)
    if part.shape[0] > 2 * y.shape[0] or part.shape[1] > 2 * y.shape[1]:
        raise ValueError(f"sub_pattern {part.shape} is more than twice as large as target {y.shape}")
    y_centred = _non_constant("target", y)
    part = _non_constant("sub_pattern", part)
    h, w = y.shape

    kernels, norms, masks = [], [], []
    for angle in angle_list:
        kernel = _rotated(part, float(angle))
        kh, kw = kernel.shape
        inside = np.sqrt(correlate(np.ones((h, w)), kernel**2, mode="full", method="direct"))  # norm of the cut copy
        total = np.sqrt(np.sum(kernel**2))
        allowed = inside >= np.sqrt(min_overlap) * total - 1e-12
        if max_shift is not None:
            dy = np.arange(inside.shape[0]) - (kh - 1) / 2 - (h - 1) / 2
            dx = np.arange(inside.shape[1]) - (kw - 1) / 2 - (w - 1) / 2
            allowed &= (np.abs(dy)[:, np.newaxis] <= max_shift) & (np.abs(dx)[np.newaxis, :] <= max_shift)
        kernels.append(kernel)
        norms.append(np.where(allowed, inside, np.inf))
        masks.append(allowed)
    n_candidates = int(sum(m.sum() for m in masks))
    if n_candidates == 0:
        raise ValueError("no placement of the sub-pattern satisfies max_shift and min_overlap; allow larger shifts "
                         "or a smaller min_overlap")

    def atom(a: int, row: int, col: int) -> np.ndarray:
        """Copy ``a`` placed with its bottom-right corner at full-correlation index (row, col), cut to the target."""
        kernel = kernels[a]
        kh, kw = kernel.shape
        top, left = row - kh + 1, col - kw + 1
        placed = np.zeros((h, w))
        y0, x0, y1, x1 = max(top, 0), max(left, 0), min(top + kh, h), min(left + kw, w)
        placed[y0:y1, x0:x1] = kernel[y0 - top : y1 - top, x0 - left : x1 - left]
        return placed

    chosen: list[tuple[int, int, int]] = []
    atoms: list[np.ndarray] = []
    residual = y_centred.copy()
    r2_curve, amplitudes = [], np.zeros(0)
    variance = float(np.sum(y_centred**2))
    for _ in range(n_copies):
        best, best_score = None, -np.inf
        for a, kernel in enumerate(kernels):
            score = correlate(residual, kernel, mode="full", method="fft") / norms[a]
            score[~masks[a]] = -np.inf
            for taken_a, taken_row, taken_col in chosen:  # never the same placement twice
                if taken_a == a:
                    score[taken_row, taken_col] = -np.inf
            index = np.unravel_index(np.argmax(score), score.shape)
            if score[index] > best_score:
                best, best_score = (a, int(index[0]), int(index[1])), float(score[index])
        if best is None or not np.isfinite(best_score):
            break
        chosen.append(best)
        atoms.append(atom(*best))
        design = np.stack([x.ravel() for x in atoms], axis=1)
        amplitudes, _ = nnls(design, y_centred.ravel())
        residual = y_centred - (design @ amplitudes).reshape(h, w)
        r2_curve.append(1.0 - float(np.sum(residual**2)) / variance)

    positions = np.array([[row - (kernels[a].shape[0] - 1) / 2 - (h - 1) / 2,
                           col - (kernels[a].shape[1] - 1) / 2 - (w - 1) / 2] for a, row, col in chosen])
    return CopiesFit(
        angles=np.array([float(angle_list[a]) for a, _, _ in chosen]),
        positions=positions.reshape(-1, 2),
        amplitudes=np.asarray(amplitudes, dtype=np.float64),
        fitted=(y_centred - residual) + y.mean(),
        r2_curve=np.array(r2_curve),
        n_candidates=n_candidates,
    )


def phase_randomized(image: np.ndarray, seed: int = 0) -> np.ndarray:
    """A surrogate of ``image`` with the same mean and power spectrum but random Fourier phases, ``(h, w)``.

    A control for pattern fits: it keeps the length scales of the image (its wavelengths, its smoothness) and
    destroys where things are, so any structure beyond the spectrum (shapes, repeated parts) is gone. The phases
    are those of seeded white noise (so that the result is real); the same seed gives the same surrogate.
    """
    x = _image("image", image)
    seed = checks.integer("seed", seed, 0, 2**63 - 1, "64-bit seeds")
    centred = _non_constant("image", x)
    noise = np.random.default_rng(seed).standard_normal(x.shape)
    phases = np.exp(1j * np.angle(np.fft.fft2(noise)))
    surrogate = np.real(np.fft.ifft2(np.abs(np.fft.fft2(centred)) * phases))
    return surrogate + x.mean()
