"""The engine: one compiled ascent step composed of the tricks that are switched on.

A trick is a small frozen object with a ``stage`` (where in the step it acts) and one method for it:

======== ============================================ ===============================================
stage    method                                       tricks
======== ============================================ ===============================================
view     ``apply(x, rng)``: the image the model sees  :class:`~helpers.oip.transforms.RandomTransform`
penalty  ``penalty(x)``: (B,) subtracted              TV, L1, L2 (:mod:`helpers.oip.penalties`)
outputs  ``penalty(outputs, group)``: scalar          :class:`~helpers.oip.diversity.Diversity`
gradient ``apply(grad)``                              :class:`~helpers.oip.parameterization.FourierBasis`
scale    ``apply(grad)`` (after coarse-to-fine)       :class:`RMSNormalize`
image    ``apply(x, step)`` after the update          Blur / FourierDamping, :class:`Restandardize`
======== ============================================ ===============================================

:func:`tricks_for` turns :class:`~helpers.oip.AscentSettings` into the tuple of tricks that are on; a trick that
is off is not in the tuple and nothing of it is compiled. Compiled engines are cached per model under
``(plan, tricks)``: the tricks themselves are the key, so no list of "settings that shape the step" has to be kept.
The coarse-to-fine schedule and the pre-activation warm-up are phases of the run (one compiled block per phase),
their values inputs of the block.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import ClassVar

from helpers import activations
from helpers.oip.damping import _frequency2, damping_trick, low_pass
from helpers.oip.diversity import Diversity
from helpers.oip.parameterization import parameterization_trick
from helpers.oip.penalties import penalty_tricks
from helpers.oip.reading import _Plan, model_image_shape, read
from helpers.oip.transforms import transform_trick

STAGES = ("view", "penalty", "outputs", "gradient", "scale", "image")


@dataclass(frozen=True)
class RMSNormalize:
    """Divide each image's gradient by its root-mean-square (``epsilon`` is then the step in standardized units)."""

    stage: ClassVar[str] = "scale"

    def apply(self, grad):
        import tensorflow as tf

        rms = tf.sqrt(tf.reduce_mean(tf.square(grad), axis=[1, 2, 3], keepdims=True))
        return tf.math.divide_no_nan(grad, rms)


@dataclass(frozen=True)
class Restandardize:
    """Shift and scale each image to mean 0 and standard deviation 1 after every step."""

    stage: ClassVar[str] = "image"

    def apply(self, x, step):
        import tensorflow as tf

        mean, variance = tf.nn.moments(x, axes=[1, 2, 3], keepdims=True)
        return tf.math.divide_no_nan(x - mean, tf.sqrt(variance))


def tricks_for(settings, image_shape: tuple[int, int, int], diversity_layer: str | None = None,
               diversity_pairs: bool = False) -> tuple:
    """The tricks of ``settings`` (an :class:`~helpers.oip.AscentSettings`) that are on, in step order."""
    tricks = (
        transform_trick(settings, image_shape),
        *penalty_tricks(settings),
        Diversity(settings.diversity_weight, diversity_layer, diversity_pairs) if diversity_layer else None,
        parameterization_trick(settings, image_shape),
        RMSNormalize() if settings.normalize_gradient else None,
        damping_trick(settings, image_shape),
        Restandardize() if settings.restandardize else None,
    )
    return tuple(trick for trick in tricks if trick is not None)


def _output_keys(plan: _Plan, tricks: tuple, use_pre: bool) -> tuple[tuple[str, bool], ...]:
    """(layer_name, pre_activation) of every tensor one forward pass returns: the objective's, then the tricks'."""
    needs = [key for trick in tricks if trick.stage == "outputs" for key in trick.needs]
    return tuple(dict.fromkeys(plan.outputs(use_pre) + tuple(needs)))


class _Bound:
    """``function(*args, extra)``: a fresh callable object per use, so that each ``tf.function`` has its own."""

    def __init__(self, function, extra):
        self.function, self.extra = function, extra

    def __call__(self, *args):
        return self.function(*args, self.extra)


class _Ascent:
    """Compiled objective and ascent for one (model, plan, tricks) combination.

    ``block`` runs several ascent steps inside one compiled call (a ``tf.while_loop``) and returns the
    objective before each step, so that Python is involved only once per block.
    """

    def __init__(self, model, plan: _Plan, tricks: tuple, image_shape: tuple[int, int, int]):
        import tensorflow as tf

        self.plan, self.tricks, self.image_shape = plan, tricks, image_shape
        self.stages = {stage: tuple(t for t in tricks if t.stage == stage) for stage in STAGES}
        self.keys = {use_pre: _output_keys(plan, tricks, use_pre) for use_pre in (False, True)}
        self.models = {use_pre: activations.activation_model(model, [k[0] for k in keys], [k[1] for k in keys])
                       for use_pre, keys in self.keys.items()}
        self.cast = any("float32" != str(layer.compute_dtype) for layer in model.layers[1:])
        height, width, channels = image_shape
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

    def _objective(self, x, *targets_and_phase):
        *targets, use_pre = targets_and_phase
        return read(self.plan, self._forward(x, use_pre), targets, use_pre)

    def _step(self, x, targets, group, epsilon, step, use_pre: bool, grad_cutoff, rng_base):
        """One ascent step (``step`` counts from 1); returns the new images and the objective before the step."""
        import tensorflow as tf

        stages = self.stages
        with tf.GradientTape() as tape:
            tape.watch(x)
            seen = x
            for trick in stages["view"]:
                seen = trick.apply(seen, tf.stack([rng_base, step]))
            outputs = self._forward(seen, use_pre)
            loss = read(self.plan, outputs, targets, use_pre)
            total = tf.reduce_sum(loss)  # images are independent: d total / d x_i = d loss_i / d x_i
            if stages["penalty"]:
                penalty = 0.0
                for trick in stages["penalty"]:
                    penalty += trick.penalty(x)
                total -= tf.reduce_sum(penalty)
            for trick in stages["outputs"]:
                total -= trick.penalty(outputs, group)
        grad = tape.gradient(total, x)
        for trick in stages["gradient"]:
            grad = trick.apply(grad)
        if grad_cutoff is not None:
            grad = low_pass(grad, grad_cutoff, self.frequency2)
        if use_pre:  # report the real (post-activation) objective during the warm-up
            loss = read(self.plan, self._forward(x, False), targets, False)
        for trick in stages["scale"]:
            grad = trick.apply(grad)
        x = x + epsilon * grad
        for trick in stages["image"]:
            x = trick.apply(x, step)
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
"""model -> {(plan, tricks): engine}; entries vanish with their model (engines hold sub-models, not the model)."""


def _engine(model, plan: _Plan, tricks: tuple) -> _Ascent:
    """A cached :class:`_Ascent` (rebuilt if the model's cached sub-model changed)."""
    key = (plan, tricks)
    per_model = _ENGINES.setdefault(model, {})
    engine = per_model.get(key)
    keys = _output_keys(plan, tricks, False)
    current = activations.activation_model(model, [k[0] for k in keys], [k[1] for k in keys])
    if engine is None or engine.models[False] is not current:
        engine = per_model[key] = _Ascent(model, plan, tricks, model_image_shape(model))
    return engine
