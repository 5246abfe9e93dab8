"""Attribution: which input pixels decided a class score — saliency, SmoothGrad, Grad-CAM, integrated gradients.

An OIP (``helpers.oip``) asks what input a class *wants*; attribution asks, for one real image, which of its
pixels *moved* the class score. All methods differentiate one class score per image, by default the logit of
``Dense_2`` (the layer before the separate Softmax), and work on any single-input Keras image classifier::

    grads = saliency(model, x, y)                           # (n, 28, 28, 1), d logit / d pixel
    smooth = smoothgrad(model, x, y, n_samples=50, seed=0)  # (n, 28, 28, 1), averaged over noisy copies
    cam = grad_cam(model, x, y, layer_name="Conv2D_3")      # (n, 28, 28), >= 0, upsampled from 3x3
    ig = integrated_gradients(model, x, y, baseline=black)  # (n, 28, 28, 1), sums to logit(x) - logit(black)
    rough = randomized_copy(model, seed=0)                  # same architecture, fresh weights (sanity check)

``x`` are standardized images; ``class_indices`` give one class per image (or one int for all); ``target_layer``
None (the default) means the model's logits, :func:`helpers.objectives.output_layer_name`. Gradients run in
compiled, batched passes (cached per sub-model); memory beyond the result stays bounded by ``batch_size``.

References: Simonyan et al. 2013 (saliency), Smilkov et al. 2017 (SmoothGrad), Selvaraju et al. 2017 (Grad-CAM),
Sundararajan et al. 2017 (integrated gradients), Adebayo et al. 2018 (sanity checks by weight randomization).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from helpers import activations, checks, objectives

__all__ = [
    "class_scores", "saliency", "smoothgrad", "grad_cam", "integrated_gradients", "completeness_gap",
    "randomized_copy", "rank_correlation",
]

DEFAULT_TARGET_LAYER = "Dense_2"
"""The logits of the series' CNN (the Softmax is a separate layer); what ``target_layer=None`` finds there."""
MAX_SAMPLES = 10_000
"""The most noisy copies per image :func:`smoothgrad` takes (each costs one gradient pass per image; the paper
uses 50)."""
MAX_PATH_STEPS = 10_000
"""The most intervals :func:`integrated_gradients` takes (each costs one gradient pass per image)."""
MAX_GRADIENTS = 10_000_000
"""The most gradient evaluations (images x copies or path points) one call makes: about ten minutes on a CPU."""


# ------------------------------------------------------------------------------------------------ checks


def _target(model, target_layer: str | None) -> str:
    """``target_layer``, or the model's logits layer for None."""
    return objectives.output_layer_name(model) if target_layer is None else checks.string("target_layer", target_layer)


def _score_units(model, target_layer: str) -> int:
    """Number of class scores of ``target_layer``; it must output ``(n, units)``."""
    layer = activations.check_layer_name(model, target_layer)
    shape = tuple(layer.output.shape[1:])
    if len(shape) != 1 or shape[0] is None:
        raise ValueError(
            f"target_layer {target_layer!r} has output shape {shape}; attribution needs a layer of class scores "
            f"(n, units), e.g. the logits {DEFAULT_TARGET_LAYER!r}"
        )
    return int(shape[0])


def _check_class_indices(model, target_layer: str, class_indices, n: int) -> np.ndarray:
    """One class per image as int32 ``(n,)``; a single int is used for every image."""
    n_units = _score_units(model, target_layer)
    indices = checks.finite_array("class_indices", class_indices)
    if indices.size and not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"class_indices must be integers, got dtype {indices.dtype}")
    if indices.ndim == 0:
        indices = np.full(n, int(indices))
    if indices.ndim != 1 or len(indices) != n:
        raise ValueError(f"need one class index per image: got class_indices of shape {indices.shape} for {n} images "
                         "in x")
    bad = indices[(indices < 0) | (indices >= n_units)]
    if len(bad):
        raise ValueError(
            f"class index {int(bad[0])} is out of range for layer {target_layer!r} with {n_units} units: "
            f"valid 0..{n_units - 1}"
        )
    return indices.astype(np.int32)


def _prepare(model, x: np.ndarray, class_indices, target_layer: str, batch_size: int,
             copies: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Checked ``x`` and class indices; refuses work of more than :data:`MAX_GRADIENTS` gradient evaluations
    (``copies`` per image)."""
    activations.check_batch_size(batch_size)
    x = activations.as_model_input(model, x)
    if len(x) * copies > MAX_GRADIENTS:
        raise ValueError(f"{len(x)} images x {copies} gradient passes each exceed the {MAX_GRADIENTS:,} gradient "
                         "evaluations one call may make (about ten minutes on a CPU); split x into smaller batches")
    return x, _check_class_indices(model, target_layer, class_indices, len(x))


# ---------------------------------------------------------------------------------- compiled gradients


class _ClassGradient:
    """Gradient of each image's own class score with respect to that image, and the score itself.

    A callable object rather than a closure, so TensorFlow counts retracings per sub-model correctly.
    """

    def __init__(self, sub):
        self.sub = sub

    def __call__(self, x, class_indices):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            scores = tf.gather(self.sub(x, training=False), class_indices, axis=1, batch_dims=1)
            total = tf.reduce_sum(scores)  # images are independent: d total / d x_i = d score_i / d x_i
        return tape.gradient(total, x), scores


class _CamGradient:
    """The maps of a conv layer and the gradient of each image's class score with respect to them."""

    def __init__(self, sub):
        self.sub = sub

    def __call__(self, x, class_indices):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            maps, scores = self.sub(x, training=False)
            total = tf.reduce_sum(tf.gather(scores, class_indices, axis=1, batch_dims=1))
        return maps, tape.gradient(total, maps)


def _compiled(sub, kind: type):
    """A compiled ``kind(sub)`` (traced once for every batch size), cached on the sub-model."""
    attribute = f"_mnist_oip_{kind.__name__.lower()}"
    fn = getattr(sub, attribute, None)
    if fn is None:
        import tensorflow as tf

        inputs = sub.inputs[0]
        signature = [tf.TensorSpec((None, *inputs.shape[1:]), dtype=str(inputs.dtype)),
                     tf.TensorSpec((None,), dtype=tf.int32)]
        fn = tf.function(kind(sub), input_signature=signature)
        setattr(sub, attribute, fn)
    return fn


def _gradients(model, x: np.ndarray, indices: np.ndarray, target_layer: str, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Checked inputs in, ``(d score / d x (n, ...), score (n,))`` out, batch by batch."""
    fn = _compiled(activations.activation_model(model, target_layer), _ClassGradient)
    grads = np.empty(x.shape, np.float32)
    scores = np.empty(len(x), np.float32)
    for first in range(0, len(x), batch_size):
        part = slice(first, first + batch_size)
        g, s = fn(x[part], indices[part])
        grads[part], scores[part] = g.numpy(), s.numpy()
    return grads, scores


def class_scores(model, x: np.ndarray, class_indices: Sequence[int] | int, target_layer: str | None = None,
                 batch_size: int = 500) -> np.ndarray:
    """The score (logit) of each image's class, ``(n,)``, for standardized images ``x`` ``(n, 28, 28, 1)``."""
    target_layer = _target(model, target_layer)
    x, indices = _prepare(model, x, class_indices, target_layer, batch_size)
    scores = activations.extract(model, x, target_layer, batch_size=batch_size)
    return scores[np.arange(len(x)), indices]


# ------------------------------------------------------------------------------------------------- methods


def saliency(
    model,
    x: np.ndarray,
    class_indices: Sequence[int] | int,
    target_layer: str | None = None,
    absolute: bool = False,
    batch_size: int = 500,
) -> np.ndarray:
    """Plain gradient of each image's class score with respect to its pixels (Simonyan et al. 2013).

    Args:
        x: standardized images ``(n, 28, 28, 1)`` (any size and channels the model accepts).
        class_indices: the class to explain, one per image ``(n,)`` or one int for all.
        target_layer: the layer of class scores, ``(n, units)``; None (default): the model's logits
            (:func:`helpers.objectives.output_layer_name`, ``Dense_2`` for the series' CNN).
        absolute: return ``|gradient|`` (the saliency map of the paper) instead of the signed gradient.
        batch_size: images per compiled gradient pass.

    Returns ``(n, *image_shape)`` float32, in score units per standardized pixel unit.
    """
    target_layer = _target(model, target_layer)
    absolute = checks.flag("absolute", absolute)
    x, indices = _prepare(model, x, class_indices, target_layer, batch_size)
    grads, _ = _gradients(model, x, indices, target_layer, batch_size)
    return np.abs(grads) if absolute else grads


def smoothgrad(
    model,
    x: np.ndarray,
    class_indices: Sequence[int] | int,
    n_samples: int = 50,
    noise_level: float = 0.15,
    seed: int = 0,
    target_layer: str | None = None,
    absolute: bool = False,
    batch_size: int = 500,
    verbose: bool = False,
) -> np.ndarray:
    """Saliency averaged over noisy copies of each image (SmoothGrad, Smilkov et al. 2017).

    Args:
        n_samples: noisy copies per image.
        noise_level: standard deviation of the Gaussian pixel noise as a fraction of each image's value range
            (max - min); 0 gives exactly :func:`saliency`. The paper finds 0.1-0.2 works well.
        seed: random seed of the noise; the same seed gives the same maps.
        absolute: average ``|gradient|`` instead of the signed gradient.
        verbose: print one line with the number of gradient passes and the time taken.

    Other arguments as in :func:`saliency`. Returns ``(n, *image_shape)`` float32.
    """
    n_samples = checks.size("n_samples", n_samples, MAX_SAMPLES, "attribution.MAX_SAMPLES; each copy costs a "
                            "gradient pass per image, and the paper uses 50")
    noise_level = checks.real("noise_level", noise_level, 0, 10, why="a fraction of the value range; the paper uses 0.1-0.2")
    seed = checks.integer("seed", seed, 0, 2**63 - 1, "64-bit seeds")
    target_layer = _target(model, target_layer)
    absolute, verbose = checks.flag("absolute", absolute), checks.flag("verbose", verbose)
    x, indices = _prepare(model, x, class_indices, target_layer, batch_size, copies=n_samples)
    n = len(x)
    start = time.perf_counter()
    axes = tuple(range(1, x.ndim))
    sigma = (noise_level * (x.max(axis=axes, keepdims=True) - x.min(axis=axes, keepdims=True))).astype(np.float32)
    rng = np.random.default_rng(seed)
    total = np.zeros(x.shape, np.float64)
    per_pass = max(1, batch_size // max(n, 1))  # noisy copies of all n images evaluated together
    for first in range(0, n_samples, per_pass):  # an empty batch passes empty arrays through
        k = min(per_pass, n_samples - first)
        noisy = (x[np.newaxis] + sigma[np.newaxis] * rng.standard_normal((k, *x.shape), dtype=np.float32))
        grads, _ = _gradients(model, noisy.reshape(k * n, *x.shape[1:]), np.tile(indices, k), target_layer, batch_size)
        grads = grads.reshape(k, *x.shape)
        total += (np.abs(grads) if absolute else grads).sum(axis=0)
    if verbose:
        print(f"SmoothGrad: {n} images x {n_samples} noisy copies (noise {noise_level:.0%} of the value range), "
              f"{time.perf_counter() - start:.2f} s")
    return (total / n_samples).astype(np.float32)


def grad_cam(
    model,
    x: np.ndarray,
    class_indices: Sequence[int] | int,
    layer_name: str = "Conv2D_3",
    target_layer: str | None = None,
    upsample: bool = True,
    batch_size: int = 500,
) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017): the maps of a conv layer, weighted by their mean gradient, then ReLU.

    For image ``i`` and map ``k`` the weight is ``alpha_k = mean over (row, col) of d score / d A_k``; the heat map
    is ``ReLU(sum_k alpha_k A_k)`` — the places where maps that raise the class score are active.

    Args:
        layer_name: a layer with maps ``(n, h, w, maps)``, e.g. ``Conv2D_3`` (3x3 maps in the series' CNN).
        upsample: resize the ``(h, w)`` map bilinearly to the input size (28x28); False keeps ``(h, w)``.

    Other arguments as in :func:`saliency`. Returns ``(n, height, width)`` float32, >= 0, in score units.
    """
    import keras

    target_layer = _target(model, target_layer)
    upsample = checks.flag("upsample", upsample)
    layer = activations.check_layer_name(model, layer_name)
    if len(layer.output.shape) != 4:
        raise ValueError(
            f"Grad-CAM needs a layer with maps (n, h, w, maps); {layer_name!r} has output shape "
            f"{tuple(layer.output.shape)}"
        )
    x, indices = _prepare(model, x, class_indices, target_layer, batch_size)
    fn = _compiled(activations.activation_model(model, [layer_name, target_layer]), _CamGradient)
    h, w = (int(s) for s in layer.output.shape[1:3])
    cams = np.empty((len(x), h, w), np.float32)
    for first in range(0, len(x), batch_size):
        part = slice(first, first + batch_size)
        maps, grads = (t.numpy() for t in fn(x[part], indices[part]))
        weights = grads.mean(axis=(1, 2), keepdims=True)  # (b, 1, 1, maps)
        cams[part] = np.maximum((weights * maps).sum(axis=-1), 0.0)
    if upsample and len(cams) and (h, w) != tuple(x.shape[1:3]):
        resized = keras.ops.image.resize(cams[..., np.newaxis], tuple(x.shape[1:3]), interpolation="bilinear")
        cams = np.maximum(keras.ops.convert_to_numpy(resized)[..., 0], 0.0).astype(np.float32)
    elif upsample and not len(cams):
        cams = np.empty((0, *x.shape[1:3]), np.float32)
    return cams


def _baseline_batch(baseline, x: np.ndarray) -> np.ndarray:
    """The baseline as an array broadcastable to ``x``: None -> zeros, a number -> that constant, an image or batch."""
    if baseline is None:
        return np.zeros((1, *x.shape[1:]), np.float32)
    b = checks.finite_array("baseline", baseline, dtype=np.float32)
    if b.ndim == 0:
        return np.full((1, *x.shape[1:]), b, np.float32)
    if b.shape == x.shape[1:]:
        return b[np.newaxis]
    if b.shape == x.shape:
        return b
    raise ValueError(
        f"baseline must be None, a number, one image of shape {x.shape[1:]} or one per image {x.shape}; "
        f"got shape {b.shape}"
    )


def integrated_gradients(
    model,
    x: np.ndarray,
    class_indices: Sequence[int] | int,
    baseline: np.ndarray | float | None = None,
    n_steps: int = 64,
    target_layer: str | None = None,
    batch_size: int = 500,
    verbose: bool = False,
) -> np.ndarray:
    """Integrated gradients (Sundararajan et al. 2017): ``(x - baseline) x`` the mean gradient on the straight path.

    The path integral is approximated by the trapezoidal rule on ``n_steps`` equal intervals (``n_steps + 1``
    gradient evaluations per image, batched across images and steps). By *completeness* the attributions of an
    image sum to ``score(x) - score(baseline)``; :func:`completeness_gap` measures how far the approximation is.

    Args:
        baseline: the "absence of signal" in standardized space: None (all zeros, the mean pixel), a number (a
            constant image; for MNIST a black image is ``standardizer.apply(0)``), one image or one per image.
        n_steps: intervals of the path; more steps make the sum closer to the score difference.
        verbose: print the number of gradient evaluations, the time and the largest completeness gap.

    Other arguments as in :func:`saliency`. Returns ``(n, *image_shape)`` float32, in score units.
    """
    n_steps = checks.size("n_steps", n_steps, MAX_PATH_STEPS, "attribution.MAX_PATH_STEPS; each interval costs a "
                          "gradient pass per image, and 50-300 suffice")
    target_layer = _target(model, target_layer)
    verbose = checks.flag("verbose", verbose)
    x, indices = _prepare(model, x, class_indices, target_layer, batch_size, copies=n_steps + 1)
    base = _baseline_batch(baseline, x)
    start = time.perf_counter()
    alphas = np.linspace(0.0, 1.0, n_steps + 1, dtype=np.float32)
    weights = np.full(n_steps + 1, 1.0 / n_steps)
    weights[[0, -1]] /= 2  # trapezoidal rule
    shape = (1,) * (x.ndim - 1)
    per_pass = max(1, batch_size // (n_steps + 1))  # images whose whole path fits one pass
    result = np.empty(x.shape, np.float32)
    for first in range(0, len(x), per_pass):
        part = slice(first, first + per_pass)
        xs, bs = x[part], base[part] if len(base) > 1 else base
        path = bs[np.newaxis] + alphas.reshape(-1, 1, *shape) * (xs - bs)[np.newaxis]  # (steps + 1, b, ...)
        grads, _ = _gradients(model, path.reshape(-1, *x.shape[1:]), np.tile(indices[part], n_steps + 1),
                              target_layer, batch_size)
        mean_grad = np.tensordot(weights, grads.reshape(n_steps + 1, len(xs), *x.shape[1:]), axes=1)
        result[part] = (xs - bs) * mean_grad
    if verbose:
        gap = completeness_gap(model, result, x, indices, baseline=baseline, target_layer=target_layer)
        print(f"integrated gradients: {len(x)} images x {n_steps + 1} points, {time.perf_counter() - start:.2f} s; "
              f"largest completeness gap {np.abs(gap).max() if len(gap) else 0.0:.3g} (score units)")
    return result


def completeness_gap(
    model,
    attributions: np.ndarray,
    x: np.ndarray,
    class_indices: Sequence[int] | int,
    baseline: np.ndarray | float | None = None,
    target_layer: str | None = None,
) -> np.ndarray:
    """``sum(attributions) - (score(x) - score(baseline))`` per image, ``(n,)``; near 0 for integrated gradients.

    Use the same ``baseline`` and ``target_layer`` as for :func:`integrated_gradients`.
    """
    target_layer = _target(model, target_layer)
    x = activations.as_model_input(model, x)
    attributions = checks.finite_array("attributions", attributions)
    if attributions.shape != x.shape:
        raise ValueError(f"attributions must have the shape of x {x.shape}, got {attributions.shape}")
    base = np.broadcast_to(_baseline_batch(baseline, x), x.shape)
    difference = class_scores(model, x, class_indices, target_layer) - class_scores(
        model, np.ascontiguousarray(base), class_indices, target_layer)
    return attributions.reshape(len(x), -1).sum(axis=1, dtype=np.float64) - difference


# ------------------------------------------------------------------------------------------ sanity checks


def _fresh_value(layer, variable, seed: int) -> np.ndarray:
    """A new value for ``variable`` from the layer's own initializer (re-seeded), e.g. GlorotUniform / zeros."""
    import keras

    name = variable.name.split("/")[-1]  # "kernel", "bias", "gamma", ...
    initializer = getattr(layer, f"{name}_initializer", None)
    if initializer is None:  # an unknown weight: Glorot for matrices and kernels, zeros for vectors
        initializer = keras.initializers.GlorotUniform() if len(variable.shape) >= 2 else keras.initializers.Zeros()
    config = initializer.get_config()
    if "seed" in config:
        config["seed"] = seed
    fresh = type(initializer).from_config(config)
    return keras.ops.convert_to_numpy(fresh(tuple(variable.shape), dtype=variable.dtype))


def randomized_copy(model, from_layer: str | None = None, seed: int = 0):
    """A clone of ``model`` whose weights from ``from_layer`` up to the output are re-initialized.

    The cascading randomization of Adebayo et al. 2018: ``from_layer="Dense_2"`` re-initializes only the top layer,
    ``from_layer="Conv2D_3"`` that layer and every later one, None (default) every layer with weights. Layers before
    ``from_layer`` keep the trained weights. Each weight gets its layer's own initializer with a fresh seed
    (derived from ``seed``), so the copy has the statistics of an untrained network. ``model`` is not changed.

    Returns a new Keras model with the same architecture and layer names, named ``<name>_randomized``.
    """
    import keras

    names = activations.layer_names(model)
    seed = checks.integer("seed", seed, 0, 2**63 - 1, "64-bit seeds")
    first = 0 if from_layer is None else names.index(activations.check_layer_name(model, from_layer).name)
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    clone.name = f"{model.name}_randomized"
    k = 0
    for index, layer in enumerate(clone.layers):
        if index < first:
            continue
        for variable in layer.weights:
            # a large derived seed: small ones could repeat the seeds the model was initialized with
            fresh_seed = int(np.random.SeedSequence([seed, k]).generate_state(1)[0] % 2**31)
            variable.assign(_fresh_value(layer, variable, seed=fresh_seed))
            k += 1
    return clone


def rank_correlation(a: np.ndarray, b: np.ndarray, absolute: bool = True, mask: np.ndarray | None = None) -> np.ndarray:
    """Spearman rank correlation between two attributions of the same images, per image ``(n,)``.

    Args:
        a, b: ``(n, ...)`` maps of the same shape.
        absolute: compare ``|a|`` and ``|b|`` (importance regardless of sign), as in the sanity checks of
            Adebayo et al. 2018.
        mask: optional boolean ``(n, ...)``: rank only these pixels of each image (e.g. the ink of a digit).

    Returns ``scipy.stats.spearmanr`` per image: 1 for the same ranking of the pixels, -1 for the reversed one,
    NaN where a map is constant (on the mask) or fewer than 2 pixels are masked, since it ranks nothing.
    """
    import warnings

    from scipy.stats import ConstantInputWarning, spearmanr

    a = checks.finite_array("a", a, dtype=np.float64)
    b = checks.finite_array("b", b, dtype=np.float64)
    absolute = checks.flag("absolute", absolute)
    if a.shape != b.shape or a.ndim < 2:
        raise ValueError(f"a and b must be two attributions of the same shape (n, ...), got {a.shape} and {b.shape}")
    if mask is not None:
        mask = checks.finite_array("mask", mask, allow_bool=True)
        if mask.dtype != np.bool_:
            raise checks.WrongTypeError(f"mask must be a boolean array (True: rank this pixel), got dtype {mask.dtype}")
        if mask.shape != a.shape:
            raise ValueError(f"mask must have the shape of the attributions {a.shape}, got {mask.shape}")
    if absolute:
        a, b = np.abs(a), np.abs(b)
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    keep = np.ones(a.shape, bool) if mask is None else np.asarray(mask, bool).reshape(a.shape)
    result = np.full(len(a), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)  # a constant map: NaN, as documented
        for i in range(len(a)):
            if keep[i].sum() >= 2:
                result[i] = spearmanr(a[i][keep[i]], b[i][keep[i]]).statistic
    return result
