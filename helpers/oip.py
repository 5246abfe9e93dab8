"""Original input patterns (OIPs): images that maximally activate a chosen map, found by gradient ascent.

The weights stay frozen; the *input image* is the variable. For image ``i`` of a batch the objective is the
mean activation of map ``map_indices[i]`` of one layer (or of one node ``(row, col)`` of it; for a dense layer,
unit ``map_indices[i]``). Each step:

1. computes the gradient of every image's objective with respect to that image (``GradientTape``),
2. divides it by its root-mean-square (so that ``epsilon`` is the step size in standardized pixel units),
3. adds ``epsilon`` times it to the image,
4. every ``damping_every`` steps damps high spatial frequencies (a light Gaussian blur or a Fourier low-pass),
5. re-standardizes the image to mean 0 and standard deviation 1 (the space of the training data).

All images of a batch ascend together in one compiled step, so all 128 maps of a layer cost about as much as a
few. Works on any single-input Keras image model (grey-scale or colour, any size).

Every option lives in one frozen :class:`AscentSettings`, checked when it is built: besides the steps above, the
tricks of lucid and Distill's "Feature Visualization" (random jitter, rotation and scaling; total-variation, L1
and L2 penalties; a 1/f Fourier parameterization; a diversity term) and the arithmetic precision.
:func:`run_oip` maximizes one map per image; :func:`ascend` takes any objectives of :mod:`helpers.objectives`
(maps, nodes, units, class logits, directions, and their weighted sums).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Sequence
import dataclasses
from dataclasses import dataclass, field, fields
from types import SimpleNamespace

import numpy as np

from helpers import activations, checks, device, objectives
from helpers import progress as _progress

VALID_DAMPING = ("blur", "fourier", None)
DEFAULT_DAMPING_SIGMA = {"blur": 0.4, "fourier": 1.0}
DEFAULT_SCALES = ((3, 3), (7, 7), (14, 14), (28, 28))
DEFAULT_AMPLITUDES = (1.0, 0.6, 0.3, 0.15)
MAX_STEPS = 100_000
"""The largest ``n_steps`` :func:`run_oip` accepts (600 suffice for the series' CNN)."""
MAX_BYTES = 2 * 2**30
"""The most memory (bytes) that :func:`run_oip`'s records or a batch of start images may take: 2 GiB."""
MAX_FACTOR = 1e30
"""The largest value of a setting without a natural scale (``damping_sigma``, ``tolerance``): beyond it the float32
arithmetic of the ascent overflows (its largest number is 3.4e38)."""
MIN_CUTOFF = 1e-9
"""The smallest cutoff of a ``coarse_to_fine`` low-pass: its square must stay a normal float32 number."""
MAX_GRID_SIDE = 4_096
"""The largest grid side of a start image's scale (:func:`initial_images`)."""
MAX_SEED = 2**63 - 1
"""The largest seed (NumPy and TensorFlow take 64-bit seeds)."""
MAX_EPSILON = 100.0
"""The largest step size ``epsilon``: a step of 100 standard deviations of the image (the series uses 0.01..0.05);
larger steps only overflow the re-standardization."""
MAX_WEIGHT = 1e6
"""The largest penalty or diversity weight: larger weights overflow the squares of the normalized gradient."""
MAX_CANDIDATES = 1_000_000
"""The most random starts :func:`precursor_scan` evaluates in one call (two forward passes each; a million take
about two minutes on a laptop CPU)."""

__all__ = [
    "AscentSettings", "OIPResult", "ScanResult", "LayerInfo", "initial_images", "standardize_per_image",
    "high_frequency_share", "log_spaced_steps", "layer_info", "check_targets", "gaussian_kernel",
    "fourier_preconditioner", "model_image_shape", "bfloat16_copy", "resolve_precision", "objective_values",
    "evaluate", "first_converged", "run_oip", "check_run_arguments", "ascend", "objective_groups", "precursor_scan",
    "AscentDivergedError", "EveryMapResult", "every_map_oips",
]


class AscentDivergedError(FloatingPointError):
    """The images or the objective of an ascent became NaN or infinite; the message names the steps and the
    setting most likely responsible."""


def _check_memory(what: str, n_bytes: int, advice: str) -> None:
    """Raise ValueError if ``n_bytes`` exceeds :data:`MAX_BYTES`, naming the need and the limit."""
    if n_bytes > MAX_BYTES:
        raise ValueError(f"{what} would need {n_bytes / 2**30:.3g} GiB, more than the limit of "
                         f"{MAX_BYTES / 2**30:.0f} GiB; {advice}")


# ------------------------------------------------------------------------------------------ initial images


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


def _check_image_shape(image_shape) -> tuple[int, int, int]:
    shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else None
    if shape is None or len(shape) != 3 or not all(checks.is_integer(s) and 1 <= s <= 2**16 for s in shape):
        raise ValueError(f"image_shape must be (height, width, channels) with sizes in 1..65536, got {image_shape!r}")
    return int(shape[0]), int(shape[1]), int(shape[2])


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


def log_spaced_steps(n_steps: int, first: int = 9) -> list[int]:
    """Snapshot steps doubling from ``first`` (9, 18, 36, 72, ...) below ``n_steps``, plus ``n_steps`` itself."""
    n_steps = checks.size("n_steps", n_steps, MAX_STEPS, "oip.MAX_STEPS, more than any ascent runs")
    first = checks.integer("first", first, 1)
    steps, step = [], first
    while step < n_steps:
        steps.append(step)
        step *= 2
    return steps + [n_steps]


# -------------------------------------------------------------------------------------------- objectives

# Layer targets live in helpers.objectives; these names stay importable from here.
LayerInfo = objectives.LayerInfo
layer_info = objectives.layer_info
check_targets = objectives.check_targets


# ------------------------------------------------------------------------------------------------ results


@dataclass
class OIPResult:
    """The outcome of one batched OIP run (image ``i`` belongs to ``map_indices[i]``, or to ``objectives[i]``)."""

    layer_name: str
    map_indices: np.ndarray  # (B,), -1 for composite objectives
    node: tuple[int, int] | None
    images: np.ndarray  # (B, h, w, c) final patterns, standardized
    initial: np.ndarray  # (B, h, w, c) the starts
    losses: np.ndarray  # (steps_run + 1, B): objective at step 0 (start) .. steps_run
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)  # step -> (B, h, w, c)
    converged_at: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # (B,) step, -1 if never
    steps_run: int = 0
    objectives: tuple | None = None  # the Objective of each image (runs of helpers.oip.ascend)
    settings: "AscentSettings | None" = None

    @property
    def final_loss(self) -> np.ndarray:
        """Objective of the final images, (B,)."""
        return self.losses[-1]

    @property
    def reacted(self) -> np.ndarray:
        """(B,) True where the objective became positive: the map reacted to its start."""
        return self.losses.max(axis=0) > 0

    @property
    def converged(self) -> np.ndarray:
        """(B,) True where the relative loss change fell below the tolerance."""
        return self.converged_at >= 0

    def summary(self) -> str:
        """One line: how many maps reacted and converged, the loss range."""
        reacted = self.reacted
        text = f"{self.layer_name}: {int(reacted.sum())} of {len(reacted)} reacted"
        if reacted.any():
            text += (
                f", {int((self.converged & reacted).sum())} converged within {self.steps_run} steps; final loss "
                f"{self.final_loss[reacted].min():.3g}..{self.final_loss[reacted].max():.3g}"
            )
        return text


# ---------------------------------------------------------------------------------------------- settings

VALID_PARAMETERIZATIONS = ("pixel", "fourier")
VALID_PRECISIONS = ("float32", "bfloat16", "auto")


@dataclass(frozen=True)
class AscentSettings:
    """Every option of the gradient ascent, checked once on construction (ValueError naming what is valid).

    Shared by :func:`run_oip`, :func:`ascend` and the explorer; change options with :meth:`replace`.

    The ascent (each step):
        n_steps: maximum number of steps (1..:data:`MAX_STEPS`).
        epsilon: step size in standardized pixel units (the gradient is divided by its RMS).
        normalize_gradient, restandardize: switch off the RMS division or the per-image re-standardization
            (for ablations).
        damping: ``"blur"`` (Gaussian of ``damping_sigma`` pixels, default 0.4), ``"fourier"`` (Gaussian
            low-pass; ``damping_sigma`` is the frequency, as a fraction of the Nyquist frequency, damped by 1/e;
            default 1.0) or None; applied to the image every ``damping_every`` steps.
        pre_activation_steps: ascend the value *before* the layer's activation for the first steps, so that a
            map whose ReLU output is 0 everywhere still gets a gradient.
        coarse_to_fine: ``(until_step, cutoff)`` pairs with increasing steps: until ``until_step`` the gradient
            is low-passed (Gaussian, ``cutoff`` as a fraction of the Nyquist frequency).

    Transformation robustness (Olah et al. 2017; applied to the image the model sees, drawn anew each step):
        jitter: random shift by up to this many whole pixels (0: off).
        rotate: random rotation by up to this many degrees (0..180).
        scale: random scaling by a factor in ``1 - scale .. 1 + scale`` (0 <= scale <= 0.99).

    Regularizers (subtracted from each image's objective, weights >= 0):
        tv_weight: total variation, the mean absolute difference of neighbouring pixels.
        l1_weight, l2_weight: the mean absolute pixel value and the mean squared pixel value.

    Parameterization:
        parameterization: ``"pixel"`` (ascend on pixels) or ``"fourier"`` (a decorrelated Fourier basis scaled by
            ``1 / f ** fourier_decay``, as lucid's ``fft_image``; for this normalized gradient ascent it is the
            same as filtering each gradient by ``1 / f ** (2 * fourier_decay)``).

    Diversity (Olah et al. 2017):
        diversity_weight: penalty on the mean Gram-matrix cosine between images with the same objective (needs
            at least two images per objective).
        diversity_layer: the layer whose Gram matrices are compared (None: the objective's layer).

    Speed and records:
        precision: ``"float32"``, ``"bfloat16"`` (a bfloat16 copy of the model computes the steps) or ``"auto"``
            (bfloat16 only where the processor computes it natively and it measures faster; see
            :func:`resolve_precision`). The last row of a run's losses (the final objective) is always computed
            by the float32 model, so runs of both precisions are graded on the same scale.
        tolerance, window: converged when the objective differs from its value ``window`` steps earlier by less
            than ``tolerance * window`` of its current value (see :func:`first_converged`).
        early_stop: stop when every image has converged or never reacted.
        snapshot_steps: steps at which to keep copies of the images (None: 9, 18, 36, ..., last).
        chunk_size: images per compiled step (bounds memory); block_size: steps per compiled call.
        seed: seeds the default start images and the random transformations.
        verbose: print the objective at the snapshot steps; progress: a self-erasing progress bar (None:
            automatic, see :mod:`helpers.progress`).
    """

    n_steps: int = 600
    epsilon: float = 0.01
    normalize_gradient: bool = True
    restandardize: bool = True
    damping: str | None = "blur"
    damping_every: int = 4
    damping_sigma: float | None = None
    pre_activation_steps: int = 0
    coarse_to_fine: tuple[tuple[int, float], ...] = ()
    jitter: int = 0
    rotate: float = 0.0
    scale: float = 0.0
    tv_weight: float = 0.0
    l1_weight: float = 0.0
    l2_weight: float = 0.0
    parameterization: str = "pixel"
    fourier_decay: float = 1.0
    diversity_weight: float = 0.0
    diversity_layer: str | None = None
    precision: str = "float32"
    tolerance: float = 2e-4
    window: int = 20
    early_stop: bool = True
    snapshot_steps: tuple[int, ...] | None = None
    chunk_size: int = 256
    block_size: int = 10
    seed: int = 0
    verbose: bool = False
    progress: bool | None = None

    def __post_init__(self) -> None:
        def put(name, value):
            object.__setattr__(self, name, value)

        put("n_steps", checks.integer("n_steps", self.n_steps, 1, MAX_STEPS))
        put("epsilon", checks.real("epsilon", self.epsilon, 0, MAX_EPSILON, open_low=True,
                                          why="oip.MAX_EPSILON, 100 standard deviations of the image per step"))
        for name in ("normalize_gradient", "restandardize", "early_stop", "verbose"):
            put(name, checks.flag(name, getattr(self, name)))
        put("damping", checks.choice("damping", self.damping, VALID_DAMPING, quote=True))
        put("damping_every", checks.integer("damping_every", self.damping_every, 1, MAX_STEPS, "oip.MAX_STEPS"))
        if self.damping_sigma is not None:
            put("damping_sigma", checks.real("damping_sigma", self.damping_sigma, 0, MAX_FACTOR, open_low=True,
                                                    why="beyond it the float32 arithmetic of the ascent overflows"))
        put("pre_activation_steps", checks.integer("pre_activation_steps", self.pre_activation_steps, 0, MAX_STEPS))
        put("coarse_to_fine", _check_schedule(self.coarse_to_fine))
        put("jitter", checks.integer("jitter (pixels)", self.jitter, 0, 2**16, "larger than any image"))
        put("rotate", checks.real("rotate (degrees)", self.rotate, 0, 180))
        put("scale", checks.real("scale (fraction)", self.scale, 0, 0.99))
        for name in ("tv_weight", "l1_weight", "l2_weight", "diversity_weight"):
            put(name, checks.real(name, getattr(self, name), 0, MAX_WEIGHT,
                                       why="oip.MAX_WEIGHT; larger weights overflow the normalized gradient"))
        put("parameterization", checks.choice("parameterization", self.parameterization, VALID_PARAMETERIZATIONS,
                                              quote=True))
        put("fourier_decay", checks.real("fourier_decay", self.fourier_decay, 0, 4))
        if self.diversity_layer is not None:
            checks.string("diversity_layer (a layer name or None)", self.diversity_layer)
        put("precision", checks.choice("precision", self.precision, VALID_PRECISIONS, quote=True))
        put("tolerance", checks.real("tolerance", self.tolerance, 0, MAX_FACTOR, why="beyond it the float32 arithmetic of the ascent overflows"))
        put("window", checks.integer("window", self.window, 1, MAX_STEPS))
        if self.snapshot_steps is not None:
            steps = [self.snapshot_steps] if checks.is_integer(self.snapshot_steps) else self.snapshot_steps
            if isinstance(steps, (str, bytes, dict)) or not isinstance(steps, Iterable):
                raise checks.WrongTypeError(f"snapshot_steps must be integer steps in 1..{self.n_steps} (n_steps) "
                                            f"or None, got {type(steps).__name__} {steps!r}")
            bad = [s for s in steps if not (checks.is_integer(s) and 1 <= s <= self.n_steps)]
            if bad:
                raise ValueError(f"snapshot_steps must be integer steps in 1..{self.n_steps} (n_steps), got {bad[0]!r}")
            put("snapshot_steps", tuple(sorted({int(s) for s in steps})))
        put("chunk_size", checks.size("chunk_size", self.chunk_size, 2**20, "images per compiled step; larger "
                                      "chunks only need more memory"))
        put("block_size", checks.integer("block_size", self.block_size, 1, MAX_STEPS, "oip.MAX_STEPS"))
        put("seed", checks.integer("seed", self.seed, 0, MAX_SEED, "64-bit seeds"))
        put("progress", checks.flag("progress", self.progress, allow_none=True))
        self._refuse_unused()

    def _refuse_unused(self) -> None:
        """Settings that would do nothing in the chosen mode are refused (the message names the mode)."""
        if self.damping is None:
            checks.unused("damping_sigma", self.damping_sigma, None, "only with damping='blur' or 'fourier'")
        if self.parameterization == "pixel":
            checks.unused("fourier_decay", self.fourier_decay, 1.0, "only with parameterization='fourier'")
        if not self.diversity_weight:
            checks.unused("diversity_layer", self.diversity_layer, None, "only with diversity_weight > 0")

    def replace(self, **changes) -> "AscentSettings":
        """A copy with ``changes`` applied (and checked); unknown names raise TypeError listing the valid ones."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise TypeError(f"unknown ascent setting(s) {', '.join(unknown)}; valid: "
                            f"{', '.join(f.name for f in fields(self))}")
        return dataclasses.replace(self, **changes)

    @property
    def sigma(self) -> float:
        """``damping_sigma`` with its default for the chosen damping filled in."""
        return self.damping_sigma if self.damping_sigma is not None else DEFAULT_DAMPING_SIGMA.get(self.damping, 1.0)

    @property
    def transforms(self) -> bool:
        """True if any random transformation (jitter, rotate, scale) is on."""
        return bool(self.jitter or self.rotate or self.scale)

    def steps_to_snapshot(self) -> list[int]:
        """The snapshot steps, with the log-spaced default filled in."""
        return list(self.snapshot_steps) if self.snapshot_steps is not None else log_spaced_steps(self.n_steps)

    def check_image(self, image_shape: tuple[int, int, int]) -> None:
        """The checks that need the image size: the blur's reach and the jitter must fit inside the image."""
        height, width = _check_image_shape(image_shape)[:2]
        if self.damping == "blur":  # the reflecting pad of the blur, ceil(2 sigma), must stay inside the image
            checks.real(f"damping_sigma (pixels, for {height}x{width} images)", self.sigma, 0,
                        (min(height, width) - 1) / 2, open_low=True)
        if self.jitter >= min(height, width) / 2:
            raise ValueError(f"jitter of {self.jitter} pixels is too large for {height}x{width} images; valid: "
                             f"0..{math.ceil(min(height, width) / 2) - 1}")


def _check_schedule(coarse_to_fine) -> tuple[tuple[int, float], ...]:
    """``coarse_to_fine`` as ``(until_step, cutoff)`` pairs with increasing integer steps and finite cutoffs of
    at least :data:`MIN_CUTOFF` (a fraction of the Nyquist frequency)."""
    valid = "(until_step, cutoff) pairs with increasing steps (integers >= 1) and finite cutoffs > 0"
    limits = (f"; steps are at most oip.MAX_STEPS and cutoffs (fractions of the Nyquist frequency) at least "
              f"{MIN_CUTOFF:g}: smaller ones underflow float32")
    if coarse_to_fine is None:
        return ()
    if isinstance(coarse_to_fine, (str, bytes)) or not isinstance(coarse_to_fine, (Sequence, np.ndarray)):
        raise checks.WrongTypeError(f"coarse_to_fine must be {valid}, got {coarse_to_fine!r}{limits}")
    schedule: list[tuple[int, float]] = []
    for pair in coarse_to_fine:
        ok = isinstance(pair, (Sequence, np.ndarray)) and not isinstance(pair, str) and len(pair) == 2
        ok = ok and checks.is_integer(pair[0]) and 1 <= pair[0] <= MAX_STEPS and checks.is_real(pair[1])
        ok = ok and bool(np.isfinite(pair[1])) and pair[1] >= MIN_CUTOFF
        if not ok or (schedule and schedule[-1][0] >= pair[0]):
            raise ValueError(f"coarse_to_fine must be {valid}, got {coarse_to_fine}{limits}")
        schedule.append((int(pair[0]), float(pair[1])))
    return tuple(schedule)


def _settings(settings: AscentSettings | None, overrides: dict) -> AscentSettings:
    """``settings`` (default: :class:`AscentSettings`) with keyword ``overrides`` applied."""
    if settings is None:
        settings = AscentSettings()
    elif not isinstance(settings, AscentSettings):
        raise TypeError(f"settings must be an AscentSettings, got {type(settings).__name__}")
    return settings.replace(**overrides) if overrides else settings


# ------------------------------------------------------------------------------------------------ engine


def gaussian_kernel(sigma: float, channels: int) -> np.ndarray:
    """Normalized 2-D Gaussian of ``sigma`` pixels as a depthwise kernel (k, k, channels, 1), k = 2*ceil(2*sigma)+1."""
    sigma = checks.real("sigma", sigma, 0, 1000, open_low=True, why="pixels; a wider blur than any image")
    channels = checks.size("channels", channels, 2**16, "more channels than any image model has")
    radius = max(1, int(math.ceil(2 * sigma)))
    offsets = np.arange(-radius, radius + 1, dtype=np.float32)
    profile = np.exp(-0.5 * (offsets / sigma) ** 2)
    profile /= profile.sum()
    kernel = np.outer(profile, profile)[:, :, np.newaxis, np.newaxis]
    return np.repeat(kernel, channels, axis=2).astype(np.float32)  # (k, k, channels, 1) depthwise


def _frequency2(height: int, width: int) -> np.ndarray:
    """Squared spatial frequency of each FFT coefficient in units of the Nyquist frequency, (height, width)."""
    fy = np.fft.fftfreq(height)[:, np.newaxis] / 0.5
    fx = np.fft.fftfreq(width)[np.newaxis, :] / 0.5
    return (fy**2 + fx**2).astype(np.float32)


def _fourier_mask(height: int, width: int, cutoff: float) -> np.ndarray:
    """Gaussian low-pass in frequency space: components at ``cutoff`` x Nyquist are damped by 1/e."""
    return np.exp(-_frequency2(height, width) / cutoff**2).astype(np.float32)


def fourier_preconditioner(height: int, width: int, decay: float = 1.0) -> np.ndarray:
    """The gradient filter equivalent to lucid's 1/f Fourier parameterization, (height, width), mean 1.

    With the image written as ``x = IFFT(scale * s)`` and ``scale = 1 / max(f, 1 / max(h, w)) ** decay`` (``f`` in
    cycles per pixel), a gradient step on ``s`` moves ``x`` by the pixel gradient filtered with ``scale ** 2``.
    """
    height = checks.size("height", height, 2**16, "larger than any image")
    width = checks.size("width", width, 2**16, "larger than any image")
    decay = checks.real("decay", decay, 0, 4)
    frequency = np.sqrt(_frequency2(height, width)) * 0.5  # cycles per pixel
    scale = 1.0 / np.maximum(frequency, 1.0 / max(height, width)) ** decay
    filter_ = scale**2
    return (filter_ / filter_.mean()).astype(np.float32)


class _Bound:
    """``function(*args, extra)``: a fresh callable object per use, so that each ``tf.function`` has its own."""

    def __init__(self, function, extra):
        self.function, self.extra = function, extra

    def __call__(self, *args):
        return self.function(*args, self.extra)


@dataclass(frozen=True)
class _Plan:
    """What the compiled ascent reads (the structure of :class:`helpers.objectives.Compiled`, without arrays)."""

    simple: bool
    layer_name: str  # simple: the target layer
    node: tuple[int, int] | None
    pre_activation: bool  # simple: the term reads the value before the activation
    groups: tuple  # composite: GroupKey per weight array
    diversity_layer: str | None  # None: no diversity term
    diversity_pairs: bool = False  # compare Gram matrices pair by pair in node space (see _Ascent._similarity)

    def outputs(self, use_pre: bool) -> tuple[tuple[str, bool], ...]:
        """(layer_name, pre_activation) of every tensor one forward pass must return."""
        wanted = [(self.layer_name, self.pre_activation or use_pre)] if self.simple else [
            (g.layer_name, g.pre_activation or use_pre) for g in self.groups]
        if self.diversity_layer is not None:
            wanted.append((self.diversity_layer, False))
        return tuple(dict.fromkeys(wanted))


class _Ascent:
    """Compiled objective and ascent for one (model, plan, static settings) combination.

    ``block`` runs several ascent steps inside one compiled call (a ``tf.while_loop``) and returns the
    objective before each step, so that Python is involved only once per block.
    """

    def __init__(self, model, plan: _Plan, settings: AscentSettings, image_shape: tuple[int, int, int]):
        import tensorflow as tf

        self.plan = plan
        self.settings = settings
        self.keys = {use_pre: plan.outputs(use_pre) for use_pre in (False, True)}
        self.models = {use_pre: activations.activation_model(model, [k[0] for k in keys], [k[1] for k in keys])
                       for use_pre, keys in self.keys.items()}
        self.cast = any("float32" != str(layer.compute_dtype) for layer in model.layers[1:])
        height, width, channels = image_shape
        self.image_shape = image_shape
        if settings.damping == "blur":
            kernel = gaussian_kernel(settings.sigma, channels)
            self.kernel = tf.constant(kernel)
            self.pad = kernel.shape[0] // 2
        elif settings.damping == "fourier":
            self.mask = tf.constant(_fourier_mask(height, width, settings.sigma), dtype=tf.complex64)
        if settings.parameterization == "fourier":
            self.preconditioner = tf.constant(fourier_preconditioner(height, width, settings.fourier_decay),
                                              dtype=tf.complex64)
        self.frequency2 = tf.constant(_frequency2(height, width))  # for the coarse-to-fine gradient low-pass
        spec_x = tf.TensorSpec((None, height, width, channels), tf.float32)
        if plan.simple:
            spec_targets = (tf.TensorSpec((None,), tf.int32),)
        else:
            shapes = [tuple(model.get_layer(g.layer_name).output.shape[1:]) for g in plan.groups]
            spec_targets = tuple(tf.TensorSpec((None, *(shape if g.spatial == "full" else shape[-1:])), tf.float32)
                                 for g, shape in zip(plan.groups, shapes))
        self.n_targets = len(spec_targets)
        spec_group = tf.TensorSpec((None,), tf.int32)  # (B,) group of each image: images sharing an objective
        scalar_i = tf.TensorSpec((), tf.int32)
        scalar_f = tf.TensorSpec((), tf.float32)
        # Callable objects rather than lambdas: TensorFlow counts traces per code object, and many engines
        # sharing one lambda would trigger its "excessive retracing" warning.
        self.objective = {
            use_pre: tf.function(_Bound(self._objective, use_pre), input_signature=[spec_x, *spec_targets])
            for use_pre in (False, True)
        }
        signature = [spec_x, *spec_targets, spec_group, scalar_f, scalar_i, scalar_i, scalar_f, scalar_i]
        # one compiled block per (pre-activation phase, coarse-to-fine phase): no branches in the common case
        self.block = {(use_pre, coarse): tf.function(_Bound(self._block, (use_pre, coarse)), input_signature=signature)
                      for use_pre in (False, True) for coarse in (False, True)}

    def _forward(self, x, use_pre: bool) -> dict:
        """{(layer_name, pre_activation): float32 output} for one forward pass."""
        import tensorflow as tf

        outputs = self.models[use_pre](x, training=False)
        if not isinstance(outputs, (list, tuple)):  # a one-output model returns its tensor
            outputs = [outputs]
        if self.cast:
            outputs = [tf.cast(o, tf.float32) for o in outputs]
        return dict(zip(self.keys[use_pre], outputs))

    def _read(self, outputs: dict, targets, use_pre: bool):
        """Each image's objective (B,) from the forward pass's ``outputs``."""
        import tensorflow as tf

        plan = self.plan
        if plan.simple:
            acts = outputs[(plan.layer_name, plan.pre_activation or use_pre)]
            map_indices = targets[0]
            if len(acts.shape) == 2:  # dense: one unit per image
                return tf.gather(acts, map_indices, axis=1, batch_dims=1)
            maps = tf.gather(acts, map_indices, axis=3, batch_dims=1)  # (B, h, w): each image's own map
            if plan.node is not None:
                return maps[:, plan.node[0], plan.node[1]]
            return tf.reduce_mean(maps, axis=[1, 2])
        total = 0.0
        for group, weights in zip(plan.groups, targets):
            acts = outputs[(group.layer_name, group.pre_activation or use_pre)]
            if group.spatial == "mean" and len(acts.shape) == 4:
                acts = tf.reduce_mean(acts, axis=[1, 2])
            total += tf.reduce_sum(acts * weights, axis=list(range(1, len(acts.shape))))
        return total

    def _objective(self, x, *targets_and_phase):
        *targets, use_pre = targets_and_phase
        return self._read(self._forward(x, use_pre), targets, use_pre)

    def _damp(self, x):
        import tensorflow as tf

        if self.settings.damping == "blur":
            p = self.pad
            padded = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")
            return tf.nn.depthwise_conv2d(padded, self.kernel, strides=[1, 1, 1, 1], padding="VALID")
        return self._filter(x, self.mask)

    @staticmethod
    def _filter(x, mask):
        """Multiply each channel's 2-D spectrum by ``mask`` (h, w)."""
        import tensorflow as tf

        channels_first = tf.transpose(x, [0, 3, 1, 2])
        spectrum = tf.signal.fft2d(tf.cast(channels_first, tf.complex64)) * mask
        return tf.transpose(tf.math.real(tf.signal.ifft2d(spectrum)), [0, 2, 3, 1])

    def _coarse(self, grad, cutoff):
        """The gradient with frequencies above ``cutoff`` (fraction of Nyquist) damped by a Gaussian."""
        import tensorflow as tf

        return self._filter(grad, tf.cast(tf.exp(-self.frequency2 / tf.square(cutoff)), tf.complex64))

    def _transform(self, x, rng):
        """Randomly shifted (whole pixels), rotated and scaled copies of ``x``, edges reflected; ``rng`` (2,) int32."""
        import tensorflow as tf

        s = self.settings
        height, width = self.image_shape[:2]
        u = tf.random.stateless_uniform(tf.stack([tf.shape(x)[0], 4]), seed=rng, minval=-1.0, maxval=1.0)
        shift_x, shift_y = tf.round(u[:, 0] * s.jitter), tf.round(u[:, 1] * s.jitter)
        angle = u[:, 2] * (s.rotate * math.pi / 180)
        zoom = 1.0 + u[:, 3] * s.scale
        cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
        cx, cy = (width - 1) / 2, (height - 1) / 2
        # output pixel (x, y) reads input pixel (a0 x + a1 y + a2, b0 x + b1 y + b2)
        a2 = cx - cos * cx - sin * cy + shift_x
        b2 = cy + sin * cx - cos * cy + shift_y
        zeros = tf.zeros_like(cos)
        transforms = tf.stack([cos, sin, a2, -sin, cos, b2, zeros, zeros], axis=1)
        return tf.raw_ops.ImageProjectiveTransformV3(
            images=x, transforms=transforms, output_shape=tf.constant([height, width]), fill_value=0.0,
            interpolation="BILINEAR", fill_mode="REFLECT")

    @staticmethod
    def _similarity(acts, group, pairs: bool):
        """Each image's mean Gram-matrix cosine with the other images of its group, (B,) (``group``: (B,) ids).

        ``pairs`` (conv layers): take the Gram products in node space, <F_i^T F_i, F_j^T F_j> = ||F_i F_j^T||^2
        (F: nodes x maps), for every pair of images of one group -- nodes^2 numbers per pair instead of maps^2 per
        image, far less work where maps outnumber nodes (Conv2D_3: 9 nodes, 128 maps).
        """
        import tensorflow as tf

        if pairs:
            n, nodes = tf.shape(acts)[0], acts.shape[1] * acts.shape[2]
            flat = tf.reshape(acts, [n, nodes, acts.shape[3]]) / math.sqrt(nodes)  # flat^T flat: the Gram matrix
            norm = tf.sqrt(tf.maximum(tf.reduce_sum(tf.square(tf.matmul(flat, flat, transpose_b=True)), axis=[1, 2]),
                                      1e-12))  # each Gram matrix's norm, floored as in l2_normalize
            same = tf.where(tf.equal(group[:, None], group[None, :]) & ~tf.eye(n, dtype=tf.bool))  # (P, 2)
            first, second = same[:, 0], same[:, 1]
            inner = tf.reduce_sum(tf.square(tf.matmul(tf.gather(flat, first), tf.gather(flat, second),
                                                      transpose_b=True)), axis=[1, 2])
            cosine = inner / (tf.gather(norm, first) * tf.gather(norm, second))
            counts = tf.math.unsorted_segment_sum(tf.ones_like(cosine), first, n)
            return tf.math.unsorted_segment_sum(cosine, first, n) / tf.maximum(counts, 1.0)
        if len(acts.shape) == 4:
            flat = tf.reshape(acts, [tf.shape(acts)[0], -1, acts.shape[-1]])  # (B, nodes, maps)
            gram = tf.matmul(flat, flat, transpose_a=True) / tf.cast(tf.shape(flat)[1], tf.float32)
            acts = tf.reshape(gram, [tf.shape(acts)[0], -1])
        unit = tf.math.l2_normalize(acts, axis=1)
        n_groups = tf.reduce_max(group) + 1
        sums = tf.math.unsorted_segment_sum(unit, group, n_groups)  # (G, features): each group's sum of unit vectors
        counts = tf.math.unsorted_segment_sum(tf.ones_like(unit[:, 0]), group, n_groups)
        others = tf.reduce_sum(unit * tf.gather(sums, group), axis=1) - tf.reduce_sum(unit * unit, axis=1)
        return others / tf.maximum(tf.gather(counts, group) - 1.0, 1.0)  # O(B) instead of all B x B pairs

    def _penalty(self, x):
        """The regularizers of each image, (B,) (0 where all weights are 0)."""
        import tensorflow as tf

        s = self.settings
        penalty = 0.0
        if s.tv_weight:
            dy = tf.reduce_mean(tf.abs(x[:, 1:] - x[:, :-1]), axis=[1, 2, 3])
            dx = tf.reduce_mean(tf.abs(x[:, :, 1:] - x[:, :, :-1]), axis=[1, 2, 3])
            penalty += s.tv_weight * (dx + dy)
        if s.l1_weight:
            penalty += s.l1_weight * tf.reduce_mean(tf.abs(x), axis=[1, 2, 3])
        if s.l2_weight:
            penalty += s.l2_weight * tf.reduce_mean(tf.square(x), axis=[1, 2, 3])
        return penalty

    def _step(self, x, targets, group, epsilon, step, use_pre: bool, grad_cutoff, rng_base):
        """One ascent step (``step`` counts from 1); returns the new images and the objective before the step."""
        import tensorflow as tf

        s = self.settings
        with tf.GradientTape() as tape:
            tape.watch(x)
            seen = self._transform(x, tf.stack([rng_base, step])) if s.transforms else x
            outputs = self._forward(seen, use_pre)
            loss = self._read(outputs, targets, use_pre)
            total = tf.reduce_sum(loss)  # images are independent: d total / d x_i = d loss_i / d x_i
            if s.tv_weight or s.l1_weight or s.l2_weight:
                total -= tf.reduce_sum(self._penalty(x))
            if s.diversity_weight:
                acts = outputs[(self.plan.diversity_layer, False)]
                total -= s.diversity_weight * tf.reduce_sum(self._similarity(acts, group, self.plan.diversity_pairs))
        grad = tape.gradient(total, x)
        if s.parameterization == "fourier":
            grad = self._filter(grad, self.preconditioner)
        if grad_cutoff is not None:
            grad = self._coarse(grad, grad_cutoff)
        if use_pre:  # report the real (post-activation) objective during the warm-up
            loss = self._read(self._forward(x, False), targets, False)
        if s.normalize_gradient:
            rms = tf.sqrt(tf.reduce_mean(tf.square(grad), axis=[1, 2, 3], keepdims=True))
            grad = tf.math.divide_no_nan(grad, rms)
        x = x + epsilon * grad
        if s.damping is not None:
            x = tf.cond(step % s.damping_every == 0, lambda: self._damp(x), lambda: x)
        if s.restandardize:
            mean, variance = tf.nn.moments(x, axes=[1, 2, 3], keepdims=True)
            x = tf.math.divide_no_nan(x - mean, tf.sqrt(variance))
        return x, loss

    def _block(self, x, *args):
        """``n`` ascent steps starting at step ``first_step``; returns the images and the objectives (n, B).
        The phase (last argument) = (pre-activation warm-up, coarse-to-fine: low-pass the gradient at
        ``grad_cutoff``)."""
        import tensorflow as tf

        targets = args[: self.n_targets]
        group, epsilon, first_step, n, grad_cutoff, rng_base, (use_pre, coarse) = args[self.n_targets:]
        losses = tf.TensorArray(tf.float32, size=n)
        for i in tf.range(n):
            x, loss = self._step(x, targets, group, epsilon, first_step + i, use_pre, grad_cutoff if coarse else None,
                                 rng_base)
            losses = losses.write(i, loss)
        return x, losses.stack()


_ENGINES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
"""model -> {(plan, settings): engine}; entries vanish with their model (engines hold sub-models, not the model)."""

_STATIC = ("normalize_gradient", "restandardize", "damping", "damping_every", "jitter", "rotate", "scale",
           "tv_weight", "l1_weight", "l2_weight", "parameterization", "fourier_decay", "diversity_weight")
"""The settings that shape the compiled step (the others are inputs or drive the Python loop)."""


def _engine(model, plan: _Plan, settings: AscentSettings) -> _Ascent:
    """A cached :class:`_Ascent` (rebuilt if the model's cached sub-model changed)."""
    static = AscentSettings(**{name: getattr(settings, name) for name in _STATIC},
                            damping_sigma=settings.sigma if settings.damping else None)
    key = (plan, static)
    per_model = _ENGINES.setdefault(model, {})
    engine = per_model.get(key)
    keys = plan.outputs(False)
    current = activations.activation_model(model, [k[0] for k in keys], [k[1] for k in keys])
    if engine is None or engine.models[False] is not current:
        engine = per_model[key] = _Ascent(model, plan, static, model_image_shape(model))
    return engine


def model_image_shape(model) -> tuple[int, int, int]:
    """(height, width, channels) of the model's input; fails for models without a fixed image size."""
    shape = checks.keras_model("model", model).input_shape
    if isinstance(shape, list) or len(shape) != 4 or None in shape[1:]:
        raise ValueError(f"OIPs need a single image input with a fixed size (n, h, w, c); model has {shape}")
    return tuple(int(s) for s in shape[1:])


# --------------------------------------------------------------------------------------------- precision

_BFLOAT16_COPIES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_AUTO_CHOICE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def bfloat16_copy(model):
    """A copy of ``model`` that computes in bfloat16 (Keras' ``mixed_bfloat16`` policy; weights kept in float32
    and copied from ``model`` on every call, so the copy follows later weight changes)."""
    import keras

    checks.keras_model("model", model)
    copy = _BFLOAT16_COPIES.get(model)
    if copy is None:
        def with_policy(layer):
            config = layer.get_config()
            if not isinstance(layer, keras.layers.InputLayer):
                config["dtype"] = "mixed_bfloat16"
            return layer.__class__.from_config(config)

        try:
            copy = keras.models.clone_model(model, clone_function=with_policy)
        except Exception as error:  # subclassed models cannot be cloned from their configuration
            raise ValueError(f"precision='bfloat16' needs a functional or Sequential model that Keras can clone; "
                             f"cloning {model.name!r} failed ({error}); use precision='float32'") from error
        _BFLOAT16_COPIES[model] = copy
    copy.set_weights(model.get_weights())
    return copy


def resolve_precision(model, precision: str = "auto", layer_name: str | None = None) -> str:
    """``"float32"`` or ``"bfloat16"``: the precision a run with ``precision`` uses on this machine.

    ``"auto"`` picks bfloat16 only where :func:`helpers.device.bfloat16_native` says the processor computes it
    natively *and* 20 ascent steps of 128 images on ``layer_name`` (default: the deepest conv layer) run at least
    1.2x faster in bfloat16 than in float32; the choice is remembered per model.
    """
    import time

    checks.keras_model("model", model)
    precision = checks.choice("precision", precision, VALID_PRECISIONS, quote=True)
    if layer_name is not None:
        layer_info(model, layer_name)
    if precision != "auto":
        return precision
    if model in _AUTO_CHOICE:
        return _AUTO_CHOICE[model]
    choice = "float32"
    if device.bfloat16_native():
        if layer_name is None:
            conv = [layer.name for layer in model.layers if len(layer.output.shape) == 4
                    and objectives._target_problem(model, layer) is None]
            layer_name = conv[-1] if conv else objectives.output_layer_name(model)
        n_maps = layer_info(model, layer_name).n_maps
        x0 = initial_images(128, model_image_shape(model), seed=0)
        indices = np.arange(128) % n_maps
        seconds = {}
        for candidate in ("float32", "bfloat16"):
            settings = AscentSettings(n_steps=20, early_stop=False, snapshot_steps=(), precision=candidate,
                                      progress=False)
            run_oip(model, layer_name, indices, x0=x0, settings=settings.replace(n_steps=2))  # compile
            start = time.perf_counter()
            run_oip(model, layer_name, indices, x0=x0, settings=settings)
            seconds[candidate] = time.perf_counter() - start
        if seconds["float32"] >= 1.2 * seconds["bfloat16"]:
            choice = "bfloat16"
    _AUTO_CHOICE[model] = choice
    return choice


def _compute_model(model, settings: AscentSettings, layer_name: str | None):
    precision = resolve_precision(model, settings.precision, layer_name)
    return bfloat16_copy(model) if precision == "bfloat16" else model


# ----------------------------------------------------------------------------------------- evaluations


def objective_values(
    model, layer_name: str, map_indices: Sequence[int], x: np.ndarray, node: tuple[int, int] | None = None,
    pre_activation: bool = False, batch_size: int = 512,
) -> np.ndarray:
    """The OIP objective of image ``i`` for map ``map_indices[i]`` (mean activation, or one node), shape (B,)."""
    info = layer_info(model, layer_name)
    indices, node = check_targets(info, map_indices, node)
    compiled = objectives.Compiled(True, layer_name, indices, node, False, (), ())
    return _evaluate(model, compiled, x, checks.flag("pre_activation", pre_activation), batch_size)


def evaluate(model, objective_list: Sequence["objectives.Objective"], x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """The value of ``objective_list[i]`` for image ``x[i]``, shape (B,) (see :mod:`helpers.objectives`)."""
    return _evaluate(model, objectives.compile_objectives(model, objective_list), x, False, batch_size)


def _evaluate(model, compiled, x, pre_activation: bool, batch_size: int) -> np.ndarray:
    x = activations.as_model_input(model, x, name="x")  # finite floats of the model's input shape
    batch_size = activations.check_batch_size(batch_size)
    n = len(compiled.indices)
    if n != len(x):
        raise ValueError(f"got {n} objectives (map indices) for {len(x)} images")
    engine = _engine(model, _plan(compiled, None), AscentSettings(damping=None))
    targets = _targets(compiled)
    out = [engine.objective[bool(pre_activation)](np.asarray(x[i : i + batch_size], np.float32),
                                                  *[t[i : i + batch_size] for t in targets]).numpy()
           for i in range(0, n, batch_size)]
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def _plan(compiled, diversity_layer: str | None, diversity_pairs: bool = False) -> _Plan:
    return _Plan(compiled.simple, compiled.layer_name if compiled.simple else "", compiled.node,
                 compiled.pre_activation, compiled.groups, diversity_layer, diversity_pairs)


def _targets(compiled) -> tuple[np.ndarray, ...]:
    return (compiled.indices,) if compiled.simple else compiled.weights


def first_converged(losses: np.ndarray, tolerance: float, window: int, first_row: int, end_row: int) -> np.ndarray:
    """The convergence criterion of :func:`run_oip` on rows ``first_row..end_row-1`` of a loss curve (steps, B).

    Row ``t`` counts as converged when the objective is positive and differs from its value at row ``t - window``
    by less than ``tolerance * window`` of its current value: two points are compared, so a saw-tooth (e.g. from
    periodic damping) can satisfy the rule while the objective still rises. Returns the first such row per image,
    or -1.
    """
    losses = checks.finite_array("losses (steps, B)", losses, ndim=2)
    tolerance = checks.real("tolerance", tolerance, 0, MAX_FACTOR, why="beyond it the float32 arithmetic of the ascent overflows")
    window = checks.integer("window", window, 1, MAX_STEPS)
    end_row = checks.integer(f"end_row (at most the {len(losses)} rows of losses)", end_row, 0, len(losses))
    first_row = checks.integer("first_row", first_row, 0)
    rows = np.arange(max(first_row, window), end_row)
    if not len(rows):
        return np.full(losses.shape[1], -1)
    now, before = losses[rows], losses[rows - window]
    settled = (now > 0) & (np.abs(now - before) < tolerance * window * np.maximum(np.abs(now), 1e-12))
    return np.where(settled.any(axis=0), rows[settled.argmax(axis=0)], -1)


# ------------------------------------------------------------------------------------------------- ascent


def run_oip(
    model,
    layer_name: str,
    map_indices: Sequence[int] | int,
    x0: np.ndarray | None = None,
    node: tuple[int, int] | None = None,
    settings: AscentSettings | None = None,
    **overrides,
) -> OIPResult:
    """Gradient ascent on input images, one map per image, all images in one compiled step.

    Args:
        model: any single-input Keras image model; its weights are not changed.
        layer_name: the layer whose map (conv) or unit (dense) is maximized.
        map_indices: one index per image (e.g. ``range(128)`` for all maps), or one int for a single image.
        x0: start images (B, h, w, c) in standardized space; default: :func:`initial_images` (multi-scale) with
            the settings' ``seed``.
        node: maximize one node (row, col) of each map instead of the map's mean.
        settings: the ascent's options (:class:`AscentSettings`; default: its defaults).
        **overrides: single options changed for this call, e.g. ``n_steps=300, damping=None`` (the names of
            :class:`AscentSettings`; unknown names raise TypeError).

    Returns:
        :class:`OIPResult`. A map whose objective stays exactly 0 has ``reacted == False``: its ReLU output is
        zero for the start image, the gradient is zero, and the image cannot move (try other starts, or
        ``pre_activation_steps``).
    """
    return _run(model, check_run_arguments(model, layer_name, map_indices, x0, node, settings, **overrides))


def check_run_arguments(
    model,
    layer_name: str,
    map_indices: Sequence[int] | int,
    x0: np.ndarray | None = None,
    node: tuple[int, int] | None = None,
    settings: AscentSettings | None = None,
    **overrides,
) -> SimpleNamespace:
    """Check every argument of :func:`run_oip` (same names and meanings) without running the ascent.

    The settings are checked when :class:`AscentSettings` is built; this adds the checks that need the model:
    the layer and its indices, the node, ``x0`` (finite standardized floats of the model's input shape; raw
    ``uint8`` pixels are refused), the blur and jitter against the image size, diversity groups, and the memory
    the records take (at most :data:`MAX_BYTES`). Raises ValueError naming what is valid.

    Returns a namespace with ``compiled`` (:class:`helpers.objectives.Compiled`), ``map_indices`` (int32
    ``(B,)``), ``node``, ``x0`` (float32, drawn with the settings' seed if None), ``settings``,
    ``snapshot_steps`` (a sorted list), ``groups`` (:func:`objective_groups`, or one per image without
    diversity), ``diversity_layer`` and ``objectives`` (None).
    """
    settings = _settings(settings, overrides)
    info = layer_info(model, layer_name)
    indices, node = check_targets(info, map_indices, node)
    return _prepare(model, objectives.Compiled(True, layer_name, indices, node, False, (), ()), x0, settings, None)


def ascend(
    model,
    objective_list: Sequence["objectives.Objective"],
    x0: np.ndarray | None = None,
    settings: AscentSettings | None = None,
    **overrides,
) -> OIPResult:
    """Gradient ascent with any objectives of :mod:`helpers.objectives`, one per image, in one compiled step.

    E.g. ``ascend(model, [0.5 * map_objective("Conv2D_3", 5) + 0.5 * map_objective("Conv2D_3", 7)])``. Arguments
    as for :func:`run_oip`; the result's ``objectives`` holds ``objective_list`` and ``map_indices`` the index of
    one-term objectives (-1 for composite ones).
    """
    settings = _settings(settings, overrides)
    compiled = objectives.compile_objectives(model, objective_list)
    objective_list = tuple(objective_list)
    return _run(model, _prepare(model, compiled, x0, settings, objective_list))


def objective_groups(compiled: "objectives.Compiled") -> np.ndarray:
    """(B,) group numbers: images with the same objective share one (0, 1, ... in order of first appearance)."""
    if not isinstance(compiled, objectives.Compiled):
        raise checks.WrongTypeError(f"compiled must be objectives.Compiled (from compile_objectives), got "
                                    f"{type(compiled).__name__}")
    if compiled.simple:
        rows = compiled.indices[:, np.newaxis]
    else:
        rows = np.concatenate([w.reshape(len(w), -1) for w in compiled.weights], axis=1)
    _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))  # number groups by first appearance
    return rank[inverse.ravel()]


def _chunks(groups: np.ndarray, chunk_size: int) -> list[slice]:
    """Slices of at most ``chunk_size`` images that never split a run of equal ``groups`` (a longer run is one
    chunk of its own)."""
    starts = [0] + [i for i in range(1, len(groups)) if groups[i] != groups[i - 1]] + [len(groups)]
    chunks, begin = [], 0
    for end, next_end in zip(starts[1:], starts[2:] + [None]):
        if next_end is None or next_end - begin > chunk_size:
            chunks.append(slice(begin, end))
            begin = end
    return chunks


def _prepare(model, compiled, x0, s: AscentSettings, objective_list) -> SimpleNamespace:
    """The model-dependent checks of a run (see :func:`check_run_arguments`)."""
    image_shape = model_image_shape(model)
    s.check_image(image_shape)
    n = len(compiled.indices)
    if x0 is None:
        x0 = initial_images(n, image_shape, seed=s.seed)
    x0 = activations.as_model_input(model, x0, name="x0").astype(np.float32, copy=False)  # finite floats
    if len(x0) != n:
        what = "map indices" if objective_list is None else "objectives"
        raise ValueError(f"got {n} {what} for {len(x0)} start images x0; give one start image per {what[:-1]}")
    snapshot_steps = s.steps_to_snapshot()
    _check_memory(
        f"n_steps={s.n_steps} for {n} images (a loss record and {len(snapshot_steps) + 1} snapshots)",
        4 * (s.n_steps + 1) * n + (len(snapshot_steps) + 2) * n * 4 * int(np.prod(image_shape)),
        "run fewer steps, fewer images per call or fewer snapshot_steps",
    )
    diversity_layer = None
    if s.diversity_weight:
        groups = objective_groups(compiled)
        lonely = np.flatnonzero(np.bincount(groups) < 2)
        if len(lonely):
            image = int(np.flatnonzero(groups == lonely[0])[0])
            raise ValueError(f"diversity_weight > 0 needs at least two images per objective, but image {image}'s "
                             "objective has only one image; repeat each map index (e.g. np.repeat(maps, 4)) or "
                             "set diversity_weight=0")
        diversity_layer = s.diversity_layer or (compiled.layer_name if compiled.simple else compiled.groups[0].layer_name)
        info = layer_info(model, diversity_layer)
        nodes = int(np.prod(info.grid)) if info.grid else 0  # dense layers: unit vectors, no Gram matrices
        diversity_pairs = bool(nodes) and (np.bincount(groups).max() - 1) * nodes**2 < info.n_maps**2
    else:
        groups, diversity_pairs = np.arange(n), False
    return SimpleNamespace(compiled=compiled, map_indices=compiled.indices, node=compiled.node, x0=x0, settings=s,
                           snapshot_steps=snapshot_steps, groups=groups, diversity_layer=diversity_layer,
                           diversity_pairs=diversity_pairs, objectives=objective_list)


def _run(model, checked: SimpleNamespace) -> OIPResult:
    import tensorflow as tf

    s, compiled, x0, groups = checked.settings, checked.compiled, checked.x0, checked.groups
    snapshot_steps, diversity_layer, n = checked.snapshot_steps, checked.diversity_layer, len(checked.x0)
    order = np.argsort(groups, kind="stable")  # images of one objective side by side, so no chunk splits them
    inverse = np.argsort(order)
    compute_model = _compute_model(model, s, compiled.layer_name if compiled.simple else None)
    engine = _engine(compute_model, _plan(compiled, diversity_layer, checked.diversity_pairs), s)
    groups, x_ordered = groups[order], x0[order]
    targets = [t[order] for t in _targets(compiled)]
    chunks = _chunks(groups, s.chunk_size)
    x_chunks = [tf.constant(x_ordered[c]) for c in chunks]  # stay in TensorFlow between blocks
    t_chunks = [[tf.constant(t[c]) for t in targets] for c in chunks]
    if s.diversity_weight:
        group_chunks = [tf.constant(np.unique(groups[c], return_inverse=True)[1].ravel().astype(np.int32))
                        for c in chunks]  # groups numbered 0.. within each chunk
    else:
        group_chunks = [tf.zeros((0,), tf.int32)] * len(chunks)
    eps = np.float32(s.epsilon)
    losses = np.zeros((s.n_steps + 1, n), np.float32)  # row t: objective after t steps (images in `order`)
    converged_at = np.full(n, -1)
    snapshots: dict[int, np.ndarray] = {}
    previous = None

    def objective_now() -> np.ndarray:
        return np.concatenate([engine.objective[False](xc, *tc).numpy() for xc, tc in zip(x_chunks, t_chunks)])

    def images_now() -> np.ndarray:
        return np.concatenate([xc.numpy() for xc in x_chunks])[inverse]

    step, n_steps, pre_steps, window = 0, s.n_steps, s.pre_activation_steps, s.window
    with _progress.bar(n_steps, f"OIP {compiled.layer_name}", unit="step", progress=s.progress) as bar:
        while step < n_steps:
            use_pre = step < pre_steps
            stops = [n_steps, (step // s.block_size + 1) * s.block_size] + [t for t in snapshot_steps if t > step]
            phase = [(until, cutoff) for until, cutoff in s.coarse_to_fine if until > step]
            grad_cutoff = np.float32(phase[0][1] if phase else 0.0)
            end = min(stops + ([pre_steps] if use_pre else []) + ([phase[0][0]] if phase else []))
            for k, c in enumerate(chunks):
                x_chunks[k], block_losses = engine.block[use_pre, bool(phase)](
                    x_chunks[k], *t_chunks[k], group_chunks[k], eps, np.int32(step + 1), np.int32(end - step),
                    grad_cutoff, np.int32((s.seed * 100_003 + k) % 2**31),
                )
                losses[step:end, c] = block_losses.numpy()
                _guard(x_chunks[k], losses[step:end, c], step, end, checked)
            first_new, step = step, end
            bar.update(step - first_new)
            first = first_converged(losses, s.tolerance, window, max(first_new, window, pre_steps + window), step)
            newly = (converged_at < 0) & (first >= 0)
            converged_at[newly] = first[newly]
            if step in snapshot_steps:
                snapshots[step] = images_now()
                if s.verbose:
                    previous = _report(step, objective_now()[inverse], previous)
            done = (converged_at >= 0) | (losses[:step].max(axis=0) <= 0)
            if s.early_stop and step >= pre_steps + window and done.all():
                break
    snapshots[step] = images_now()
    if compute_model is model:
        losses[step] = objective_now()
    else:  # the final objective in float32, on the same scale as a float32 run's
        losses[step] = _evaluate(model, compiled, snapshots[step], False, s.chunk_size)[order]
    losses = losses[: step + 1, inverse]
    if s.verbose and step not in snapshot_steps:
        _report(step, losses[step], previous)
    return OIPResult(
        layer_name=compiled.layer_name, map_indices=compiled.indices, node=compiled.node, images=snapshots[step],
        initial=x0, losses=losses, snapshots=snapshots, converged_at=converged_at[inverse], steps_run=step,
        objectives=checked.objectives, settings=s,
    )


def _guard(x_chunk, block_losses: np.ndarray, first: int, end: int, checked: SimpleNamespace) -> None:
    """Raise :class:`AscentDivergedError` if a block's objectives or its final images hold NaN or infinities.

    Runs once per block on values the block has computed already (one reduction over the images), so the
    ascent does not slow down measurably.
    """
    import tensorflow as tf

    if np.isfinite(block_losses).all() and bool(tf.reduce_all(tf.math.is_finite(x_chunk))):
        return
    what = "objective" if not np.isfinite(block_losses).all() else "images"
    raise AscentDivergedError(
        f"the ascent's {what} became NaN or infinite within steps {first + 1}..{end}, so it was stopped (no result "
        f"is returned); the most likely cause: {_likely_cause(checked)}"
    )


def _likely_cause(checked: SimpleNamespace) -> str:
    """The setting or input furthest beyond its usual range, as a phrase (for :func:`_guard`'s message)."""
    s, compiled = checked.settings, checked.compiled
    weights = np.concatenate([np.abs(w).ravel() for w in compiled.weights]) if compiled.weights else np.zeros(1)
    cutoffs = [cutoff for _, cutoff in s.coarse_to_fine]
    # (ratio to a usual value, phrase): the largest ratio names the cause
    candidates = [
        (float(np.abs(checked.x0).max()) / 10, f"x0 holds values up to {float(np.abs(checked.x0).max()):.3g} "
                                               "(standardized images lie within about -10..10)"),
        (s.epsilon / 1.0, f"epsilon={s.epsilon:g} (usual: 0.001..1)"),
        (s.tv_weight / 10, f"tv_weight={s.tv_weight:g} (usual: 0..10)"),
        (s.l1_weight / 10, f"l1_weight={s.l1_weight:g} (usual: 0..10)"),
        (s.l2_weight / 10, f"l2_weight={s.l2_weight:g} (usual: 0..10)"),
        (s.diversity_weight / 10, f"diversity_weight={s.diversity_weight:g} (usual: 0..10)"),
        (float(weights.max()) / 100, f"an objective weight of {float(weights.max()):.3g} (usual: up to about 100)"),
        (0.01 / min(cutoffs) if cutoffs else 0.0, f"coarse_to_fine cutoff {min(cutoffs) if cutoffs else 0:g} "
                                                  "(usual: 0.05..1)"),
    ]
    ratio, phrase = max(candidates, key=lambda item: item[0])
    return phrase if ratio > 1 else (f"a numerical overflow in the model's activations; try a smaller epsilon "
                                     f"(now {s.epsilon:g}) or precision='float32'")


def _report(step: int, loss: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """Print the objective after ``step`` steps and its relative change since the last report."""
    change = ""
    if previous is not None:
        relative = (loss - previous) / np.maximum(np.abs(previous), 1e-12)
        change = f", change {float(np.median(relative[previous > 0])) if (previous > 0).any() else 0.0:+.2%}"
    if loss.size == 1:
        print(f"step {step:4d}: objective {float(loss[0]):.5g}{change}", flush=True)
    else:
        print(f"step {step:4d}: objective mean {loss.mean():.4g}, max {loss.max():.4g}, "
              f"{int((loss > 0).sum())}/{loss.size} > 0{change.replace('change', 'median change')}", flush=True)
    return loss


# ------------------------------------------------------------------------------------------ precursor scan


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


# ------------------------------------------------------------------------------ a pattern for every map


@dataclass
class EveryMapResult:
    """Every map's OIP from several scanned starts (:func:`every_map_oips`); map ``m`` is row ``m``."""

    map_indices: np.ndarray  # (M,)
    starts: np.ndarray  # (M, K, h, w, c) the K best candidates of the scan per map, best first
    images: np.ndarray  # (M, K, h, w, c) the final image of the run from each start
    objective: np.ndarray  # (M, K) the objective of each run's final image
    reacted: np.ndarray  # (M, K) the run's objective became positive
    converged: np.ndarray  # (M, K) reacted and converged
    chosen: np.ndarray  # (M,) the start whose run gives the map's OIP (before any rescue)
    patterns: np.ndarray  # (M, h, w, c) each map's OIP
    pattern_objective: np.ndarray  # (M,)
    pattern_reacted: np.ndarray  # (M,)
    pattern_converged: np.ndarray  # (M,)
    stuck: np.ndarray  # maps with no reacting start after the warm-up
    largest_pre_activation: np.ndarray  # (len(stuck),) the largest pre-activation any node of a stuck map reached
    rescued: np.ndarray  # the stuck maps that a node-wise warm-up switched on
    slow: np.ndarray  # maps that reacted but had not converged, continued for 2 * n_steps


def every_map_oips(
    model,
    layer_name: str,
    n_candidates: int = 2048,
    n_starts: int = 8,
    n_steps: int = 600,
    warm_up: int = 40,
    seed: int = 1,
) -> EveryMapResult:
    """An OIP for every map of a conv layer: the precursor scan's ``n_starts`` best coarse candidates per map,
    each ascended with a ``warm_up``-step pre-activation warm-up; the map's OIP is its best run (highest
    objective among converged runs, else among reacting runs).

    A map with no reacting start gets a node-wise warm-up: the pre-activation of one node (the centre first, then
    the other nodes) is ascended for ``n_steps`` steps from where its runs ended, the largest pre-activation of
    any of its nodes recorded every 5th step; where the map's objective becomes positive, the ascent goes on from
    there with the map's objective. Maps that reacted but did not converge continue for ``2 * n_steps`` steps.
    """
    info = layer_info(model, layer_name)
    if not info.grid:
        raise ValueError(f"every_map_oips works on conv layers; {layer_name!r} is dense")
    n_candidates = checks.size("n_candidates", n_candidates, MAX_CANDIDATES, "oip.MAX_CANDIDATES: a million random "
                               "starts take about two minutes")
    n_starts = checks.integer("n_starts", n_starts, 1, n_candidates, "at most n_candidates")
    n_steps = checks.integer("n_steps", n_steps, 1, MAX_STEPS, "oip.MAX_STEPS")
    warm_up = checks.integer("warm_up", warm_up, 0, n_steps, "at most n_steps")
    seed = checks.integer("seed", seed, 0, MAX_SEED, "64-bit seeds")
    maps = np.arange(info.n_maps)
    candidates = initial_images(n_candidates, model_image_shape(model), scales=[(3, 3), (7, 7)], seed=seed)
    post = activations.extract(model, candidates, layer_name).mean(axis=(1, 2))  # (N, M)
    pre = activations.extract(model, candidates, layer_name, pre_activation=True).mean(axis=(1, 2))
    score = np.where(post.max(axis=0) > 0, post, pre)
    ranked = np.argsort(-score, axis=0, kind="stable")[:n_starts].T  # (M, K), best first; ties: lower index
    starts = candidates[ranked]  # (M, K, h, w, c)
    shape = starts.shape[2:]
    runs = run_oip(model, layer_name, np.repeat(maps, n_starts), x0=starts.reshape(-1, *shape), n_steps=n_steps,
                   pre_activation_steps=warm_up)
    objective_k = runs.final_loss.reshape(-1, n_starts)
    reacted_k = runs.reacted.reshape(-1, n_starts)
    converged_k = (runs.reacted & runs.converged).reshape(-1, n_starts)
    images_k = runs.images.reshape(len(maps), n_starts, *shape)
    chosen = np.zeros(len(maps), int)
    for m in maps:
        for ok in (converged_k[m], reacted_k[m]):
            if ok.any():
                chosen[m] = int(np.flatnonzero(ok)[np.argmax(objective_k[m, ok])])
                break
    patterns = images_k[maps, chosen].copy()
    objective = objective_k[maps, chosen].copy()
    reacted = reacted_k.any(axis=1)
    converged = converged_k[maps, chosen].copy()
    stuck = np.flatnonzero(~reacted)
    reach = {int(m): -np.inf for m in stuck}
    rescued_from = {}
    todo = list(stuck)
    nodes = [(1 if info.grid[0] > 2 else 0, 1 if info.grid[1] > 2 else 0)]
    nodes += [(r, c) for r in range(info.grid[0]) for c in range(info.grid[1]) if (r, c) != nodes[0]]
    for node in nodes:
        if not todo:
            break
        maps_ = np.repeat(todo, n_starts)
        node_run = run_oip(model, layer_name, maps_, x0=images_k[todo].reshape(-1, *shape), node=node,
                           n_steps=n_steps, pre_activation_steps=n_steps,
                           snapshot_steps=list(range(5, n_steps + 1, 5)) or None)
        largest = np.full(len(maps_), -np.inf)
        for images in [node_run.images, *node_run.snapshots.values()]:
            own = activations.extract(model, images, layer_name, pre_activation=True)[np.arange(len(maps_)), :, :, maps_]
            largest = np.maximum(largest, own.reshape(len(maps_), -1).max(axis=1))
        final = objective_values(model, layer_name, maps_, node_run.images).reshape(len(todo), n_starts)
        ends = node_run.images.reshape(len(todo), n_starts, *shape)
        for i, m in enumerate(todo):
            reach[int(m)] = max(reach[int(m)], float(largest.reshape(len(todo), n_starts)[i].max()))
            if final[i].max() > 0:
                rescued_from[int(m)] = ends[i, final[i].argmax()]
        todo = [m for m in todo if int(m) not in rescued_from]
    rescued = np.array(sorted(rescued_from), int)
    if len(rescued):
        more = run_oip(model, layer_name, rescued, x0=np.stack([rescued_from[m] for m in rescued]), n_steps=n_steps)
        patterns[rescued], objective[rescued] = more.images, more.final_loss
        reacted[rescued], converged[rescued] = more.reacted, more.reacted & more.converged
    slow = np.flatnonzero(reacted & ~converged)
    if len(slow):
        longer = run_oip(model, layer_name, slow, x0=patterns[slow], n_steps=2 * n_steps)
        patterns[slow], objective[slow] = longer.images, longer.final_loss
        converged[slow] = longer.reacted & longer.converged
    return EveryMapResult(maps, starts, images_k, objective_k, reacted_k, converged_k, chosen, patterns, objective,
                          reacted, converged, stuck, np.array([reach[int(m)] for m in stuck]), rescued, slow)
