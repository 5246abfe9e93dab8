"""The objective reading: which outputs a forward pass returns and how each image's objective is read from them
(the mean of its own map, one node, a dense unit, or a weighted sum of terms of :mod:`helpers.objectives`), and
the evaluations of finished images."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from helpers import activations, checks, objectives

# Layer targets live in helpers.objectives; these names stay importable from helpers.oip.
LayerInfo = objectives.LayerInfo
layer_info = objectives.layer_info
check_targets = objectives.check_targets


def model_image_shape(model) -> tuple[int, int, int]:
    """(height, width, channels) of the model's input; fails for models without a fixed image size."""
    shape = checks.keras_model("model", model).input_shape
    if isinstance(shape, list) or len(shape) != 4 or None in shape[1:]:
        raise ValueError(f"OIPs need a single image input with a fixed size (n, h, w, c); model has {shape}")
    return tuple(int(s) for s in shape[1:])


@dataclass(frozen=True)
class _Plan:
    """What the compiled ascent reads (the structure of :class:`helpers.objectives.Compiled`, without arrays)."""

    simple: bool
    layer_name: str  # simple: the target layer
    node: tuple[int, int] | None
    pre_activation: bool  # simple: the term reads the value before the activation
    groups: tuple  # composite: GroupKey per weight array

    def outputs(self, use_pre: bool) -> tuple[tuple[str, bool], ...]:
        """(layer_name, pre_activation) of every tensor the objective reads from one forward pass."""
        wanted = [(self.layer_name, self.pre_activation or use_pre)] if self.simple else [
            (g.layer_name, g.pre_activation or use_pre) for g in self.groups]
        return tuple(dict.fromkeys(wanted))


def read(plan: _Plan, outputs: dict, targets, use_pre: bool):
    """Each image's objective (B,) from a forward pass's ``outputs`` ({(layer, pre_activation): tensor})."""
    import tensorflow as tf

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


def _plan(compiled) -> _Plan:
    return _Plan(compiled.simple, compiled.layer_name if compiled.simple else "", compiled.node,
                 compiled.pre_activation, compiled.groups)


def _targets(compiled) -> tuple[np.ndarray, ...]:
    return (compiled.indices,) if compiled.simple else compiled.weights


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
    from helpers.oip.engine import _engine

    engine = _engine(model, _plan(compiled), ())
    targets = _targets(compiled)
    out = [engine.objective[bool(pre_activation)](np.asarray(x[i : i + batch_size], np.float32),
                                                  *[t[i : i + batch_size] for t in targets]).numpy()
           for i in range(0, n, batch_size)]
    return np.concatenate(out) if out else np.zeros(0, np.float32)



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

