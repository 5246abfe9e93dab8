"""The ascent's settings and their checks: the limits, :class:`AscentSettings` (one frozen object, checked when it is
built), the coarse-to-fine schedule, the snapshot steps and the memory a run may take."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import numpy as np

from helpers import checks

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

VALID_PARAMETERIZATIONS = ("pixel", "fourier")
VALID_PRECISIONS = ("float32", "bfloat16", "auto")


class AscentDivergedError(FloatingPointError):
    """The images or the objective of an ascent became NaN or infinite; the message names the steps and the
    setting most likely responsible."""


def _check_memory(what: str, n_bytes: int, advice: str) -> None:
    """Raise ValueError if ``n_bytes`` exceeds :data:`MAX_BYTES`, naming the need and the limit."""
    if n_bytes > MAX_BYTES:
        raise ValueError(f"{what} would need {n_bytes / 2**30:.3g} GiB, more than the limit of "
                         f"{MAX_BYTES / 2**30:.0f} GiB; {advice}")


def _check_image_shape(image_shape) -> tuple[int, int, int]:
    shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else None
    if shape is None or len(shape) != 3 or not all(checks.is_integer(s) and 1 <= s <= 2**16 for s in shape):
        raise ValueError(f"image_shape must be (height, width, channels) with sizes in 1..65536, got {image_shape!r}")
    return int(shape[0]), int(shape[1]), int(shape[2])


def log_spaced_steps(n_steps: int, first: int = 9) -> list[int]:
    """Snapshot steps doubling from ``first`` (9, 18, 36, 72, ...) below ``n_steps``, plus ``n_steps`` itself."""
    n_steps = checks.size("n_steps", n_steps, MAX_STEPS, "oip.MAX_STEPS, more than any ascent runs")
    first = checks.integer("first", first, 1)
    steps, step = [], first
    while step < n_steps:
        steps.append(step)
        step *= 2
    return steps + [n_steps]


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
        chunk_size: images per compiled step (bounds memory); block_size: steps per compiled call where the early
            stop, a progress bar or ``on_block`` looks at every block (otherwise a call runs on to the next snapshot).
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

