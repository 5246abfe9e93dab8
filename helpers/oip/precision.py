"""Arithmetic precision: a bfloat16 copy of a model, and the choice ``precision="auto"`` makes on this machine."""

from __future__ import annotations

import weakref

import numpy as np

from helpers import checks, device, objectives
from helpers.oip.reading import layer_info, model_image_shape
from helpers.oip.settings import VALID_PRECISIONS, AscentSettings

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
        from helpers.oip.driver import run_oip
        from helpers.oip.starts import initial_images

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

