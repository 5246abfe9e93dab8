"""OIP objectives that add and scale: what the gradient ascent of :mod:`helpers.oip` maximizes.

An :class:`Objective` is a weighted sum of *terms*, each linear in one layer's output:

- :func:`map_objective` -- the mean of one map of a conv layer over its nodes (the series' OIP objective),
- :func:`node_objective` -- one node ``(row, col)`` of one map,
- :func:`unit_objective` -- one unit of a dense layer,
- :func:`class_logit` -- one class's value *before* the softmax (the logit),
- :func:`direction` -- a direction in a layer's map space: the dot product of the maps' means with a vector.

Objectives combine with ``+``, ``-`` and multiplication by a number, e.g.
``0.5 * map_objective("Conv2D_3", 5) + 0.5 * map_objective("Conv2D_3", 7)`` (an interpolation between two maps,
as in Olah et al. 2017, "Feature Visualization", Distill). :func:`compile_objectives` turns a list of objectives
(one per image) into the arrays that the compiled ascent reads.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from helpers import activations, checks

__all__ = [
    "LayerInfo", "layer_info", "check_targets", "Term", "Objective", "map_objective", "node_objective",
    "unit_objective", "class_logit", "direction", "GroupKey", "Compiled", "output_layer_name", "compile_objectives",
]

KINDS = ("map", "node", "unit", "direction")
MAX_WEIGHT = float(np.finfo(np.float32).max)
"""The largest magnitude of an objective's weight: the compiled ascent computes in float32."""


# ----------------------------------------------------------------------------------------- layer targets


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
    if not isinstance(info, LayerInfo):
        raise checks.WrongTypeError(f"info must be a LayerInfo (from layer_info), got {type(info).__name__}")
    if map_indices is None or isinstance(map_indices, (str, bytes)):
        raise checks.WrongTypeError(f"map_indices must be one index or a 1-D sequence of indices, got "
                                    f"{type(map_indices).__name__} {map_indices!r}")
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


# -------------------------------------------------------------------------------------------- objectives


@dataclass(frozen=True)
class Term:
    """One linear read-out of a layer: a map's mean, a node, a dense unit or a direction in map space.

    ``layer_name`` None stands for the model's last layer (used by :func:`class_logit`).
    """

    layer_name: str | None
    kind: str  # one of KINDS
    index: int | None = None  # map or unit index (None for a direction)
    node: tuple[int, int] | None = None
    vector: tuple[float, ...] | None = None  # direction only
    pre_activation: bool = False

    def describe(self) -> str:
        layer = self.layer_name or "output"
        if self.kind == "direction":
            return f"{layer} direction[{len(self.vector)}]"
        text = f"{layer}[{self.index}]" if self.node is None else f"{layer}[{self.index}]@{self.node}"
        return f"{text} (pre)" if self.pre_activation else text


def _check_weight(value, operation: str) -> float:
    if not checks.is_real(value):
        raise TypeError(f"an objective can only be {operation} a real number, got {type(value).__name__} {value!r}")
    return checks.real(f"the factor an objective is {operation}", value)


def _scaled(terms, factor: float, operation: str = "multiplied by") -> "Objective":
    """The objective ``factor * sum(terms)``; raises ValueError if a weight would leave the float32 range
    (``operation`` and the factor as the user wrote it name the cause)."""
    scaled = [(factor * w, t) for w, t in terms]
    too_large = [w for w, _ in scaled if not abs(w) <= MAX_WEIGHT]
    if too_large:
        raise ValueError(f"the objective's weight would become {too_large[0]:g}, beyond the float32 range "
                         f"(+-{MAX_WEIGHT:.3g}) in which the ascent computes; the factor (divisor) it is {operation} "
                         "is too extreme")
    return Objective(scaled)


class Objective:
    """A weighted sum of :class:`Term` s; supports ``+``, ``-``, ``*`` and ``/`` by numbers, and ``sum()``."""

    __slots__ = ("terms",)

    def __init__(self, terms: Sequence[tuple[float, Term]]):
        merged: dict[Term, float] = {}
        if isinstance(terms, (str, bytes)) or not isinstance(terms, (Sequence, tuple)):
            raise checks.WrongTypeError(f"terms must be a sequence of (weight, Term) pairs, got {type(terms).__name__}")
        for pair in terms:
            if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], Term)):
                raise checks.WrongTypeError(f"terms must be (weight, Term) pairs, got {pair!r}")
            weight, term = checks.real("an objective's weight", pair[0], -MAX_WEIGHT, MAX_WEIGHT), pair[1]
            merged[term] = merged.get(term, 0.0) + weight
            if not abs(merged[term]) <= MAX_WEIGHT:
                raise ValueError(f"the objective's weight of {term.describe()} would become {merged[term]:g}, beyond "
                                 f"the float32 range (+-{MAX_WEIGHT:.3g}) in which the ascent computes")
        # a term whose weights cancel is dropped, so that e.g. a + b - a == b
        self.terms: tuple[tuple[float, Term], ...] = tuple((w, t) for t, w in merged.items() if w != 0)

    def __add__(self, other):
        if isinstance(other, numbers.Real) and not isinstance(other, bool) and other == 0:  # sum() starts at 0
            return self
        if not isinstance(other, Objective):
            raise TypeError(f"an objective can only be added to an objective, got {type(other).__name__} {other!r}")
        return Objective(self.terms + other.terms)

    __radd__ = __add__

    def __mul__(self, factor):
        factor = _check_weight(factor, "multiplied by")
        return _scaled(self.terms, factor, f"multiplied by ({factor:g})")

    __rmul__ = __mul__

    def __truediv__(self, divisor):
        divisor = _check_weight(divisor, "divided by")
        if divisor == 0:
            raise ZeroDivisionError("an objective cannot be divided by 0")
        return _scaled(self.terms, 1.0 / divisor, f"divided by ({divisor:g})")

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        if not isinstance(other, Objective):
            raise TypeError(f"an objective can only be subtracted from an objective, got {type(other).__name__}")
        return self + (-other)

    def __eq__(self, other):
        return isinstance(other, Objective) and set(self.terms) == set(other.terms)

    def __hash__(self):
        return hash(frozenset(self.terms))

    def __repr__(self):
        parts = [t.describe() if w == 1 else f"{w:.3g}*{t.describe()}" for w, t in self.terms]
        return " + ".join(parts) or "0"

    @property
    def single_term(self) -> Term | None:
        """The term if the objective is exactly one term with weight 1 (the common OIP case), else None."""
        if len(self.terms) == 1 and self.terms[0][0] == 1.0:
            return self.terms[0][1]
        return None


def _name(layer_name) -> str:
    return checks.string("layer_name", layer_name)


def map_objective(layer_name: str, map_index: int) -> Objective:
    """The mean activation of map ``map_index`` of a conv layer (or unit ``map_index`` of a dense layer)."""
    return Objective([(1.0, Term(_name(layer_name), "map", checks.integer("map_index", map_index, 0)))])


def node_objective(layer_name: str, map_index: int, node: tuple[int, int]) -> Objective:
    """The activation of one node ``(row, col)`` of map ``map_index`` of a conv layer."""
    if isinstance(node, (str, bytes)) or np.ndim(node) != 1 or len(node) != 2:
        raise ValueError(f"node must be (row, col), got {node!r}")
    row, col = (checks.integer("node row", node[0], 0), checks.integer("node column", node[1], 0))
    return Objective([(1.0, Term(_name(layer_name), "node", checks.integer("map_index", map_index, 0), (row, col)))])


def unit_objective(layer_name: str, unit: int, pre_activation: bool = False) -> Objective:
    """The activation of one unit of a dense layer (``pre_activation``: its value before the activation)."""
    return Objective([(1.0, Term(_name(layer_name), "unit", checks.integer("unit", unit, 0),
                                 pre_activation=checks.flag("pre_activation", pre_activation)))])


def class_logit(class_index: int, layer_name: str | None = None) -> Objective:
    """The logit of ``class_index``: the output layer's value before its softmax (``layer_name`` None: the model's
    last layer with a built-in activation, or the layer feeding a final Softmax layer)."""
    return Objective([(1.0, Term(None if layer_name is None else _name(layer_name), "unit",
                                 checks.integer("class_index", class_index, 0), pre_activation=True))])


def direction(layer_name: str, vector: Sequence[float]) -> Objective:
    """The dot product of the layer's map means (conv) or units (dense) with ``vector`` (one weight per map)."""
    values = checks.finite_array("vector", vector, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"vector must be a non-empty 1-D sequence (one weight per map), got shape {values.shape}")
    if not np.abs(values).max() <= MAX_WEIGHT:
        raise ValueError(f"vector holds weights beyond the float32 range (+-{MAX_WEIGHT:.3g})")
    return Objective([(1.0, Term(_name(layer_name), "direction", vector=tuple(float(v) for v in values)))])


# ------------------------------------------------------------------------------------------- compilation


@dataclass(frozen=True)
class GroupKey:
    """One tensor that the ascent reads: a layer's output (``pre_activation``: before its activation), read as
    map means (``spatial`` "mean": weights (B, maps)) or node by node (``spatial`` "full": weights (B, h, w, maps))."""

    layer_name: str
    pre_activation: bool
    spatial: str


@dataclass(frozen=True)
class Compiled:
    """Objectives turned into arrays, one row per image.

    Either ``simple`` (every objective is one weight-1 term of the same layer, kind and node: the ascent gathers
    each image's map by ``indices``) or a list of ``groups`` with ``weights`` ``(B, maps)`` or ``(B, h, w, maps)``.
    """

    simple: bool
    layer_name: str  # the simple path's layer, or the layers of all terms joined by "+"
    indices: np.ndarray  # (B,) int32 map/unit index per image (simple), -1 for composite objectives
    node: tuple[int, int] | None
    pre_activation: bool
    groups: tuple[GroupKey, ...]
    weights: tuple[np.ndarray, ...]


def output_layer_name(model) -> str:
    """The layer whose pre-activation values are the model's logits: the last layer with a built-in activation,
    or the one before a final Softmax/Activation layer."""
    import keras

    layers = [layer for layer in checks.keras_model("model", model).layers
              if not isinstance(layer, keras.layers.InputLayer)]
    last = layers[-1]
    if isinstance(last, (keras.layers.Softmax, keras.layers.Activation)) and len(layers) > 1:
        return layers[-2].name
    return last.name


def _resolve(model, term: Term, infos: dict) -> tuple[Term, LayerInfo]:
    name = term.layer_name if term.layer_name is not None else output_layer_name(model)
    if name not in infos:
        infos[name] = layer_info(model, name)
    info = infos[name]
    if term.kind == "direction":
        if len(term.vector) != info.n_maps:
            raise ValueError(f"a direction in layer {name!r} needs {info.n_maps} weights (one per "
                             f"{'map' if info.grid else 'unit'}), got {len(term.vector)}")
    else:
        check_targets(info, [term.index], term.node)  # also refuses a node on a dense layer
        if term.kind == "unit" and info.grid:
            raise ValueError(f"layer {name!r} has maps, not units; use map_objective or node_objective")
    return (term if term.layer_name == name else Term(name, term.kind, term.index, term.node, term.vector,
                                                       term.pre_activation)), info


def compile_objectives(model, objectives: Sequence[Objective]) -> Compiled:
    """Check ``objectives`` (one per image) against ``model`` and turn them into the ascent's arrays.

    Raises ValueError for unknown layers (listing the valid ones), indices or nodes out of range, a direction of
    the wrong length, or an empty objective; TypeError for anything that is not an :class:`Objective`.
    """
    checks.keras_model("model", model)
    if isinstance(objectives, Objective):
        raise checks.WrongTypeError("objectives must be a list of Objectives, one per image; got a single Objective "
                                    f"({objectives!r}): wrap it in a list, [objective]")
    if isinstance(objectives, (str, bytes)) or not hasattr(objectives, "__iter__"):
        raise checks.WrongTypeError(f"objectives must be a list of Objectives, one per image; got "
                                    f"{type(objectives).__name__} {objectives!r}")
    objectives = list(objectives)
    if not objectives:
        raise ValueError("no objectives; give one Objective per image")
    for i, objective in enumerate(objectives):
        if not isinstance(objective, Objective):
            raise TypeError(f"objective {i} is a {type(objective).__name__}, not an Objective (build one with "
                            "map_objective, node_objective, unit_objective, class_logit or direction)")
        if not objective.terms or all(w == 0 for w, _ in objective.terms):
            raise ValueError(f"objective {i} is zero: it has no term with a non-zero weight")
    infos: dict[str, LayerInfo] = {}
    resolved = [[(w, *_resolve(model, t, infos)) for w, t in objective.terms] for objective in objectives]
    singles = [r[0][1] if len(r) == 1 and r[0][0] == 1.0 and r[0][1].kind != "direction" else None
               for r in resolved]
    if all(singles) and len({(t.layer_name, t.node, t.pre_activation) for t in singles}) == 1:
        first = singles[0]
        return Compiled(True, first.layer_name, np.array([t.index for t in singles], np.int32), first.node,
                        first.pre_activation, (), ())
    keys: dict[GroupKey, np.ndarray] = {}
    n = len(objectives)
    for i, terms in enumerate(resolved):
        for weight, term, info in terms:
            spatial = "full" if term.kind == "node" else "mean"
            key = GroupKey(term.layer_name, term.pre_activation, spatial)
            if key not in keys:
                shape = (n, *info.grid, info.n_maps) if spatial == "full" else (n, info.n_maps)
                keys[key] = np.zeros(shape, np.float32)
            if term.kind == "direction":
                keys[key][i] += weight * np.asarray(term.vector, np.float32)
            elif term.kind == "node":
                keys[key][i, term.node[0], term.node[1], term.index] += weight
            else:
                keys[key][i, term.index] += weight
    names = sorted({k.layer_name for k in keys})
    return Compiled(False, "+".join(names), np.full(n, -1, np.int32), None, False, tuple(keys), tuple(keys.values()))
