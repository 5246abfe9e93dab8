"""Look inside a model: sub-models to named layers, batched extraction, class aggregates, similarity.

Works on any functional Keras image model with one input (nothing here imports ``helpers.model``)::

    acts = extract(model, x_test, "Conv2D_3")             # (n, 3, 3, 128) for the series' CNN
    mean, std = class_means(acts, y_test)                  # (10, 3, 3, 128) each
    similarity_matrix(mean, metric="cosine")               # (10, 10)

Sub-models are cached per (model, layer names, ``pre_activation``), so repeated calls reuse one traced
forward function. Extraction runs batch by batch into a preallocated array: memory beyond the result stays
bounded by ``batch_size``.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence

import numpy as np

VALID_METRICS = ("cosine", "correlation")

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
"""model -> {(layer names, pre_activation): sub-model}; entries vanish with their model."""


# ------------------------------------------------------------------------------------------------ checks


def layer_names(model) -> list[str]:
    """Names of all layers of ``model``, input layer included, in graph order."""
    return [layer.name for layer in model.layers]


def check_layer_name(model, layer_name: str):
    """Return the layer called ``layer_name``; raise ValueError listing the valid names if there is none."""
    if not isinstance(layer_name, str):
        raise ValueError(f"layer_name must be a string, got {type(layer_name).__name__} {layer_name!r}")
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


def check_input_shape(model, x: np.ndarray) -> None:
    """Raise ValueError unless ``x`` is a batch the model accepts, e.g. ``(n, 28, 28, 1)``; the message names it."""
    expected = _expected_shape(model)
    shape = tuple(np.shape(x))
    fits = len(shape) == len(expected) + 1 and all(e is None or e == s for e, s in zip(expected, shape[1:]))
    if fits:
        return
    hint = ""
    if shape == tuple(expected) and None not in expected:
        hint = " (a single image? add a batch axis: x[np.newaxis])"
    elif len(expected) >= 1 and expected[-1] == 1 and shape[1:] == tuple(expected[:-1]):
        hint = " (add the channel axis: x[..., np.newaxis])"
    raise ValueError(f"model {model.name!r} expects images of shape {_format_shape(expected)}, got {shape}{hint}")


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


def activation_model(model, layer_names: str | Sequence[str], pre_activation: bool = False):
    """A (cached) sub-model from ``model.input`` to the output(s) of the named layer(s).

    Args:
        layer_names: one name (the sub-model has one output) or a sequence of names (a list of outputs,
            in that order).
        pre_activation: for layers with a built-in activation (Conv2D/Dense with ReLU, ...), output the
            values before it (kernel op + bias); other layers give their output unchanged.

    Raises ValueError for an unknown name (listing the valid ones) or an empty sequence.
    """
    import keras

    single = isinstance(layer_names, str)
    names = (layer_names,) if single else tuple(layer_names)
    if not names:
        raise ValueError("layer_names is empty; give at least one layer name")
    layers = [check_layer_name(model, name) for name in names]
    _expected_shape(model)  # single input only
    key = (names, single, bool(pre_activation))
    per_model = _CACHE.setdefault(model, {})
    if key not in per_model:
        outputs = []
        for layer in layers:
            if pre_activation and _has_builtin_activation(layer):
                outputs.append(_without_activation_layer(layer)(layer.input))
            else:
                outputs.append(layer.output)
        suffix = "_pre" if pre_activation else ""
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


def check_batch_size(batch_size: int) -> None:
    """Raise ValueError unless ``batch_size`` is a positive integer."""
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")


def as_model_input(model, x: np.ndarray) -> np.ndarray:
    """``x`` checked against the model's input shape and cast to its input dtype (refuses raw uint8 pixels)."""
    x = np.asarray(x)
    check_input_shape(model, x)
    input_dtype = str(getattr(model.inputs[0], "dtype", "float32"))
    if "float" in input_dtype and not np.issubdtype(x.dtype, np.floating):
        raise ValueError(
            f"x has dtype {x.dtype}, but model {model.name!r} expects standardized float images "
            "(e.g. standardizer.apply(images_uint8))"
        )
    return x.astype(input_dtype, copy=False) if "float" in input_dtype else x


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
    names = list(dict.fromkeys(layer_names))
    check_batch_size(batch_size)
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
    activations = np.asarray(activations)
    labels = np.asarray(labels)
    if labels.ndim != 1 or activations.ndim < 1 or len(labels) != len(activations):
        raise ValueError(
            f"need activations (n, ...) and labels (n,), got shapes {activations.shape} and {labels.shape}"
        )
    if n_classes < 1:
        raise ValueError(f"n_classes must be >= 1, got {n_classes}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")
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


def similarity_matrix(patterns: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """Pairwise similarity of ``k`` patterns ``(k, ...)`` (each flattened): a symmetric ``(k, k)`` matrix.

    ``"cosine"``: cos of the angle between the patterns (1 = same direction; for non-negative ReLU
    patterns 0 = no active node in common). ``"correlation"``: Pearson correlation of the pattern values
    (cosine after subtracting each pattern's mean). A pattern with zero norm (cosine) or zero variance
    (correlation) has no direction: its row and column are NaN.
    """
    if metric not in VALID_METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid: {', '.join(VALID_METRICS)}")
    patterns = np.asarray(patterns, dtype=np.float64)
    if patterns.ndim < 2 or len(patterns) == 0:
        raise ValueError(f"need k >= 1 patterns of shape (k, ...) with ndim >= 2, got shape {patterns.shape}")
    flat = patterns.reshape(len(patterns), -1)
    if metric == "correlation":
        flat = flat - flat.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(flat, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = flat / np.where(norms > 0, norms, np.nan)[:, np.newaxis]
    similarity = np.clip(unit @ unit.T, -1.0, 1.0)
    return similarity


def firing_fraction(activations: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Per map: the fraction of images for which at least one node of the map exceeds ``threshold``.

    Args:
        activations: ``(n, h, w, maps)`` for conv layers or ``(n, units)`` for dense layers (channels last).

    Returns ``(maps,)`` in 0..1: 0 marks a map that is silent on all ``n`` images ("dead" on this data).
    """
    activations = np.asarray(activations)
    if activations.ndim < 2 or len(activations) == 0:
        raise ValueError(f"need activations (n, ..., maps) with n >= 1, got shape {activations.shape}")
    per_image = activations.reshape(len(activations), -1, activations.shape[-1]).max(axis=1)  # (n, maps)
    return np.mean(per_image > threshold, axis=0)
