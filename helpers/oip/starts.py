"""Start images: multi-scale random starts (:func:`initial_images`), per-image standardization, the high-frequency
share of a pattern, and the precursor scan (the best of many random starts per map)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from helpers import activations, checks
from helpers import progress as _progress
from helpers.oip.damping import _frequency2
from helpers.oip.reading import check_targets, layer_info, model_image_shape
from helpers.oip.settings import (DEFAULT_AMPLITUDES, DEFAULT_SCALES, MAX_CANDIDATES, MAX_FACTOR, MAX_GRID_SIDE,
                                  MAX_SEED, _check_image_shape, _check_memory)

def initial_images(
    n: int,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    scales: Sequence[tuple[int, int]] = DEFAULT_SCALES,
    amplitudes: Sequence[float] | None = None,
    smoothing_sigma: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """Random start images with fluctuations on several length scales, standardized per image.

    Each scale ``(gh, gw)`` is a grid of independent standard-normal values, upsampled smoothly (bicubic) to the
    image size and weighted by its amplitude; the sum is optionally blurred and then standardized to mean 0 and
    std 1 per image. ``scales=((28, 28),)`` gives pure per-pixel noise.

    Args:
        n: number of images.
        image_shape: (height, width, channels).
        scales: grid sizes, coarse to fine, e.g. ((3, 3), (7, 7), (14, 14), (28, 28)).
        amplitudes: weight per scale (default: 1, 0.6, 0.3, 0.15 for the default scales, coarse ones weighted
            more; 1 for each scale otherwise).
        smoothing_sigma: Gaussian blur in pixels after mixing (0: none).
        seed: random seed; the same seed gives the same images.

    Returns:
        float32 array (n, height, width, channels).
    """
    import keras
    from scipy.ndimage import gaussian_filter

    n = checks.integer("n", n, 0)
    seed = checks.integer("seed", seed, 0, MAX_SEED, "64-bit seeds")
    height, width, channels = _check_image_shape(image_shape)
    smoothing_sigma = checks.real("smoothing_sigma", smoothing_sigma, 0, max(height, width),
                                  why="the image's larger side")
    _check_memory(f"n={n} start images of {height}x{width}x{channels}", 4 * n * height * width * channels,
                  "ask for fewer images")
    scales = _check_scales(scales, (height, width))
    if amplitudes is None:
        amplitudes = DEFAULT_AMPLITUDES if tuple(scales) == DEFAULT_SCALES else (1.0,) * len(scales)
    amplitudes = checks.finite_array("amplitudes", amplitudes, dtype=np.float64, ndim=1, max_abs=MAX_FACTOR)
    if len(amplitudes) != len(scales):
        raise ValueError(f"got {len(amplitudes)} amplitudes for {len(scales)} scales")
    finest = max(rows * cols for rows, cols in scales)
    _check_memory(f"n={n} start images with a {max(scales, key=lambda s: s[0] * s[1])} scale grid",
                  4 * n * finest * channels, "ask for fewer images or coarser scales")
    rng = np.random.default_rng(seed)
    images = np.zeros((n, height, width, channels), np.float32)
    for (rows, cols), amplitude in zip(scales, amplitudes):
        grid = rng.standard_normal((n, rows, cols, channels)).astype(np.float32)
        if (rows, cols) != (height, width):
            grid = keras.ops.convert_to_numpy(keras.ops.image.resize(grid, (height, width), interpolation="bicubic"))
        images += np.float32(amplitude) * grid
    if smoothing_sigma > 0:
        images = gaussian_filter(images, sigma=(0, smoothing_sigma, smoothing_sigma, 0)).astype(np.float32)
    return standardize_per_image(images)


def standardize_per_image(x: np.ndarray) -> np.ndarray:
    """Shift and scale every image of ``x`` (n, h, w, c) to mean 0 and std 1 (a constant image becomes 0)."""
    x = checks.finite_array("x", x, dtype=np.float32, ndim=4)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    std = x.std(axis=(1, 2, 3), keepdims=True)
    return (x - mean) / np.where(std > 0, std, 1.0)


def high_frequency_share(images: np.ndarray, cutoff: float = 0.5) -> np.ndarray:
    """Fraction of each image's spectral power (mean removed) above ``cutoff`` x the Nyquist frequency, (n,).

    A smooth pattern gives values near 0; pixel noise gives about 1 - pi/4 x cutoff^2 (~0.8 for cutoff 0.5).
    """
    images = checks.finite_array("images (n, h, w, c)", images, dtype=np.float64, ndim=4, max_abs=1e100)
    cutoff = checks.real("cutoff (fraction of the Nyquist frequency)", cutoff, 0, 2, open_low=True,
                         why="above 2 x Nyquist there is no frequency")
    centred = images - images.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(centred, axes=(1, 2))) ** 2
    high = (_frequency2(images.shape[1], images.shape[2]) > cutoff**2)[np.newaxis, :, :, np.newaxis]
    total = power.sum(axis=(1, 2, 3))
    return np.where(total > 0, (power * high).sum(axis=(1, 2, 3)) / np.where(total > 0, total, 1), 0.0)



def _check_scales(scales, image_size: tuple[int, int]) -> list[tuple[int, int]]:
    """``scales`` as a non-empty list of (rows, cols) grid sizes in 1..4096 (a grid finer than the image is
    resized down to it)."""
    image_size = (MAX_GRID_SIDE, MAX_GRID_SIDE)
    valid = f"a non-empty list of (rows, cols) (each at most {MAX_GRID_SIDE}) integer grid sizes >= 1"
    if isinstance(scales, (str, bytes)) or not isinstance(scales, (Sequence, np.ndarray)) or not len(scales):
        raise checks.WrongTypeError(f"scales must be {valid}, got {scales!r}")
    checked = []
    for pair in scales:
        ok = isinstance(pair, (Sequence, np.ndarray)) and not isinstance(pair, str) and len(pair) == 2
        ok = ok and all(checks.is_integer(v) and 1 <= v <= limit for v, limit in zip(pair, image_size))
        if not ok:
            raise ValueError(f"scales must be {valid}, got {scales!r}")
        checked.append((int(pair[0]), int(pair[1])))
    return checked



@dataclass
class ScanResult:
    """Best start per map from a precursor scan."""

    map_indices: np.ndarray  # (M,)
    starts: np.ndarray  # (M, h, w, c) the best candidate per map
    best_value: np.ndarray  # (M,) the objective of the best candidate (post-activation)
    fraction_active: np.ndarray  # (M,) fraction of candidates with objective > 0
    n_candidates: int


def precursor_scan(
    model,
    layer_name: str,
    map_indices: Sequence[int] | None = None,
    n_candidates: int = 1024,
    scales: Sequence[tuple[int, int]] = ((3, 3), (7, 7)),
    amplitudes: Sequence[float] | None = None,
    seed: int = 0,
    batch_size: int = 512,
    progress: bool | None = None,
) -> ScanResult:
    """Evaluate many random coarse-scale starts in batched forward passes and keep the best one per map.

    One forward pass scores every candidate for *all* maps at once. The best candidate is the one with the
    highest mean activation of the map; where no candidate activates a map at all, the one with the highest
    mean pre-activation is kept (closest to making the map fire; start :func:`run_oip` from it with
    ``pre_activation_steps``).

    Args:
        map_indices: maps of the conv layer ``layer_name`` to scan (default: all).
        n_candidates: random starts (:func:`initial_images` with ``scales``, ``amplitudes`` and ``seed``).
        batch_size: candidates per forward pass.
        progress: show a progress bar over the candidates (None: automatic, see :mod:`helpers.progress`).
    """
    info = layer_info(model, layer_name)
    if not info.grid:
        raise ValueError(f"precursor_scan works on conv layers; {layer_name!r} is dense")
    indices, _ = check_targets(info, np.arange(info.n_maps) if map_indices is None else map_indices)
    n_candidates = checks.size("n_candidates", n_candidates, MAX_CANDIDATES, "oip.MAX_CANDIDATES: a million random "
                               "starts take about two minutes")
    batch_size = activations.check_batch_size(batch_size)
    _progress.enabled(progress)
    candidates = initial_images(n_candidates, model_image_shape(model), scales=scales, amplitudes=amplitudes,
                                seed=seed)
    post_mean = np.empty((n_candidates, len(indices)), np.float32)  # (N, M) the objective of every candidate
    pre_mean = np.empty((n_candidates, len(indices)), np.float32)
    with _progress.bar(n_candidates, f"precursor scan {layer_name}", unit="candidate", progress=progress) as bar:
        for first in range(0, n_candidates, batch_size):
            part = slice(first, first + batch_size)
            for means, pre_activation in ((post_mean, False), (pre_mean, True)):
                maps = activations.extract(model, candidates[part], layer_name, batch_size=batch_size,
                                           pre_activation=pre_activation)  # (b, h, w, maps)
                means[part] = maps.mean(axis=(1, 2))[:, indices]
            bar.update(len(post_mean[part]))
    best = np.where(post_mean.max(axis=0) > 0, post_mean.argmax(axis=0), pre_mean.argmax(axis=0))
    return ScanResult(
        map_indices=indices.astype(np.int64),
        starts=candidates[best],
        best_value=post_mean[best, np.arange(len(indices))],
        fraction_active=(post_mean > 0).mean(axis=0),
        n_candidates=n_candidates,
    )

