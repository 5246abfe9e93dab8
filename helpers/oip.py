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
from types import SimpleNamespace

import numpy as np

from helpers import activations, checks
from helpers import progress as _progress

VALID_DAMPING = ("blur", "fourier", None)
DEFAULT_DAMPING_SIGMA = {"blur": 0.4, "fourier": 1.0}
DEFAULT_SCALES = ((3, 3), (7, 7), (14, 14), (28, 28))
DEFAULT_AMPLITUDES = (1.0, 0.6, 0.3, 0.15)
MAX_STEPS = 100_000
"""The largest ``n_steps`` :func:`run_oip` accepts (600 suffice for the series' CNN)."""
MAX_BYTES = 2 * 2**30
"""The most memory (bytes) that :func:`run_oip`'s records or a batch of start images may take: 2 GiB."""


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
    seed = checks.integer("seed", seed, 0)
    smoothing_sigma = checks.real("smoothing_sigma", smoothing_sigma, 0)
    height, width, channels = _check_image_shape(image_shape)
    _check_memory(f"{n} start images of {height}x{width}x{channels}", 4 * n * height * width * channels,
                  "ask for fewer images")
    scales = [tuple(s) for s in scales]
    if not scales or any(len(s) != 2 or not all(checks.is_integer(v) and v >= 1 for v in s) for s in scales):
        raise ValueError(f"scales must be a non-empty list of (rows, cols) integer grid sizes >= 1, got {scales}")
    scales = [(int(rows), int(cols)) for rows, cols in scales]
    if amplitudes is None:
        amplitudes = DEFAULT_AMPLITUDES if tuple(scales) == DEFAULT_SCALES else (1.0,) * len(scales)
    if len(amplitudes) != len(scales):
        raise ValueError(f"got {len(amplitudes)} amplitudes for {len(scales)} scales")
    amplitudes = [checks.real("each amplitude", a) for a in amplitudes]
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
    if len(shape) != 3 or not all(checks.is_integer(s) and s >= 1 for s in shape):
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


def _target_problem(model, layer) -> str | None:
    """Why ``layer`` cannot be an OIP target (a phrase), or None if it can."""
    import keras

    channels_first = [other.name for other in model.layers if getattr(other, "data_format", None) == "channels_first"]
    if channels_first:
        return (f"belongs to a model with channels-first layers ({', '.join(channels_first)}): OIPs read the maps on "
                "the last axis; rebuild the model with data_format='channels_last'")
    if isinstance(layer, keras.layers.InputLayer):
        return "is the model's input, not computed from it"
    shape = tuple(layer.output.shape[1:])
    if len(shape) == 3:
        return None
    if len(shape) == 1:
        try:
            input_shape = tuple(layer.input.shape[1:])
        except (AttributeError, ValueError):  # several inputs or inbound nodes
            input_shape = None
        unit_wise = input_shape == shape  # an activation, softmax or dropout on units
        pooled = isinstance(layer, (keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D))
        if isinstance(layer, keras.layers.Dense) or unit_wise or pooled:
            return None
        return (f"has output shape {shape} but is neither a dense layer nor a pooling of maps (e.g. a Flatten: its "
                "units are single nodes of a map; target the map's layer with node=(row, col) instead)")
    return f"has output shape {shape}"


def layer_info(model, layer_name: str) -> LayerInfo:
    """Maps and node grid of ``layer_name``; raises ValueError listing the valid layers if it is unknown or
    cannot be an OIP target (the input layer, a Flatten, a channels-first model, a sequence layer)."""
    layer = activations.check_layer_name(model, layer_name)
    problem = _target_problem(model, layer)
    if problem is not None:
        valid = [other.name for other in model.layers if _target_problem(model, other) is None]
        raise ValueError(
            f"layer {layer_name!r} {problem}; OIPs need a conv layer (h, w, maps) or a dense layer (units), "
            f"channels last; valid layers: {', '.join(valid) or 'none'}"
        )
    shape = tuple(layer.output.shape[1:])
    return LayerInfo(layer_name, int(shape[-1]), tuple(None if s is None else int(s) for s in shape[:-1]))


def check_targets(
    info: LayerInfo, map_indices: Sequence[int] | int, node: Sequence[int] | None = None
) -> tuple[np.ndarray, tuple[int, int] | None]:
    """Checked targets: the map indices as int32 ``(B,)`` and the node as a pair of ints (or None).

    Raises ValueError, naming the valid range, unless ``map_indices`` is one integer or a non-empty 1-D sequence
    of integers of existing maps (floats are not truncated, huge values do not wrap) and ``node`` is None or a
    pair ``(row, col)`` of integers inside the maps.
    """
    kind = "maps" if info.grid else "units"
    valid = f"valid 0..{info.n_maps - 1}"
    indices = np.asarray(map_indices)
    if indices.ndim > 1:
        raise ValueError(f"map_indices must be one index or a 1-D sequence of indices ({valid}), got shape "
                         f"{indices.shape}")
    if indices.size == 0:
        raise ValueError(f"map_indices is empty; give at least one index of layer {info.layer_name!r} ({valid})")
    values = indices.ravel().tolist()
    not_integer = [v for v in values if not checks.is_integer(v)]
    if not_integer:
        raise ValueError(f"map indices must be integers ({valid}), got {not_integer[0]!r} (dtype {indices.dtype})")
    bad = [v for v in values if not 0 <= v < info.n_maps]
    if bad:
        raise ValueError(
            f"map_index {bad[0]} is out of range for layer {info.layer_name!r} with {info.n_maps} {kind}: {valid}"
        )
    if node is None:
        return indices.ravel().astype(np.int32), None
    if not info.grid:
        raise ValueError(f"layer {info.layer_name!r} is dense: it has no nodes (row, col); leave node=None")
    return indices.ravel().astype(np.int32), checks.node(node, info.grid, f"layer {info.layer_name!r}")


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
    sigma = checks.real("sigma", sigma, 0, open_low=True)
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
    indices, node = check_targets(info, map_indices, node)
    x = activations.as_model_input(model, x, name="x")  # finite floats of the model's input shape
    activations.check_batch_size(batch_size)
    if len(indices) != len(x):
        raise ValueError(f"got {len(indices)} map indices for {len(x)} images")
    engine = _engine(model, layer_name, node)
    out = [engine.objective[bool(pre_activation)](np.asarray(x[i : i + batch_size], np.float32), indices[i : i + batch_size]).numpy()
           for i in range(0, len(x), batch_size)]
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def first_converged(losses: np.ndarray, tolerance: float, window: int, first_row: int, end_row: int) -> np.ndarray:
    """The convergence criterion of :func:`run_oip` on rows ``first_row..end_row-1`` of a loss curve (steps, B).

    Row ``t`` counts as converged when the objective is positive and differs from its value at row ``t - window``
    by less than ``tolerance * window`` of its current value: two points are compared, so a saw-tooth (e.g. from
    periodic damping) can satisfy the rule while the objective still rises. Returns the first such row per image,
    or -1.
    """
    rows = np.arange(max(first_row, window), end_row)
    if not len(rows):
        return np.full(losses.shape[1], -1)
    now, before = losses[rows], losses[rows - window]
    settled = (now > 0) & (np.abs(now - before) < tolerance * window * np.maximum(np.abs(now), 1e-12))
    return np.where(settled.any(axis=0), rows[settled.argmax(axis=0)], -1)


def check_run_arguments(
    model, layer_name: str, map_indices, x0, node, n_steps, epsilon, damping, damping_every, damping_sigma,
    pre_activation_steps, coarse_to_fine, tolerance, window, snapshot_steps, chunk_size, block_size, seed, progress,
) -> SimpleNamespace:
    """Check every argument of :func:`run_oip` (same names and meanings) and return them in plain form.

    The one place where :func:`run_oip`'s arguments are validated. Raises ValueError naming the argument and
    what is valid: integers are never truncated (``3.7`` is refused, not read as 3), numbers must be finite,
    ``x0`` must hold finite standardized floats (raw ``uint8`` pixels are refused), ``n_steps`` is at most
    :data:`MAX_STEPS` and the records may take at most :data:`MAX_BYTES`.

    Returns a namespace with ``info`` (:class:`LayerInfo`), ``image_shape``, ``map_indices`` (int32 ``(B,)``),
    ``x0`` (float32 ``(B, h, w, c)``, drawn with ``seed`` if None), ``node``, ``n_steps``, ``epsilon``,
    ``damping``, ``damping_every``, ``damping_sigma`` (its default filled in), ``pre_activation_steps``,
    ``coarse_to_fine`` (a list of ``(step, cutoff)``), ``tolerance``, ``window``, ``snapshot_steps`` (sorted, unique),
    ``chunk_size``, ``block_size``, ``seed`` and ``progress``.
    """
    info = layer_info(model, layer_name)
    image_shape = model_image_shape(model)
    indices, node = check_targets(info, map_indices, node)
    n_steps = checks.integer("n_steps", n_steps, 1, MAX_STEPS)
    epsilon = checks.real("epsilon", epsilon, 0, open_low=True)
    if damping not in VALID_DAMPING:
        raise ValueError(f"unknown damping {damping!r}; valid: 'blur', 'fourier', None")
    damping_every = checks.integer("damping_every", damping_every, 1)
    if damping_sigma is None:
        damping_sigma = DEFAULT_DAMPING_SIGMA.get(damping, 1.0)
    if damping == "blur":  # the reflecting pad of the blur, ceil(2 sigma), must stay inside the image
        largest = (min(image_shape[:2]) - 1) / 2
        damping_sigma = checks.real(f"damping_sigma (pixels, for {image_shape[0]}x{image_shape[1]} images)",
                                    damping_sigma, 0, largest, open_low=True)
    else:
        damping_sigma = checks.real("damping_sigma", damping_sigma, 0, open_low=True)
    pre_activation_steps = checks.integer("pre_activation_steps", pre_activation_steps, 0, MAX_STEPS)
    schedule = []
    for pair in coarse_to_fine or []:
        ok = np.ndim(pair) == 1 and len(pair) == 2 and checks.is_integer(pair[0]) and pair[0] >= 1
        ok = ok and isinstance(pair[1], (int, float, np.number)) and bool(np.isfinite(pair[1])) and pair[1] > 0
        if not ok or (schedule and schedule[-1][0] >= pair[0]):
            raise ValueError(f"coarse_to_fine must be (until_step, cutoff) pairs with increasing steps (integers >= 1) "
                             f"and finite cutoffs > 0, got {coarse_to_fine}")
        schedule.append((int(pair[0]), float(pair[1])))
    tolerance = checks.real("tolerance", tolerance, 0)
    window = checks.integer("window", window, 1, MAX_STEPS)
    if snapshot_steps is None:
        snapshot_steps = log_spaced_steps(n_steps)
    try:
        snapshot_steps = list(snapshot_steps)
    except TypeError:  # a single step
        snapshot_steps = [snapshot_steps]
    bad = [s for s in snapshot_steps if not (checks.is_integer(s) and 1 <= s <= n_steps)]
    if bad:
        raise ValueError(f"snapshot_steps must be integer steps in 1..{n_steps} (n_steps), got {bad[0]!r}")
    snapshot_steps = sorted({int(s) for s in snapshot_steps})
    chunk_size = checks.integer("chunk_size", chunk_size, 1)
    block_size = checks.integer("block_size", block_size, 1)
    seed = checks.integer("seed", seed, 0)
    _progress.enabled(progress)  # raises for anything but True, False or None
    if x0 is None:
        x0 = initial_images(len(indices), image_shape, seed=seed)
    x0 = activations.as_model_input(model, x0, name="x0").astype(np.float32, copy=False)  # finite floats
    if len(x0) != len(indices):
        raise ValueError(f"got {len(indices)} map indices for {len(x0)} start images")
    image_bytes = 4 * int(np.prod(image_shape))
    _check_memory(
        f"n_steps={n_steps} for {len(indices)} images (a loss record and {len(snapshot_steps) + 1} snapshots)",
        4 * (n_steps + 1) * len(indices) + (len(snapshot_steps) + 2) * len(indices) * image_bytes,
        "run fewer steps, fewer images per call or fewer snapshot_steps",
    )
    return SimpleNamespace(
        info=info, image_shape=image_shape, map_indices=indices, x0=x0, node=node, n_steps=n_steps, epsilon=epsilon,
        damping=damping, damping_every=damping_every, damping_sigma=damping_sigma,
        pre_activation_steps=pre_activation_steps, coarse_to_fine=schedule, tolerance=tolerance, window=window,
        snapshot_steps=snapshot_steps, chunk_size=chunk_size, block_size=block_size, seed=seed, progress=progress,
    )


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
    progress: bool | None = None,
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
        tolerance: converged when the objective differs from its value ``window`` steps earlier by less than
            ``tolerance * window`` of its current value (default 2e-4 per step; see :func:`first_converged`).
        early_stop: stop when every image has converged or never reacted.
        snapshot_steps: steps at which to keep copies of the images (default 9, 18, 36, ..., last).
        chunk_size: images per compiled step (bounds memory for large batches).
        block_size: ascent steps per compiled call (Python checks convergence between blocks).
        verbose: print the objective at the snapshot steps.
        progress: show a progress bar over the steps on stderr that erases itself when done (None: where
            stderr is a terminal or a notebook; see :mod:`helpers.progress`).

    Every argument is checked by :func:`check_run_arguments` (ValueError naming what is valid).

    Returns:
        :class:`OIPResult`. A map whose objective stays exactly 0 has ``reacted == False``: its ReLU output is
        zero for the start image, the gradient is zero, and the image cannot move (try other starts, or
        ``pre_activation_steps``).
    """
    import tensorflow as tf

    checked = check_run_arguments(
        model, layer_name, map_indices, x0, node, n_steps, epsilon, damping, damping_every, damping_sigma,
        pre_activation_steps, coarse_to_fine, tolerance, window, snapshot_steps, chunk_size, block_size, seed, progress,
    )
    indices, x0, node, n_steps = checked.map_indices, checked.x0, checked.node, checked.n_steps
    pre_activation_steps, schedule = checked.pre_activation_steps, checked.coarse_to_fine
    snapshot_steps, block_size, window, tolerance = (checked.snapshot_steps, checked.block_size, checked.window,
                                                     checked.tolerance)

    engine = _engine(model, layer_name, node, damping, checked.damping_sigma, checked.damping_every,
                     bool(normalize_gradient), bool(restandardize))
    chunks = [slice(i, i + checked.chunk_size) for i in range(0, len(indices), checked.chunk_size)]
    x_chunks = [tf.constant(x0[c]) for c in chunks]  # stay in TensorFlow between blocks
    i_chunks = [tf.constant(indices[c]) for c in chunks]
    eps = np.float32(checked.epsilon)
    losses = np.zeros((n_steps + 1, len(indices)), np.float32)  # row t: objective after t steps
    converged_at = np.full(len(indices), -1)
    snapshots: dict[int, np.ndarray] = {}
    previous = None

    def objective_now() -> np.ndarray:
        return np.concatenate([engine.objective[False](xc, ic).numpy() for xc, ic in zip(x_chunks, i_chunks)])

    def images_now() -> np.ndarray:
        return np.concatenate([xc.numpy() for xc in x_chunks])

    step = 0
    with _progress.bar(n_steps, f"OIP {layer_name}", unit="step", progress=progress) as bar:
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
            bar.update(step - first_new)
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
    n_candidates = checks.integer("n_candidates", n_candidates, 1)
    activations.check_batch_size(batch_size)
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
