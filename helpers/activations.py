"""Look inside a model: sub-models to named layers, batched extraction, class aggregates, similarity, receptive fields.

Works on any functional Keras image model with one input (nothing here imports ``helpers.model``)::

    acts = extract(model, x_test, "Conv2D_3")             # (n, 3, 3, 128) for the series' CNN
    mean, std = class_means(acts, y_test)                  # (10, 3, 3, 128) each
    similarity_matrix(mean, metric="cosine")               # (10, 10)
    receptive_field(model, "Conv2D_3", (1, 1))             # (slice(4, 22), slice(4, 22)): input rows, cols

Sub-models are cached per (model, layer names, ``pre_activation``), so repeated calls reuse one traced
forward function. Extraction runs batch by batch into a preallocated array: memory beyond the result stays
bounded by ``batch_size``.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence

import numpy as np

from helpers import checks

__all__ = [
    "layer_names", "check_layer_name", "check_input_shape", "activation_model", "clear_cache", "check_batch_size",
    "as_model_input", "extract_many", "extract", "class_means", "cross_similarity", "similarity_matrix",
    "nearest_class_mean_accuracy", "paired_cosine", "mean_pairwise_cosine", "profile_correlation",
    "pattern_correlation", "top_examples", "firing_fraction", "receptive_field", "top_patches",
]

MAX_BATCH = 2**16
"""The largest ``batch_size`` (images per forward pass) accepted: larger batches only need more memory."""
MAX_CLASSES = 100_000
"""The most classes :func:`class_means` averages over (one mean and std per class are kept in memory)."""

VALID_METRICS = ("cosine", "correlation")
NEAREST_MEAN_METRICS = (*VALID_METRICS, "euclidean")

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
"""model -> {(layer names, pre_activation): sub-model}; entries vanish with their model."""


# ------------------------------------------------------------------------------------------------ checks


def layer_names(model) -> list[str]:
    """Names of all layers of ``model``, input layer included, in graph order."""
    return [layer.name for layer in checks.keras_model("model", model).layers]


def check_layer_name(model, layer_name: str):
    """Return the layer called ``layer_name``; raise ValueError listing the valid names if there is none."""
    checks.keras_model("model", model)
    checks.string("layer_name", layer_name)
    for layer in model.layers:
        if layer.name == layer_name:
            return layer
    raise ValueError(f"model {model.name!r} has no layer {layer_name!r}; valid names: {', '.join(layer_names(model))}")


def _expected_shape(model) -> tuple:
    shape = model.input_shape
    if isinstance(shape, list):
        raise ValueError(f"model {model.name!r} has {len(shape)} inputs; only single-input image models are supported")
    return tuple(shape[1:])


def _format_shape(shape: tuple) -> str:
    return "(n, " + ", ".join("any" if d is None else str(d) for d in shape) + ")"


def check_input_shape(model, x: np.ndarray, name: str = "x") -> None:
    """Raise ValueError unless ``x`` is a batch the model accepts, e.g. ``(n, 28, 28, 1)``; the message names it
    (``name``: the argument's name)."""
    expected = _expected_shape(checks.keras_model("model", model))
    if x is None or isinstance(x, (str, bytes)):
        raise checks.WrongTypeError(f"{name} must be a batch of images (an array), got {type(x).__name__} {x!r}")
    shape = tuple(np.shape(x))
    fits = len(shape) == len(expected) + 1 and all(e is None or e == s for e, s in zip(expected, shape[1:]))
    if fits:
        return
    hint = ""
    if shape == tuple(expected) and None not in expected:
        hint = " (a single image? add a batch axis: x[np.newaxis])"
    elif len(expected) >= 1 and expected[-1] == 1 and shape[1:] == tuple(expected[:-1]):
        hint = " (add the channel axis: x[..., np.newaxis])"
    raise ValueError(f"{name}: model {model.name!r} expects images of shape {_format_shape(expected)}, got {shape}{hint}")


# ---------------------------------------------------------------------------------------------- sub-models


def _has_builtin_activation(layer) -> bool:
    import keras

    activation = getattr(layer, "activation", None)
    return callable(activation) and activation is not keras.activations.linear


def _without_activation_layer(layer):
    """A layer that runs ``layer``'s own computation (kernel op + bias) with its activation switched off."""
    import keras

    class WithoutActivation(keras.layers.Layer):
        def __init__(self, wrapped, **kwargs):
            super().__init__(name=f"{wrapped.name}_pre_activation", **kwargs)
            self.wrapped = wrapped

        def call(self, inputs):
            saved = self.wrapped.activation
            self.wrapped.activation = keras.activations.linear  # read by the wrapped call at trace time
            try:
                return self.wrapped.call(inputs)
            finally:
                self.wrapped.activation = saved

        def compute_output_shape(self, input_shape):
            return self.wrapped.compute_output_shape(input_shape)

    return WithoutActivation(layer)


def activation_model(model, layer_names: str | Sequence[str], pre_activation: bool | Sequence[bool] = False):
    """A (cached) sub-model from ``model.input`` to the output(s) of the named layer(s).

    Args:
        layer_names: one name (the sub-model has one output) or a sequence of names (a list of outputs,
            in that order).
        pre_activation: for layers with a built-in activation (Conv2D/Dense with ReLU, ...), output the
            values before it (kernel op + bias); other layers give their output unchanged. One flag for all
            layers, or one per name (then a name may appear twice, once with each flag).

    Raises ValueError for an unknown name (listing the valid ones) or an empty sequence.
    """
    import keras

    single = isinstance(layer_names, str)
    names = (layer_names,) if single else tuple(checks.strings("layer_names", layer_names))
    if not names:
        raise ValueError("layer_names is empty; give at least one layer name")
    layers = [check_layer_name(model, name) for name in names]
    _expected_shape(model)  # single input only
    if isinstance(pre_activation, (bool, np.bool_)):
        flags = (bool(pre_activation),) * len(names)
    else:
        if isinstance(pre_activation, str) or not isinstance(pre_activation, (Sequence, np.ndarray)):
            checks.flag("pre_activation", pre_activation)  # raises: neither a flag nor one flag per name
        flags = tuple(checks.flag("each pre_activation flag", flag) for flag in pre_activation)
        if len(flags) != len(names):
            raise ValueError(f"got {len(flags)} pre_activation flags for {len(names)} layer names")
    key = (names, single, flags if len(set(flags)) > 1 else flags[0])
    per_model = _CACHE.setdefault(model, {})
    if key not in per_model:
        outputs = []
        for layer, pre in zip(layers, flags):
            if pre and _has_builtin_activation(layer):
                outputs.append(_without_activation_layer(layer)(layer.input))
            else:
                outputs.append(layer.output)
        suffix = "_pre" if all(flags) else "_mixed" if any(flags) else ""
        per_model[key] = keras.Model(
            model.inputs[0], outputs[0] if single else outputs, name=f"{model.name}_to_{'_'.join(names)}{suffix}"
        )
    return per_model[key]


def clear_cache() -> None:
    """Forget all cached sub-models (they are also dropped automatically with their model)."""
    _CACHE.clear()


# ---------------------------------------------------------------------------------------------- extraction


class _Forward:
    """Calls a sub-model and returns its outputs as a list.

    A callable object rather than a closure: TensorFlow counts retracings per code object, so one traced
    function per sub-model would otherwise trigger its "frequent retracing" warning after five sub-models.
    """

    def __init__(self, sub):
        self.sub = sub

    def __call__(self, batch):
        outputs = self.sub(batch, training=False)
        return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _forward_function(sub):
    """A compiled forward pass of ``sub`` (traced once, for every batch size), cached on the sub-model."""
    fn = getattr(sub, "_mnist_oip_forward", None)
    if fn is None:
        import tensorflow as tf

        inputs = sub.inputs[0]
        signature = [tf.TensorSpec((None, *inputs.shape[1:]), dtype=str(inputs.dtype))]
        fn = tf.function(_Forward(sub), input_signature=signature)
        sub._mnist_oip_forward = fn
    return fn


def check_batch_size(batch_size: int) -> int:
    """``batch_size`` as an int; raises ValueError unless it is an integer in 1..:data:`MAX_BATCH`."""
    return checks.size("batch_size", batch_size, MAX_BATCH, "images per forward pass; larger batches only need "
                       "more memory")


def as_model_input(model, x: np.ndarray, name: str = "x") -> np.ndarray:
    """``x`` checked against the model's input shape and cast to its input dtype.

    Refuses raw uint8 (or any integer) pixels for a float model and NaN or infinite values; ``name`` is the
    argument's name in the error message.
    """
    check_input_shape(model, x, name)
    x = np.asarray(x)
    if x.dtype == np.bool_ or x.dtype.kind in "cOUS":
        checks.finite_array(name, x)  # raises, naming the dtype
    input_dtype = str(getattr(model.inputs[0], "dtype", "float32"))
    if "float" in input_dtype and not np.issubdtype(x.dtype, np.floating):
        raise ValueError(
            f"{name} has dtype {x.dtype}, but model {model.name!r} expects standardized float images "
            "(e.g. standardizer.apply(images_uint8))"
        )
    return checks.finite_array(name, x, dtype=input_dtype if "float" in input_dtype else None)


def extract_many(
    model,
    x: np.ndarray,
    layer_names: Sequence[str],
    batch_size: int = 1000,
    pre_activation: bool = False,
    verbose: bool = False,
) -> dict[str, np.ndarray]:
    """Activations of several layers in one pass over ``x``, batch by batch.

    Args:
        x: standardized images ``(n, 28, 28, 1)`` (any input size and channels the model accepts).
        layer_names: layers to read out; one forward pass computes all of them.
        batch_size: images per forward pass (memory besides the result grows with it).
        pre_activation: values before the built-in activation (see :func:`activation_model`).
        verbose: print one line with the number of images, batches and the throughput.

    Returns ``{layer_name: array (n, *layer_output_shape)}`` (float32 for float models).
    """
    if isinstance(layer_names, str):
        raise ValueError(f"layer_names must be a sequence of names, got the string {layer_names!r} (use extract())")
    names = list(dict.fromkeys(checks.strings("layer_names", layer_names)))
    batch_size = check_batch_size(batch_size)
    checks.flag("verbose", verbose)
    sub = activation_model(model, names, pre_activation=pre_activation)
    x = as_model_input(model, x)
    n = len(x)
    forward = _forward_function(sub)
    results: dict[str, np.ndarray] = {}
    start = time.perf_counter()
    for first in range(0, n, batch_size):
        outputs = forward(x[first : first + batch_size])
        for name, out in zip(names, outputs):
            out = np.asarray(out)
            if name not in results:  # allocate once, then fill: no concatenation copies
                results[name] = np.empty((n, *out.shape[1:]), dtype=out.dtype)
            results[name][first : first + len(out)] = out
    if n == 0:
        for name, tensor in zip(names, sub.outputs):
            results[name] = np.empty((0, *tensor.shape[1:]), dtype=str(tensor.dtype))
    if verbose:
        seconds = time.perf_counter() - start
        print(
            f"{', '.join(names)}{' (pre-activation)' if pre_activation else ''}: {n} images in "
            f"{-(-n // batch_size)} batches of <= {batch_size}, {seconds:.2f} s ({n / max(seconds, 1e-9):.0f} images/s)"
        )
    return results


def extract(
    model,
    x: np.ndarray,
    layer_name: str,
    batch_size: int = 1000,
    pre_activation: bool = False,
    verbose: bool = False,
) -> np.ndarray:
    """Activations of one layer for ``x`` (standardized images ``(n, 28, 28, 1)``), batch by batch.

    Returns ``(n, *layer_output_shape)``, e.g. ``(n, 3, 3, 128)`` for Conv2D_3 of the series' CNN.
    See :func:`extract_many` for the arguments.
    """
    if not isinstance(layer_name, str):
        raise ValueError(f"layer_name must be one name (a string), got {layer_name!r}; use extract_many() for several")
    return extract_many(model, x, [layer_name], batch_size=batch_size, pre_activation=pre_activation, verbose=verbose)[
        layer_name
    ]


# ---------------------------------------------------------------------------------------------- aggregates


def class_means(activations: np.ndarray, labels: np.ndarray, n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the activations per class.

    Args:
        activations: ``(n, ...)``, e.g. ``(n, 3, 3, 128)``.
        labels: integer classes ``(n,)`` in ``0..n_classes-1``.

    Returns ``(mean, std)``, each ``(n_classes, ...)`` (float64). Every class needs at least one example.
    """
    activations = checks.finite_array("activations", activations, allow_empty=False, max_abs=1e150)
    n_classes = checks.size("n_classes", n_classes, MAX_CLASSES, "one mean and std per class are kept in memory")
    if activations.ndim < 1:
        raise ValueError(f"need activations (n, ...), got shape {activations.shape}")
    labels = checks.labels("labels", labels, n_classes, count=len(activations), per="row of activations")
    counts = np.bincount(labels, minlength=n_classes)
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        raise ValueError(f"classes {empty.tolist()} have no examples; every class needs at least one")
    shape = (n_classes, *activations.shape[1:])
    mean, std = np.empty(shape), np.empty(shape)
    for c in range(n_classes):
        members = activations[labels == c].astype(np.float64, copy=False)
        mean[c] = members.mean(axis=0)
        std[c] = members.std(axis=0)
    return mean, std


def _flat_patterns(name: str, patterns, min_count: int = 1) -> np.ndarray:
    """``patterns`` ``(k, ...)`` as finite float64 rows ``(k, d)``; raises ValueError otherwise."""
    patterns = checks.finite_array(name, patterns, dtype=np.float64, max_abs=1e150)
    if patterns.ndim < 2 or len(patterns) < min_count:
        raise ValueError(f"{name} must be k >= {min_count} patterns of shape (k, ...) with ndim >= 2, got shape "
                         f"{patterns.shape}")
    return patterns.reshape(len(patterns), -1)


def _check_metric(metric: str, valid: Sequence[str] = VALID_METRICS) -> None:
    checks.choice("metric", metric, valid)


def cross_similarity(a: np.ndarray, b: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """Similarity of every pattern of ``a`` ``(n, ...)`` to every pattern of ``b`` ``(k, ...)``: ``(n, k)``.

    Patterns are flattened. ``"cosine"``: cos of the angle between two patterns (1 = same direction; for
    non-negative ReLU patterns 0 = no active node in common), via ``sklearn.metrics.pairwise.cosine_similarity``;
    ``"correlation"``: Pearson correlation of the pattern values (cosine after subtracting each pattern's mean).
    A pattern with zero norm (cosine) or zero variance (correlation) has no direction: its entries are NaN.
    """
    from sklearn.metrics.pairwise import cosine_similarity

    _check_metric(metric)
    a, b = _flat_patterns("a", a), _flat_patterns("b", b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"patterns of a and b must have the same size, got {a.shape[1]} and {b.shape[1]} values")
    if metric == "correlation":
        a, b = a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True)
    similarity = np.clip(cosine_similarity(a, b), -1.0, 1.0)
    similarity[~np.any(a != 0, axis=1)] = np.nan  # sklearn gives 0 for a zero vector: no direction is NaN here
    similarity[:, ~np.any(b != 0, axis=1)] = np.nan
    return similarity


def similarity_matrix(patterns: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """Pairwise similarity of ``k`` patterns ``(k, ...)`` (each flattened): a symmetric ``(k, k)`` matrix.

    ``"cosine"`` or ``"correlation"`` as in :func:`cross_similarity`; a pattern without a direction (zero norm,
    or zero variance for correlation) has a NaN row and column.
    """
    _check_metric(metric)
    flat = _flat_patterns("patterns", patterns)
    return cross_similarity(flat, flat, metric)


def nearest_class_mean_accuracy(
    train_patterns: np.ndarray,
    train_labels: np.ndarray,
    test_patterns: np.ndarray,
    test_labels: np.ndarray,
    metric: str = "cosine",
) -> float:
    """Accuracy (0..1) of the nearest-class-mean classifier: each test pattern gets the class whose mean training
    pattern is most similar to it.

    Args:
        train_patterns, test_patterns: ``(n, ...)`` and ``(m, ...)`` patterns of the same shape (pixels, FCPs,
            dense activations).
        train_labels, test_labels: integer classes ``(n,)`` and ``(m,)``; every class ``0..max(train_labels)``
            needs a training example.
        metric: ``"cosine"`` or ``"correlation"`` (largest similarity, :func:`cross_similarity`) or ``"euclidean"``
            (smallest distance).

    A test pattern without a direction (all zeros for cosine) counts as misclassified.
    """
    _check_metric(metric, NEAREST_MEAN_METRICS)
    train = _flat_patterns("train_patterns", train_patterns)
    test = _flat_patterns("test_patterns", test_patterns)
    test_labels = checks.labels("test_labels", test_labels, count=len(test), per="row of test_patterns")
    train_labels = checks.labels("train_labels", train_labels, count=len(train), per="row of train_patterns")
    if test.shape[1] != train.shape[1]:
        raise ValueError(f"test_patterns and train_patterns must have patterns of the same size, got {test.shape[1]} "
                         f"and {train.shape[1]} values")
    n_classes = int(train_labels.max()) + 1 if train_labels.size else 1
    means, _ = class_means(train, train_labels, n_classes=n_classes)
    if metric == "euclidean":
        from sklearn.metrics.pairwise import euclidean_distances

        predicted = euclidean_distances(test, means).argmin(axis=1)
    else:
        similarity = cross_similarity(test, means, metric)
        predicted = np.where(np.isnan(similarity).all(axis=1), -1, np.nan_to_num(similarity, nan=-np.inf).argmax(axis=1))
    return float(np.mean(predicted == test_labels))


def paired_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of ``a[i]`` and ``b[i]`` for each pair (patterns flattened), ``(n,)``; NaN where a pattern
    is all zeros. E.g. how much a digit's pattern changes when the digit is shifted."""
    a, b = _flat_patterns("a", a), _flat_patterns("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must hold the same number of patterns of the same size, got {a.shape} and {b.shape}")
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(np.einsum("ij,ij->i", a, b) / np.where(norms > 0, norms, np.nan), -1.0, 1.0)


def mean_pairwise_cosine(patterns: np.ndarray) -> float:
    """Mean cosine similarity over all pairs ``i < j`` of ``k >= 2`` patterns ``(k, ...)`` (flattened): how
    tightly a set (e.g. the FCPs of one class) points in one direction, 1 = all the same direction.

    Patterns that are all zeros have no direction and are left out; NaN if fewer than two remain. Computed from
    the sum of the unit vectors, so memory stays ``O(k)`` patterns (no ``k x k`` matrix).
    """
    flat = _flat_patterns("patterns", patterns, min_count=2)
    norms = np.linalg.norm(flat, axis=1)
    unit = flat[norms > 0] / norms[norms > 0, np.newaxis]
    k = len(unit)
    if k < 2:
        return float("nan")
    total = unit.sum(axis=0)
    return float((total @ total - k) / (k * (k - 1)))  # sum over i != j of u_i . u_j, each pair counted twice


def profile_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of every response profile of ``a`` with every profile of ``b``: ``(n_maps_a, n_maps_b)``.

    Args:
        a: ``(n_maps_a, n_items)``, e.g. each map's mean activation on each test image (one run of training).
        b: ``(n_maps_b, n_items)`` over the same items in the same order (another run).

    A constant profile (a map that never fires) has no defined correlation and gets 0, so the matrix can go
    straight into an assignment (``scipy.optimize.linear_sum_assignment``).
    """
    a, b = _flat_patterns("a", a), _flat_patterns("b", b)
    if a.ndim != 2 or a.shape[1] != b.shape[1] or a.shape[1] < 2:
        raise ValueError(f"a and b must be profiles (n_maps_a, n_items) and (n_maps_b, n_items) over the same "
                         f"n_items >= 2, got shapes {a.shape} and {b.shape}")
    correlation = cross_similarity(a, b, metric="correlation")
    return np.where(np.isnan(correlation), 0.0, correlation)


def pattern_correlation(images_a: np.ndarray, images_b: np.ndarray) -> np.ndarray:
    """Pixelwise Pearson correlation of ``images_a[i]`` with ``images_b[i]`` for each pair, ``(n,)``.

    Both ``(n, ...)`` (e.g. two sets of OIPs ``(n, 28, 28, 1)``); NaN where an image is constant.
    """
    a, b = _flat_patterns("images_a", images_a), _flat_patterns("images_b", images_b)
    if a.shape != b.shape:
        raise ValueError(f"images_a and images_b must have the same shape, got {np.shape(images_a)} and "
                         f"{np.shape(images_b)}")
    return paired_cosine(a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True))


def top_examples(
    model,
    layer_name: str,
    images: np.ndarray,
    map_index: int,
    k: int = 9,
    node: tuple[int, int] | None = None,
    batch_size: int = 1000,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` images that drive one map most ("dataset examples", as in Olah et al., Feature Visualization).

    Args:
        images: standardized input batch ``(n, 28, 28, 1)``.
        map_index: the map (conv layer, channels last) or unit (dense layer) of ``layer_name``.
        k: how many images, ``1 <= k <= n``.
        node: rank by one node ``(row, col)`` of the map instead of the map's mean over its nodes.
        batch_size: images per forward pass (only the chosen map is kept, so memory stays small).

    Returns ``(indices, values)``, each ``(k,)``: positions in ``images``, strongest first (ties: lower index
    first), and their activations (mean of the map, or the node's value).
    """
    layer = check_layer_name(model, layer_name)
    shape = tuple(layer.output.shape[1:])
    if len(shape) not in (1, 3):
        raise ValueError(f"layer {layer_name!r} has output shape {shape}; need maps (h, w, maps) or units (units,)")
    map_index = checks.integer("map_index", map_index, 0, int(shape[-1]) - 1)
    if node is not None:
        if len(shape) == 1:
            raise ValueError(f"layer {layer_name!r} is dense: it has no nodes (row, col); leave node=None")
        node = checks.node(node, (int(shape[0]), int(shape[1])), f"layer {layer_name!r}")
    batch_size = check_batch_size(batch_size)
    images = as_model_input(model, images, name="images")
    k = checks.integer("k", k, 1, len(images))
    values = np.empty(len(images), np.float64)
    for first in range(0, len(images), batch_size):
        acts = extract(model, images[first : first + batch_size], layer_name, batch_size=batch_size)[..., map_index]
        if node is not None:
            acts = acts[:, node[0], node[1]]
        values[first : first + len(acts)] = acts.reshape(len(acts), -1).mean(axis=1)
    order = np.argsort(-values, kind="stable")[:k]
    return order, values[order]


def firing_fraction(activations: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Per map: the fraction of images for which at least one node of the map exceeds ``threshold``.

    Args:
        activations: ``(n, h, w, maps)`` for conv layers or ``(n, units)`` for dense layers (channels last).

    Returns ``(maps,)`` in 0..1: 0 marks a map that is silent on all ``n`` images ("dead" on this data).
    """
    activations = checks.finite_array("activations", activations)
    threshold = checks.real("threshold", threshold)
    if activations.ndim < 2 or len(activations) == 0:
        raise ValueError(f"need activations (n, ..., maps) with n >= 1, got shape {activations.shape}")
    per_image = activations.reshape(len(activations), -1, activations.shape[-1]).max(axis=1)  # (n, maps)
    return np.mean(per_image > threshold, axis=0)


# ------------------------------------------------------------------------------------------ receptive fields

_SPATIAL_LAYERS = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D")
_POSITIONWISE_LAYERS = (
    "Activation", "ActivityRegularization", "AlphaDropout", "BatchNormalization", "Dropout", "ELU",
    "GaussianDropout", "GaussianNoise", "Identity", "LeakyReLU", "PReLU", "ReLU", "Rescaling", "SpatialDropout2D",
)
"""Layers that keep every position (row, col) apart: the field passes through them unchanged."""


def _layer_types(names: Sequence[str]) -> tuple:
    import keras

    return tuple(getattr(keras.layers, name) for name in names if hasattr(keras.layers, name))


def _cannot_follow(layer, layer_name: str, why: str) -> ValueError:
    return ValueError(
        f"receptive_field cannot follow layer {layer.name!r} ({type(layer).__name__}) on the way from the input to "
        f"{layer_name!r}: {why}; supported: {', '.join(_SPATIAL_LAYERS)} (padding 'valid' or 'same', channels last) "
        f"and layers that keep positions apart ({', '.join(_POSITIONWISE_LAYERS)})"
    )


def _chain_to(model, layer_name: str) -> list:
    """The layers from the model's input to ``layer_name`` (input side first, the input layer left out)."""
    import keras

    chain, layer = [], check_layer_name(model, layer_name)
    while not isinstance(layer, keras.layers.InputLayer):
        if len(getattr(layer, "_inbound_nodes", ())) > 1:
            raise _cannot_follow(layer, layer_name, "it is used more than once in the graph")
        inputs = layer.input
        if isinstance(inputs, (list, tuple, dict)):
            raise _cannot_follow(layer, layer_name, f"it has {len(inputs)} inputs, not one chain")
        chain.append(layer)
        layer = inputs._keras_history.operation
    return chain[::-1]


def _window(layer, layer_name: str) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], str] | None:
    """``(kernel, strides, dilation, padding)`` of a spatial layer, per axis (rows, cols); None for a layer that
    keeps positions apart; raises ValueError for any other layer."""
    if isinstance(layer, _layer_types(_POSITIONWISE_LAYERS)):
        return None
    if not isinstance(layer, _layer_types(_SPATIAL_LAYERS)):
        raise _cannot_follow(layer, layer_name, "unsupported layer type")
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise _cannot_follow(layer, layer_name, f"data_format is {layer.data_format!r}")
    if layer.padding not in ("valid", "same"):
        raise _cannot_follow(layer, layer_name, f"padding is {layer.padding!r}")
    kernel = getattr(layer, "kernel_size", None) or layer.pool_size
    dilation = getattr(layer, "dilation_rate", (1, 1))
    return tuple(kernel), tuple(layer.strides), tuple(dilation), layer.padding


def _window_inputs(outputs: np.ndarray, size: int, kernel: int, stride: int, dilation: int, padding: str) -> np.ndarray:
    """Along one axis: the input positions (in ``0..size-1``, sorted) that the output positions ``outputs`` read.

    ``"same"`` pads as TensorFlow does: ``ceil(size / stride)`` outputs, the smaller half of the padding first.
    Padded positions are constants, so they are dropped (this is the clipping to the input).
    """
    span = dilation * (kernel - 1) + 1
    before = 0
    if padding == "same":
        n_out = -(-size // stride)
        before = max((n_out - 1) * stride + span - size, 0) // 2
    taps = np.unique(outputs[:, np.newaxis] * stride - before + dilation * np.arange(kernel)[np.newaxis, :])
    return taps[(taps >= 0) & (taps < size)]


def receptive_field(model, layer_name: str, node: tuple[int, int]) -> tuple[slice, slice]:
    """The rows and columns of the input image that node ``(row, col)`` of a map of ``layer_name`` depends on.

    Computed from the layer geometry alone (no forward pass) by walking the chain of layers from the input:
    Conv2D / DepthwiseConv2D / SeparableConv2D (kernel size, strides, dilation, padding ``"valid"`` or
    ``"same"``), MaxPooling2D / AveragePooling2D (pool size, strides, padding), and layers that keep positions
    apart (Activation, BatchNormalization, Dropout, ...). Zero padding adds no input pixels: the field is clipped
    to the image. For the series' CNN, node (1, 1) of Conv2D_3 sees rows 4..21 and columns 4..21 (18 x 18 px).

    Args:
        layer_name: a layer with maps ``(h, w, maps)`` (channels last); the field is the same for every map.
        node: ``(row, col)`` in ``0..h-1`` x ``0..w-1``.

    Returns ``(rows, cols)``, slices into the image in pixels (``image[rows, cols]`` is the patch). With
    dilation > 1 the field may have holes; the slices are its bounding box.

    Raises ValueError for a layer without maps, a node outside the maps, a model input of unknown size, or a
    layer on the way that the walk cannot follow (the message names it and lists what is supported).
    """
    layer = check_layer_name(model, layer_name)
    shape = tuple(layer.output.shape[1:])
    if len(shape) != 3 or None in shape[:2]:
        raise ValueError(f"layer {layer_name!r} has output shape {shape}; receptive_field needs maps (h, w, maps) of "
                         "a known size, with nodes (row, col)")
    row, col = checks.node(node, (int(shape[0]), int(shape[1])), f"layer {layer_name!r}")
    fields = [np.array([row]), np.array([col])]
    for step in reversed(_chain_to(model, layer_name)):
        window = _window(step, layer_name)
        if window is None:
            continue
        size = tuple(step.input.shape[1:3])
        if None in size:
            raise ValueError(f"layer {step.name!r} has inputs of unknown size {size}; receptive_field needs a model "
                             "with a fixed input size")
        fields = [_window_inputs(field, int(n), *(w[axis] for w in window[:3]), window[3])
                  for axis, (field, n) in enumerate(zip(fields, size))]
    rows, cols = fields
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def top_patches(
    model,
    layer_name: str,
    images: np.ndarray,
    map_index: int,
    node: tuple[int, int],
    k: int = 9,
    batch_size: int = 1000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` images that drive node ``(row, col)`` of one map most, cut to the node's receptive field.

    Args:
        images: standardized input batch ``(n, 28, 28, 1)``.
        map_index: the map of ``layer_name`` (channels last).
        node: ``(row, col)`` of the map; the images are ranked by its value (see :func:`top_examples`).
        k: how many patches, ``1 <= k <= n``.
        batch_size: images per forward pass.

    Returns ``(patches, indices, values)``: ``patches`` ``(k, ph, pw, c)`` are ``images[indices]`` cut to
    :func:`receptive_field` (same dtype and units as ``images``; e.g. ``(k, 18, 18, 1)`` for node (1, 1) of
    Conv2D_3 of the series' CNN); ``indices`` ``(k,)`` their positions in ``images``, strongest first;
    ``values`` ``(k,)`` the node's activations.
    """
    rows, cols = receptive_field(model, layer_name, node)
    indices, values = top_examples(model, layer_name, images, map_index, k=k, node=node, batch_size=batch_size)
    return np.asarray(images)[indices, rows, cols], indices, values
