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
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from helpers import activations

VALID_DAMPING = ("blur", "fourier", None)
DEFAULT_DAMPING_SIGMA = {"blur": 0.4, "fourier": 1.0}
DEFAULT_SCALES = ((3, 3), (7, 7), (14, 14), (28, 28))
DEFAULT_AMPLITUDES = (1.0, 0.6, 0.3, 0.15)


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

    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    height, width, channels = _check_image_shape(image_shape)
    scales = [tuple(int(v) for v in s) for s in scales]
    if not scales or any(len(s) != 2 or min(s) < 1 for s in scales):
        raise ValueError(f"scales must be a non-empty list of (rows, cols) grid sizes >= 1, got {scales}")
    if amplitudes is None:
        amplitudes = DEFAULT_AMPLITUDES if tuple(scales) == DEFAULT_SCALES else (1.0,) * len(scales)
    if len(amplitudes) != len(scales):
        raise ValueError(f"got {len(amplitudes)} amplitudes for {len(scales)} scales")
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
    x = np.asarray(x, dtype=np.float32)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    std = x.std(axis=(1, 2, 3), keepdims=True)
    return (x - mean) / np.where(std > 0, std, 1.0)


def high_frequency_share(images: np.ndarray, cutoff: float = 0.5) -> np.ndarray:
    """Fraction of each image's spectral power (mean removed) above ``cutoff`` x the Nyquist frequency, (n,).

    A smooth pattern gives values near 0; pixel noise gives about 1 - pi/4 x cutoff^2 (~0.8 for cutoff 0.5).
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4:
        raise ValueError(f"expected images (n, h, w, c), got shape {images.shape}")
    centred = images - images.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(centred, axes=(1, 2))) ** 2
    high = (_frequency2(images.shape[1], images.shape[2]) > cutoff**2)[np.newaxis, :, :, np.newaxis]
    total = power.sum(axis=(1, 2, 3))
    return np.where(total > 0, (power * high).sum(axis=(1, 2, 3)) / np.where(total > 0, total, 1), 0.0)


def _check_image_shape(image_shape) -> tuple[int, int, int]:
    shape = tuple(image_shape)
    if len(shape) != 3 or any(s is None or int(s) < 1 for s in shape):
        raise ValueError(f"image_shape must be (height, width, channels) with positive sizes, got {shape}")
    return int(shape[0]), int(shape[1]), int(shape[2])


def log_spaced_steps(n_steps: int, first: int = 9) -> list[int]:
    """Snapshot steps doubling from ``first`` (9, 18, 36, 72, ...) below ``n_steps``, plus ``n_steps`` itself."""
    steps, step = [], first
    while step < n_steps:
        steps.append(step)
        step *= 2
    return steps + [n_steps]


# -------------------------------------------------------------------------------------------- objectives


@dataclass(frozen=True)
class LayerInfo:
    """What an OIP objective can address in one layer."""

    layer_name: str
    n_maps: int  # maps (conv) or units (dense)
    grid: tuple[int, ...]  # spatial size of a map, () for dense layers


def layer_info(model, layer_name: str) -> LayerInfo:
    """Maps and node grid of ``layer_name``; raises ValueError listing the valid layers if it is unknown."""
    layer = activations.check_layer_name(model, layer_name)
    shape = tuple(layer.output.shape[1:])
    if len(shape) not in (1, 3):
        raise ValueError(
            f"layer {layer_name!r} has output shape {shape}; OIPs need a conv layer (h, w, maps) or a dense "
            "layer (units), channels last"
        )
    return LayerInfo(layer_name, int(shape[-1]), tuple(None if s is None else int(s) for s in shape[:-1]))


def check_targets(info: LayerInfo, map_indices: np.ndarray, node: tuple[int, int] | None) -> None:
    """Raise ValueError unless every map index and the node exist in the layer; the message names the valid range."""
    bad = map_indices[(map_indices < 0) | (map_indices >= info.n_maps)]
    if len(bad):
        kind = "maps" if info.grid else "units"
        raise ValueError(
            f"map_index {int(bad[0])} is out of range for layer {info.layer_name!r} with {info.n_maps} {kind}: "
            f"valid 0..{info.n_maps - 1}"
        )
    if node is not None:
        if not info.grid:
            raise ValueError(f"layer {info.layer_name!r} is dense: it has no nodes (row, col); leave node=None")
        row, col = node
        if not (0 <= row < info.grid[0] and 0 <= col < info.grid[1]):
            raise ValueError(
                f"node {tuple(node)} is outside the {info.grid[0]}x{info.grid[1]} maps of layer {info.layer_name!r}: "
                f"valid rows 0..{info.grid[0] - 1}, cols 0..{info.grid[1] - 1}"
            )


# ------------------------------------------------------------------------------------------------ results


@dataclass
class OIPResult:
    """The outcome of one batched OIP run (image ``i`` belongs to ``map_indices[i]``)."""

    layer_name: str
    map_indices: np.ndarray  # (B,)
    node: tuple[int, int] | None
    images: np.ndarray  # (B, h, w, c) final patterns, standardized
    initial: np.ndarray  # (B, h, w, c) the starts
    losses: np.ndarray  # (steps_run + 1, B): objective at step 0 (start) .. steps_run
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)  # step -> (B, h, w, c)
    converged_at: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # (B,) step, -1 if never
    steps_run: int = 0

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


# ------------------------------------------------------------------------------------------------ engine


def gaussian_kernel(sigma: float, channels: int) -> np.ndarray:
    """Normalized 2-D Gaussian of ``sigma`` pixels as a depthwise kernel (k, k, channels, 1), k = 2*ceil(2*sigma)+1."""
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


class _Bound:
    """``function(*args, extra)``: a fresh callable object per use, so that each ``tf.function`` has its own."""

    def __init__(self, function, extra):
        self.function, self.extra = function, extra

    def __call__(self, *args):
        return self.function(*args, self.extra)


class _Ascent:
    """Compiled objective and ascent for one (model, layer, node, damping, switches) combination.

    ``block`` runs several ascent steps inside one compiled call (a ``tf.while_loop``) and returns the
    objective before each step, so that Python is involved only once per block.
    """

    def __init__(self, model, layer_name: str, node, damping, damping_sigma: float, damping_every: int,
                 normalize: bool, restandardize: bool, image_shape: tuple[int, int, int]):
        import tensorflow as tf

        self.post = activations.activation_model(model, layer_name)
        self.pre = activations.activation_model(model, layer_name, pre_activation=True)
        self.node = node
        self.damping = damping
        self.damping_every = damping_every
        self.normalize = normalize
        self.restandardize = restandardize
        height, width, channels = image_shape
        if damping == "blur":
            kernel = gaussian_kernel(damping_sigma, channels)
            self.kernel = tf.constant(kernel)
            self.pad = kernel.shape[0] // 2
        elif damping == "fourier":
            self.mask = tf.constant(_fourier_mask(height, width, damping_sigma), dtype=tf.complex64)
        self.frequency2 = tf.constant(_frequency2(height, width))  # for the coarse-to-fine gradient low-pass
        spec_x = tf.TensorSpec((None, height, width, channels), tf.float32)
        spec_i = tf.TensorSpec((None,), tf.int32)
        scalar_i = tf.TensorSpec((), tf.int32)
        # Callable objects rather than lambdas: TensorFlow counts traces per code object, and many engines
        # sharing one lambda would trigger its "excessive retracing" warning.
        self.objective = {
            use_pre: tf.function(_Bound(self._objective, self.pre if use_pre else self.post),
                                 input_signature=[spec_x, spec_i])
            for use_pre in (False, True)
        }
        scalar_f = tf.TensorSpec((), tf.float32)
        signature = [spec_x, spec_i, scalar_f, scalar_i, scalar_i, scalar_f]
        # one compiled block per (pre-activation phase, coarse-to-fine phase): no branches in the common case
        self.block = {(use_pre, coarse): tf.function(_Bound(self._block, (use_pre, coarse)), input_signature=signature)
                      for use_pre in (False, True) for coarse in (False, True)}

    def _objective(self, x, map_indices, sub):
        import tensorflow as tf

        acts = sub(x, training=False)
        if len(acts.shape) == 2:  # dense: one unit per image
            return tf.gather(acts, map_indices, axis=1, batch_dims=1)
        maps = tf.gather(acts, map_indices, axis=3, batch_dims=1)  # (B, h, w): each image's own map
        if self.node is not None:
            return maps[:, self.node[0], self.node[1]]
        return tf.reduce_mean(maps, axis=[1, 2])

    def _damp(self, x):
        import tensorflow as tf

        if self.damping == "blur":
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

    def _step(self, x, map_indices, epsilon, step, use_pre: bool, grad_cutoff=None):
        """One ascent step (``step`` counts from 1); returns the new images and the objective before the step."""
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = self._objective(x, map_indices, self.pre if use_pre else self.post)
            total = tf.reduce_sum(loss)  # images are independent: d total / d x_i = d loss_i / d x_i
        grad = tape.gradient(total, x)
        if grad_cutoff is not None:
            grad = self._coarse(grad, grad_cutoff)
        if use_pre:  # report the real (post-activation) objective during the warm-up
            loss = self._objective(x, map_indices, self.post)
        if self.normalize:
            rms = tf.sqrt(tf.reduce_mean(tf.square(grad), axis=[1, 2, 3], keepdims=True))
            grad = tf.math.divide_no_nan(grad, rms)
        x = x + epsilon * grad
        if self.damping is not None:
            x = tf.cond(step % self.damping_every == 0, lambda: self._damp(x), lambda: x)
        if self.restandardize:
            mean, variance = tf.nn.moments(x, axes=[1, 2, 3], keepdims=True)
            x = tf.math.divide_no_nan(x - mean, tf.sqrt(variance))
        return x, loss

    def _block(self, x, map_indices, epsilon, first_step, n, grad_cutoff, phase: tuple[bool, bool]):
        """``n`` ascent steps starting at step ``first_step``; returns the images and the objectives (n, B).
        ``phase`` = (pre-activation warm-up, coarse-to-fine: low-pass the gradient at ``grad_cutoff``)."""
        import tensorflow as tf

        use_pre, coarse = phase
        losses = tf.TensorArray(tf.float32, size=n)
        for i in tf.range(n):
            x, loss = self._step(x, map_indices, epsilon, first_step + i, use_pre, grad_cutoff if coarse else None)
            losses = losses.write(i, loss)
        return x, losses.stack()


_ENGINES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
"""model -> {settings: engine}; entries vanish with their model (engines hold sub-models, not the model)."""


def _engine(model, layer_name: str, node=None, damping=None, damping_sigma: float = 1.0, damping_every: int = 1,
            normalize: bool = True, restandardize: bool = True) -> _Ascent:
    """A cached :class:`_Ascent` (rebuilt if the model's cached sub-model changed)."""
    key = (layer_name, node, damping, float(damping_sigma), int(damping_every), normalize, restandardize)
    per_model = _ENGINES.setdefault(model, {})
    engine = per_model.get(key)
    if engine is None or engine.post is not activations.activation_model(model, layer_name):
        engine = per_model[key] = _Ascent(model, layer_name, node, damping, damping_sigma, damping_every, normalize,
                                         restandardize, model_image_shape(model))
    return engine


def model_image_shape(model) -> tuple[int, int, int]:
    """(height, width, channels) of the model's input; fails for models without a fixed image size."""
    shape = model.input_shape
    if isinstance(shape, list) or len(shape) != 4 or None in shape[1:]:
        raise ValueError(f"OIPs need a single image input with a fixed size (n, h, w, c); model has {shape}")
    return tuple(int(s) for s in shape[1:])


def objective_values(
    model, layer_name: str, map_indices: Sequence[int], x: np.ndarray, node: tuple[int, int] | None = None,
    pre_activation: bool = False, batch_size: int = 512,
) -> np.ndarray:
    """The OIP objective of image ``i`` for map ``map_indices[i]`` (mean activation, or one node), shape (B,)."""
    info = layer_info(model, layer_name)
    indices = np.asarray(map_indices, dtype=np.int32).reshape(-1)
    check_targets(info, indices, node)
    activations.check_input_shape(model, x)
    if len(indices) != len(x):
        raise ValueError(f"got {len(indices)} map indices for {len(x)} images")
    engine = _engine(model, layer_name, node)
    out = [engine.objective[bool(pre_activation)](np.asarray(x[i : i + batch_size], np.float32), indices[i : i + batch_size]).numpy()
           for i in range(0, len(x), batch_size)]
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def first_converged(losses: np.ndarray, tolerance: float, window: int, first_row: int, end_row: int) -> np.ndarray:
    """The convergence criterion of :func:`run_oip` on rows ``first_row..end_row-1`` of a loss curve (steps, B).

    Row ``t`` counts as converged when the objective is positive and its relative change per step, averaged over
    the ``window`` steps before it, is below ``tolerance``. Returns the first such row per image, or -1.
    """
    rows = np.arange(max(first_row, window), end_row)
    if not len(rows):
        return np.full(losses.shape[1], -1)
    now, before = losses[rows], losses[rows - window]
    settled = (now > 0) & (np.abs(now - before) < tolerance * window * np.maximum(np.abs(now), 1e-12))
    return np.where(settled.any(axis=0), rows[settled.argmax(axis=0)], -1)


def run_oip(
    model,
    layer_name: str,
    map_indices: Sequence[int] | int,
    x0: np.ndarray | None = None,
    node: tuple[int, int] | None = None,
    n_steps: int = 600,
    epsilon: float = 0.01,
    normalize_gradient: bool = True,
    restandardize: bool = True,
    damping: str | None = "blur",
    damping_every: int = 4,
    damping_sigma: float | None = None,
    pre_activation_steps: int = 0,
    coarse_to_fine: Sequence[tuple[int, float]] | None = None,
    tolerance: float = 2e-4,
    window: int = 20,
    early_stop: bool = True,
    snapshot_steps: Sequence[int] | None = None,
    chunk_size: int = 256,
    block_size: int = 10,
    seed: int = 0,
    verbose: bool = False,
) -> OIPResult:
    """Gradient ascent on input images, one objective per image, all images in one compiled step.

    Args:
        model: any single-input Keras image model; its weights are not changed.
        layer_name: the layer whose map (conv) or unit (dense) is maximized.
        map_indices: one index per image (e.g. ``range(128)`` for all maps), or one int for a single image.
        x0: start images (B, h, w, c) in standardized space; default: :func:`initial_images` (multi-scale) with
            ``seed``.
        node: maximize one node (row, col) of each map instead of the map's mean.
        n_steps: maximum number of ascent steps.
        epsilon: step size in standardized pixel units (the gradient is divided by its RMS).
        normalize_gradient, restandardize: switch off steps 2 and 4 of the algorithm (for ablations).
        damping: ``"blur"`` (Gaussian of ``damping_sigma`` pixels, default 0.4), ``"fourier"`` (Gaussian low-pass;
            ``damping_sigma`` is the frequency, as a fraction of the Nyquist frequency, damped by 1/e; default 1.0)
            or None; applied every ``damping_every`` steps.
        pre_activation_steps: ascend the value *before* the layer's activation for the first steps, so that a
            map whose ReLU output is 0 everywhere still gets a gradient.
        coarse_to_fine: ``(until_step, cutoff)`` pairs with increasing steps: until ``until_step`` the gradient is
            low-passed (Gaussian, ``cutoff`` as a fraction of the Nyquist frequency), so that coarse structure forms
            first and finer scales are released step by step; e.g. ``[(100, 0.15), (200, 0.3), (300, 0.6)]``.
        tolerance: converged when the relative objective change per step, averaged over ``window`` steps,
            falls below it (default 2e-4).
        early_stop: stop when every image has converged or never reacted.
        snapshot_steps: steps at which to keep copies of the images (default 9, 18, 36, ..., last).
        chunk_size: images per compiled step (bounds memory for large batches).
        block_size: ascent steps per compiled call (Python checks convergence between blocks).
        verbose: print the objective at the snapshot steps.

    Returns:
        :class:`OIPResult`. A map whose objective stays exactly 0 has ``reacted == False``: its ReLU output is
        zero for the start image, the gradient is zero, and the image cannot move (try other starts, or
        ``pre_activation_steps``).
    """
    import tensorflow as tf

    info = layer_info(model, layer_name)
    image_shape = model_image_shape(model)
    indices = np.atleast_1d(np.asarray(map_indices, dtype=np.int64)).astype(np.int32)
    check_targets(info, indices, node)
    if x0 is None:
        x0 = initial_images(len(indices), image_shape, seed=seed)
    x0 = np.asarray(x0, dtype=np.float32)
    activations.check_input_shape(model, x0)
    if len(x0) != len(indices):
        raise ValueError(f"got {len(indices)} map indices for {len(x0)} start images")
    if damping not in VALID_DAMPING:
        raise ValueError(f"unknown damping {damping!r}; valid: 'blur', 'fourier', None")
    if n_steps < 1 or epsilon <= 0 or damping_every < 1 or window < 1 or chunk_size < 1 or block_size < 1:
        raise ValueError(
            "need n_steps >= 1, epsilon > 0, damping_every >= 1, window >= 1, chunk_size >= 1 and block_size >= 1"
        )
    if damping_sigma is None:
        damping_sigma = DEFAULT_DAMPING_SIGMA.get(damping, 1.0)
    schedule = [(int(until), float(cutoff)) for until, cutoff in (coarse_to_fine or [])]
    if any(until < 1 or cutoff <= 0 for until, cutoff in schedule) or any(
        a[0] >= b[0] for a, b in zip(schedule, schedule[1:])
    ):
        raise ValueError(
            f"coarse_to_fine must be (until_step, cutoff) pairs with increasing steps >= 1 and cutoffs > 0, got {coarse_to_fine}"
        )
    snapshot_steps = sorted(set(log_spaced_steps(n_steps) if snapshot_steps is None else snapshot_steps))
    node = None if node is None else (int(node[0]), int(node[1]))

    engine = _engine(model, layer_name, node, damping, damping_sigma, damping_every, bool(normalize_gradient),
                     bool(restandardize))
    chunks = [slice(i, i + chunk_size) for i in range(0, len(indices), chunk_size)]
    x_chunks = [tf.constant(x0[c]) for c in chunks]  # stay in TensorFlow between blocks
    i_chunks = [tf.constant(indices[c]) for c in chunks]
    eps = np.float32(epsilon)
    losses = np.zeros((n_steps + 1, len(indices)), np.float32)  # row t: objective after t steps
    converged_at = np.full(len(indices), -1)
    snapshots: dict[int, np.ndarray] = {}
    previous = None

    def objective_now() -> np.ndarray:
        return np.concatenate([engine.objective[False](xc, ic).numpy() for xc, ic in zip(x_chunks, i_chunks)])

    def images_now() -> np.ndarray:
        return np.concatenate([xc.numpy() for xc in x_chunks])

    step = 0
    while step < n_steps:
        use_pre = step < pre_activation_steps
        stops = [n_steps, (step // block_size + 1) * block_size] + [s for s in snapshot_steps if s > step]
        phase = [(until, cutoff) for until, cutoff in schedule if until > step]
        grad_cutoff = np.float32(phase[0][1] if phase else 0.0)
        end = min(stops + ([pre_activation_steps] if use_pre else []) + ([phase[0][0]] if phase else []))
        for k, c in enumerate(chunks):
            x_chunks[k], block_losses = engine.block[use_pre, bool(phase)](
                x_chunks[k], i_chunks[k], eps, np.int32(step + 1), np.int32(end - step), grad_cutoff
            )
            losses[step:end, c] = block_losses.numpy()
        first_new, step = step, end
        first = first_converged(losses, tolerance, window, max(first_new, window, pre_activation_steps + window), step)
        newly = (converged_at < 0) & (first >= 0)
        converged_at[newly] = first[newly]
        if step in snapshot_steps:
            snapshots[step] = images_now()
            if verbose:
                previous = _report(step, objective_now(), previous)
        done = (converged_at >= 0) | (losses[: step].max(axis=0) <= 0)
        if early_stop and step >= pre_activation_steps + window and done.all():
            break
    losses[step] = objective_now()
    snapshots[step] = images_now()
    if verbose and step not in snapshot_steps:
        _report(step, losses[step], previous)
    return OIPResult(
        layer_name=layer_name, map_indices=indices, node=node, images=snapshots[step], initial=x0, losses=losses[: step + 1],
        snapshots=snapshots, converged_at=converged_at, steps_run=step,
    )


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
) -> ScanResult:
    """Evaluate many random coarse-scale starts in batched forward passes and keep the best one per map.

    One forward pass scores every candidate for *all* maps at once. The best candidate is the one with the
    highest mean activation of the map; where no candidate activates a map at all, the one with the highest
    pre-activation is kept (closest to making the map fire).
    """
    info = layer_info(model, layer_name)
    if not info.grid:
        raise ValueError(f"precursor_scan works on conv layers; {layer_name!r} is dense")
    indices = np.arange(info.n_maps) if map_indices is None else np.asarray(map_indices, dtype=np.int64)
    check_targets(info, indices, None)
    if n_candidates < 1:
        raise ValueError(f"n_candidates must be >= 1, got {n_candidates}")
    image_shape = model_image_shape(model)
    candidates = initial_images(n_candidates, image_shape, scales=scales, amplitudes=amplitudes, seed=seed)
    outputs = activations.extract(model, candidates, layer_name, batch_size=batch_size)  # (N, h, w, maps)
    pre = activations.extract(model, candidates, layer_name, batch_size=batch_size, pre_activation=True)
    post_mean = outputs.mean(axis=(1, 2))[:, indices]  # (N, M)
    pre_mean = pre.mean(axis=(1, 2))[:, indices]
    best = np.where(post_mean.max(axis=0) > 0, post_mean.argmax(axis=0), pre_mean.argmax(axis=0))
    return ScanResult(
        map_indices=indices,
        starts=candidates[best],
        best_value=post_mean[best, np.arange(len(indices))],
        fraction_active=(post_mean > 0).mean(axis=0),
        n_candidates=n_candidates,
    )
