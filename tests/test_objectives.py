"""helpers.objectives: arithmetic of objectives, their checks, compilation to weight arrays, and their values
(through helpers.oip.evaluate, compared with activations computed independently)."""

import keras
import numpy as np
import pytest

from helpers import activations as A
from helpers import objectives as O
from helpers import oip


def _model(final_softmax_layer: bool = False, seed: int = 0) -> keras.Model:
    """Conv 'conv_a' (4 maps) -> pool -> Conv 'conv_b' (3 maps of 3x3) -> Flatten 'flat' -> Dense 'hidden' (5, ReLU)
    -> Dense 'out' (3 classes, built-in softmax); or, with ``final_softmax_layer``, Dense 'logits' (linear) and a
    separate Softmax layer 'probabilities'."""
    init = keras.initializers.GlorotUniform
    inputs = keras.Input((12, 12, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv_a", kernel_initializer=init(seed))(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Conv2D(3, 3, activation="relu", name="conv_b", kernel_initializer=init(seed + 1),
                            bias_initializer=keras.initializers.Constant(0.05))(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(5, activation="relu", name="hidden", kernel_initializer=init(seed + 2),
                           bias_initializer=keras.initializers.Constant(-0.1))(x)
    if final_softmax_layer:
        x = keras.layers.Dense(3, name="logits", kernel_initializer=init(seed + 3))(x)
        outputs = keras.layers.Softmax(name="probabilities")(x)
    else:
        outputs = keras.layers.Dense(3, activation="softmax", name="out", kernel_initializer=init(seed + 3),
                                     bias_initializer=keras.initializers.Constant(0.2))(x)
    return keras.Model(inputs, outputs, name="objectives_toy")


@pytest.fixture(scope="module")
def model():
    return _model()


@pytest.fixture(scope="module")
def x():
    return oip.initial_images(6, (12, 12, 1), seed=4)


def _weights(objective) -> dict:
    """{term: weight} of an objective (the order of its terms does not matter)."""
    return {term: weight for weight, term in objective.terms}


# ------------------------------------------------------------------------------------------------ arithmetic

a = O.map_objective("conv_b", 0)
b = O.map_objective("conv_b", 1)
TA, TB = O.Term("conv_b", "map", 0), O.Term("conv_b", "map", 1)


def test_the_building_blocks_hold_one_term_of_weight_one():
    assert a.terms == ((1.0, TA),) and a.single_term == TA
    assert O.node_objective("conv_b", 2, (1, 0)).single_term == O.Term("conv_b", "node", 2, (1, 0))
    assert O.unit_objective("hidden", 4).single_term == O.Term("hidden", "unit", 4)
    assert O.unit_objective("hidden", 4, pre_activation=True).single_term == O.Term("hidden", "unit", 4,
                                                                                    pre_activation=True)
    assert O.class_logit(2).single_term == O.Term(None, "unit", 2, pre_activation=True)  # None: the output layer
    assert O.class_logit(2, "hidden").single_term == O.Term("hidden", "unit", 2, pre_activation=True)
    assert O.direction("conv_b", [1, -2, 0.5]).single_term == O.Term("conv_b", "direction",
                                                                     vector=(1.0, -2.0, 0.5))
    # numpy integers are integers; the direction's vector is stored as plain floats
    assert O.map_objective("conv_b", np.int64(1)) == b
    assert all(type(v) is float for v in O.direction("conv_b", np.array([1, 2], np.float32)).single_term.vector)


def test_add_scale_negate_subtract_divide():
    assert _weights(a + b) == {TA: 1.0, TB: 1.0}
    assert _weights(2 * a) == _weights(a * 2) == _weights(a * np.float32(2)) == _weights(np.int64(2) * a) == {TA: 2.0}
    assert _weights(a / 4) == {TA: 0.25}
    assert _weights(-a) == {TA: -1.0}
    assert _weights(a - b) == {TA: 1.0, TB: -1.0}
    assert _weights(0.5 * a + 0.5 * b) == {TA: 0.5, TB: 0.5}
    assert _weights(3 * (a - 2 * b)) == {TA: 3.0, TB: -6.0}
    # equal terms merge; the order of the terms does not matter for equality and hashing
    assert _weights(a + a) == {TA: 2.0} and len((a + a).terms) == 1
    # terms whose weights cancel vanish: the objective equals (and compiles like) what is left
    assert _weights(a + b - a) == {TB: 1.0} and a + b - a == b and (a + b - a).single_term == TB
    assert (a - a).terms == () and (0 * a).terms == () and repr(a - a) == "0" and _weights(0 * a + b) == {TB: 1.0}
    assert a + b == b + a and hash(a + b) == hash(b + a)
    assert a + b != a + 2 * b and a != b and a != "conv_b[0]"
    # sum() starts at 0
    assert _weights(sum([a, b, a])) == {TA: 2.0, TB: 1.0}
    assert sum([a]) is a
    # the result is a new objective: the operands are unchanged
    assert a.terms == ((1.0, TA),)
    # only a single weight-1 term counts as a single term
    assert (2 * a).single_term is None and (a + b).single_term is None and (0.5 * a + 0.5 * a).single_term == TA
    assert repr(a + 2 * b) == "conv_b[0] + 2*conv_b[1]"
    assert repr(O.node_objective("conv_b", 1, (0, 2))) == "conv_b[1]@(0, 2)"
    assert repr(O.class_logit(1)) == "output[1] (pre)"


@pytest.mark.parametrize("operation, error, message", [
    (lambda: a + 1, TypeError, r"an objective can only be added to an objective, got int 1"),
    (lambda: 1 + a, TypeError, r"added to an objective, got int 1"),
    (lambda: a + True, TypeError, r"added to an objective, got bool True"),
    (lambda: a + False, TypeError, r"added to an objective, got bool False"),  # not the 0 that sum() starts at
    (lambda: a + "conv_b[1]", TypeError, r"added to an objective, got str"),
    (lambda: a - 1, TypeError, r"can only be subtracted from an objective, got int"),
    (lambda: 1 - a, TypeError, r"unsupported operand"),
    (lambda: a * b, TypeError, r"can only be multiplied by a real number, got Objective"),
    (lambda: a * "2", TypeError, r"multiplied by a real number, got str '2'"),
    (lambda: a * True, TypeError, r"multiplied by a real number, got bool True"),
    (lambda: np.bool_(True) * a, TypeError, r"multiplied by a real number, got bool"),
    (lambda: a * (1 + 2j), TypeError, r"multiplied by a real number, got complex"),
    (lambda: a * [2], TypeError, r"multiplied by a real number, got list"),
    (lambda: a / "2", TypeError, r"divided by a real number, got str"),
    (lambda: a * float("nan"), ValueError, r"the factor an objective is multiplied by must be a finite number, got nan"),
    (lambda: a * float("inf"), ValueError, r"multiplied by must be a finite number, got inf"),
    (lambda: -np.inf * a, ValueError, r"multiplied by must be a finite number, got -inf"),
    (lambda: a / float("nan"), ValueError, r"divided by must be a finite number, got nan"),
    (lambda: a / 0, ZeroDivisionError, r"an objective cannot be divided by 0"),
    (lambda: a / 0.0, ZeroDivisionError, r"divided by 0"),
    (lambda: a / np.float32(0), ZeroDivisionError, r"divided by 0"),
])
def test_arithmetic_errors(operation, error, message):
    with pytest.raises(error, match=message):
        operation()


def test_building_blocks_check_their_arguments():
    with pytest.raises(ValueError, match=r"map_index must be an integer >= 0, got -1"):
        O.map_objective("conv_b", -1)
    with pytest.raises(ValueError, match=r"map_index must be an integer >= 0, got 1\.0"):
        O.map_objective("conv_b", 1.0)  # floats are not truncated
    with pytest.raises(ValueError, match=r"map_index must be an integer >= 0, got True"):
        O.map_objective("conv_b", True)
    with pytest.raises(TypeError, match=r"layer_name must be a string, got int 3"):
        O.map_objective(3, 0)
    with pytest.raises(ValueError, match=r"node must be \(row, col\), got \(1,\)"):
        O.node_objective("conv_b", 0, (1,))
    with pytest.raises(ValueError, match=r"node row must be an integer >= 0, got -1"):
        O.node_objective("conv_b", 0, (-1, 0))
    with pytest.raises(ValueError, match=r"node column must be an integer >= 0, got 0\.5"):
        O.node_objective("conv_b", 0, (0, 0.5))
    with pytest.raises(ValueError, match=r"unit must be an integer >= 0, got -2"):
        O.unit_objective("hidden", -2)
    with pytest.raises(ValueError, match=r"class_index must be an integer >= 0, got 1\.5"):
        O.class_logit(1.5)
    with pytest.raises(TypeError, match=r"layer_name must be a string"):
        O.class_logit(1, layer_name=0)
    with pytest.raises(ValueError, match=r"vector must be a non-empty 1-D sequence .*got shape \(0,\)"):
        O.direction("conv_b", [])
    with pytest.raises(ValueError, match=r"vector must be a non-empty 1-D sequence .*got shape \(1, 3\)"):
        O.direction("conv_b", [[1, 2, 3]])
    with pytest.raises(ValueError, match=r"vector holds 1 NaN and 1 infinite value\(s\), the first at index \(1,\)"):
        O.direction("conv_b", [1, np.nan, np.inf])


# ------------------------------------------------------------------------------------------------ compilation


def test_one_term_objectives_of_one_layer_compile_to_the_simple_path(model):
    compiled = O.compile_objectives(model, [O.map_objective("conv_b", 2), a, O.map_objective("conv_b", 2)])
    assert compiled.simple and compiled.layer_name == "conv_b" and compiled.node is None
    assert not compiled.pre_activation and compiled.groups == () and compiled.weights == ()
    assert compiled.indices.dtype == np.int32 and compiled.indices.tolist() == [2, 0, 2]
    nodes = O.compile_objectives(model, [O.node_objective("conv_b", 1, (0, 2)), O.node_objective("conv_b", 2, (0, 2))])
    assert nodes.simple and nodes.node == (0, 2) and nodes.indices.tolist() == [1, 2]
    units = O.compile_objectives(model, [O.unit_objective("hidden", 4), O.unit_objective("hidden", 0)])
    assert units.simple and units.layer_name == "hidden" and units.indices.tolist() == [4, 0]
    logits = O.compile_objectives(model, [O.class_logit(1), O.class_logit(0)])
    assert logits.simple and logits.layer_name == "out" and logits.pre_activation  # resolved to the output layer
    assert logits.indices.tolist() == [1, 0]
    # what is left after terms cancel compiles like the term itself
    assert O.compile_objectives(model, [a + b - a, 0 * a + a]).simple
    # a map objective of a dense layer is its unit
    assert O.compile_objectives(model, [O.map_objective("hidden", 3)]).indices.tolist() == [3]


def test_composite_objectives_compile_to_exact_weight_arrays(model):
    compiled = O.compile_objectives(model, [0.5 * a + 0.5 * b, O.map_objective("conv_b", 2), a - 2 * b])
    assert not compiled.simple and compiled.layer_name == "conv_b" and compiled.node is None
    assert compiled.indices.tolist() == [-1, -1, -1]
    assert compiled.groups == (O.GroupKey("conv_b", False, "mean"),)
    (weights,) = compiled.weights
    assert weights.dtype == np.float32
    np.testing.assert_array_equal(weights, [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [1.0, -2.0, 0.0]])

    # a map mean, a node and a direction of one layer, and units of another: one array per tensor read
    mixed = O.compile_objectives(model, [
        O.map_objective("conv_a", 3) + 2 * O.unit_objective("hidden", 1),
        O.node_objective("conv_b", 1, (2, 0)) - O.direction("conv_b", [1.0, -1.0, 0.5]),
        O.unit_objective("hidden", 4, pre_activation=True) + O.unit_objective("hidden", 4),
    ])
    assert not mixed.simple and mixed.layer_name == "conv_a+conv_b+hidden"
    arrays = dict(zip(mixed.groups, mixed.weights))
    assert set(arrays) == {O.GroupKey("conv_a", False, "mean"), O.GroupKey("hidden", False, "mean"),
                           O.GroupKey("conv_b", False, "full"), O.GroupKey("conv_b", False, "mean"),
                           O.GroupKey("hidden", True, "mean")}
    conv_a = np.zeros((3, 4), np.float32)
    conv_a[0, 3] = 1
    np.testing.assert_array_equal(arrays[O.GroupKey("conv_a", False, "mean")], conv_a)  # (B, maps) one-hot
    hidden = np.zeros((3, 5), np.float32)
    hidden[0, 1], hidden[2, 4] = 2, 1
    np.testing.assert_array_equal(arrays[O.GroupKey("hidden", False, "mean")], hidden)
    hidden_pre = np.zeros((3, 5), np.float32)
    hidden_pre[2, 4] = 1
    np.testing.assert_array_equal(arrays[O.GroupKey("hidden", True, "mean")], hidden_pre)
    node = np.zeros((3, 3, 3, 3), np.float32)  # (B, h, w, maps): one node of one map
    node[1, 2, 0, 1] = 1
    np.testing.assert_array_equal(arrays[O.GroupKey("conv_b", False, "full")], node)
    direction = np.zeros((3, 3), np.float32)
    direction[1] = [-1.0, 1.0, -0.5]  # the vector, times the objective's weight -1
    np.testing.assert_array_equal(arrays[O.GroupKey("conv_b", False, "mean")], direction)

    # a lone direction, a lone weighted term, and one-term objectives of different layers or nodes are composite
    lone = O.compile_objectives(model, [O.direction("conv_b", [0.0, 2.0, 1.0])])
    assert not lone.simple and lone.indices.tolist() == [-1]
    np.testing.assert_array_equal(lone.weights[0], [[0.0, 2.0, 1.0]])
    assert not O.compile_objectives(model, [2 * a]).simple
    two_layers = O.compile_objectives(model, [a, O.map_objective("conv_a", 1)])
    assert not two_layers.simple and two_layers.layer_name == "conv_a+conv_b"
    two_nodes = O.compile_objectives(model, [O.node_objective("conv_b", 0, (0, 0)),
                                             O.node_objective("conv_b", 0, (1, 1))])
    assert not two_nodes.simple
    expected = np.zeros((2, 3, 3, 3), np.float32)
    expected[0, 0, 0, 0] = expected[1, 1, 1, 0] = 1
    np.testing.assert_array_equal(two_nodes.weights[0], expected)
    pre_and_post = O.compile_objectives(model, [O.unit_objective("hidden", 1), O.class_logit(1, "hidden")])
    assert not pre_and_post.simple and len(pre_and_post.groups) == 2


def test_compile_errors_name_what_is_valid(model):
    compile_ = O.compile_objectives
    with pytest.raises(ValueError, match=r"has no layer 'nope'; valid names: .*conv_a.*conv_b.*hidden.*out"):
        compile_(model, [O.map_objective("nope", 0)])
    with pytest.raises(ValueError, match=r"layer 'flat' has output shape \(27,\) but is neither a dense layer .*"
                                         r"valid layers: conv_a, pool, conv_b, hidden, out"):
        compile_(model, [O.map_objective("flat", 0)])
    with pytest.raises(ValueError, match=r"map_index 3 is out of range for layer 'conv_b' with 3 maps: valid 0\.\.2"):
        compile_(model, [a, O.map_objective("conv_b", 3)])
    with pytest.raises(ValueError, match=r"map_index 5 is out of range for layer 'hidden' with 5 units: valid 0\.\.4"):
        compile_(model, [O.unit_objective("hidden", 5)])
    with pytest.raises(ValueError, match=r"out of range for layer 'out' with 3 units: valid 0\.\.2"):
        compile_(model, [O.class_logit(3)])
    with pytest.raises(ValueError, match=r"node \(3, 0\) is outside the 3x3 maps of layer 'conv_b'"):
        compile_(model, [O.node_objective("conv_b", 0, (3, 0))])
    with pytest.raises(ValueError, match=r"a direction in layer 'conv_b' needs 3 weights \(one per map\), got 2"):
        compile_(model, [O.direction("conv_b", [1.0, 2.0])])
    with pytest.raises(ValueError, match=r"a direction in layer 'hidden' needs 5 weights \(one per unit\), got 4"):
        compile_(model, [a + O.direction("hidden", [1.0, 2.0, 3.0, 4.0])])  # also inside a sum
    with pytest.raises(ValueError, match=r"layer 'hidden' is dense: it has no nodes"):
        compile_(model, [O.node_objective("hidden", 0, (0, 0))])
    with pytest.raises(ValueError, match=r"layer 'conv_b' has maps, not units; use map_objective or node_objective"):
        compile_(model, [O.unit_objective("conv_b", 0)])
    with pytest.raises(TypeError, match=r"objective 1 is a str, not an Objective \(build one with map_objective"):
        compile_(model, [a, "conv_b[1]"])
    with pytest.raises(TypeError, match=r"objective 0 is a Term, not an Objective"):
        compile_(model, [TA])
    with pytest.raises(ValueError, match=r"no objectives; give one Objective per image"):
        compile_(model, [])
    with pytest.raises(ValueError, match=r"objective 1 is zero: it has no term with a non-zero weight"):
        compile_(model, [a, a - a])
    with pytest.raises(ValueError, match=r"objective 0 is zero"):
        compile_(model, [0 * a + 0.0 * b])
    # evaluate and ascend check the same way
    with pytest.raises(ValueError, match=r"has no layer 'nope'"):
        oip.evaluate(model, [O.map_objective("nope", 0)], np.zeros((1, 12, 12, 1), np.float32))
    with pytest.raises(ValueError, match=r"got 2 objectives \(map indices\) for 1 images"):
        oip.evaluate(model, [a, b], np.zeros((1, 12, 12, 1), np.float32))


# --------------------------------------------------------------------------------------------------- values


def _dense_pre_activation(model, layer_name: str, x: np.ndarray) -> np.ndarray:
    """The layer's kernel product plus bias, computed by hand from its input (no helpers involved)."""
    layer = model.get_layer(layer_name)
    inputs = keras.Model(model.input, layer.input)(x, training=False)
    kernel, bias = layer.get_weights()
    return np.asarray(inputs, np.float64) @ kernel + bias


def test_class_logit_is_the_output_layers_value_before_the_softmax(model, x):
    logits = _dense_pre_activation(model, "out", x)  # (6, 3)
    classes = [0, 1, 2, 2, 1, 0]
    values = oip.evaluate(model, [O.class_logit(c) for c in classes], x)
    np.testing.assert_allclose(values, logits[np.arange(6), classes], rtol=1e-5, atol=1e-6)
    probabilities = model.predict(x, verbose=0)
    assert np.all(np.abs(values - probabilities[np.arange(6), classes]) > 1e-3)  # not the softmax output
    # a difference of logits: softmax-independent evidence for class 2 over class 0
    np.testing.assert_allclose(oip.evaluate(model, [O.class_logit(2) - O.class_logit(0)] * 6, x),
                               logits[:, 2] - logits[:, 0], rtol=1e-5, atol=1e-6)
    # a hidden layer's unit before its ReLU can be negative; after it, it is clipped
    pre = _dense_pre_activation(model, "hidden", x)
    assert (pre[:, 1] < 0).any()
    np.testing.assert_allclose(oip.evaluate(model, [O.class_logit(1, "hidden")] * 6, x), pre[:, 1], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(oip.evaluate(model, [O.unit_objective("hidden", 1)] * 6, x), np.maximum(pre[:, 1], 0),
                               rtol=1e-5, atol=1e-6)


def test_class_logit_of_a_model_with_a_separate_softmax_layer(x):
    separate = _model(final_softmax_layer=True)
    assert O.output_layer_name(separate) == "logits"
    logits = _dense_pre_activation(separate, "logits", x)
    np.testing.assert_allclose(oip.evaluate(separate, [O.class_logit(2)] * 6, x), logits[:, 2], rtol=1e-5, atol=1e-6)


def test_direction_is_the_dot_product_of_the_map_means(model, x):
    maps = A.extract(model, x, "conv_b").astype(np.float64)  # (6, 3, 3, 3)
    means = maps.mean(axis=(1, 2))
    assert np.all(means.std(axis=0) > 0)  # the maps vary across the images: the test can tell them apart
    vector = np.array([0.7, -1.3, 2.0])
    np.testing.assert_allclose(oip.evaluate(model, [O.direction("conv_b", vector)] * 6, x), means @ vector,
                               rtol=1e-5, atol=1e-6)
    # a one-hot direction is the map's mean
    np.testing.assert_allclose(oip.evaluate(model, [O.direction("conv_b", [0, 1, 0])] * 6, x), means[:, 1],
                               rtol=1e-5, atol=1e-6)
    # a direction in a dense layer is the dot product with its units
    hidden = A.extract(model, x, "hidden").astype(np.float64)
    w = np.array([1.0, -0.5, 0.0, 2.0, 0.25])
    np.testing.assert_allclose(oip.evaluate(model, [O.direction("hidden", w)] * 6, x), hidden @ w, rtol=1e-5,
                               atol=1e-6)


def test_sums_evaluate_to_the_sums_of_their_terms(model, x):
    maps = A.extract(model, x, "conv_b").astype(np.float64)
    first = A.extract(model, x, "conv_a").astype(np.float64)
    value_a, value_b = maps[..., 0].mean(axis=(1, 2)), maps[..., 1].mean(axis=(1, 2))
    np.testing.assert_allclose(oip.evaluate(model, [a] * 6, x), value_a, rtol=1e-5, atol=1e-6)
    # 0.5 a + 0.5 b is the mean of a and b: an interpolation between two maps
    halfway = oip.evaluate(model, [0.5 * a + 0.5 * b] * 6, x)
    np.testing.assert_allclose(halfway, (value_a + value_b) / 2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(halfway, (oip.evaluate(model, [a] * 6, x) + oip.evaluate(model, [b] * 6, x)) / 2,
                               rtol=1e-5, atol=1e-6)
    # every image has its own objective; terms of several layers, nodes and weights add up
    mixed = [a, b, a - b, 0.5 * a + 0.5 * b, O.node_objective("conv_b", 2, (1, 2)) / 2,
             O.map_objective("conv_a", 3) - 3 * O.node_objective("conv_b", 0, (0, 1))]
    expected = [value_a[0], value_b[1], value_a[2] - value_b[2], (value_a[3] + value_b[3]) / 2, maps[4, 1, 2, 2] / 2,
                first[5, ..., 3].mean() - 3 * maps[5, 0, 1, 0]]
    np.testing.assert_allclose(oip.evaluate(model, mixed, x), expected, rtol=1e-5, atol=1e-6)
    # the batch size does not change the values
    np.testing.assert_allclose(oip.evaluate(model, mixed, x, batch_size=4), expected, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------ layers and targets


def test_layer_info_reads_the_maps_and_the_node_grid(model):
    assert O.layer_info(model, "conv_a") == O.LayerInfo("conv_a", 4, (10, 10))
    assert O.layer_info(model, "pool") == O.LayerInfo("pool", 4, (5, 5))
    assert O.layer_info(model, "conv_b") == O.LayerInfo("conv_b", 3, (3, 3))
    assert O.layer_info(model, "hidden") == O.LayerInfo("hidden", 5, ())


def test_layers_that_cannot_be_targets_are_refused_with_the_valid_ones(model):
    with pytest.raises(ValueError, match=r"layer 'flat' has output shape \(27,\) but is neither a dense layer nor a "
                                         r"pooling of maps .*valid layers: conv_a, pool, conv_b, hidden, out$"):
        O.layer_info(model, "flat")
    with pytest.raises(ValueError, match=r"is the model's input, not computed from it"):
        O.layer_info(model, model.layers[0].name)
    inputs = keras.Input((4, 4))
    sequence = keras.Model(inputs, keras.layers.Dense(2, name="d")(inputs))
    with pytest.raises(ValueError, match=r"layer 'd' has output shape \(4, 2\); .*valid layers: none"):
        O.layer_info(sequence, "d")
    inputs = keras.Input((6, 6, 2))
    maps = keras.layers.Conv2D(3, 3, name="c")(inputs)
    units = keras.layers.Dropout(0.5, name="drop")(keras.layers.GlobalMaxPooling2D(name="gmp")(maps))
    ok = keras.Model(inputs, keras.layers.Softmax(name="p")(units))
    assert [O.layer_info(ok, name).n_maps for name in ("c", "gmp", "drop", "p")] == [3, 3, 3, 3]  # unit-wise, pooled


def test_check_targets_returns_int32_indices_and_the_node():
    conv, dense = O.LayerInfo("conv_b", 3, (3, 3)), O.LayerInfo("hidden", 5, ())
    indices, node = O.check_targets(conv, [2, 0, 2])
    assert indices.dtype == np.int32 and indices.tolist() == [2, 0, 2] and node is None
    indices, node = O.check_targets(conv, np.int64(1), node=(2, 0))
    assert indices.tolist() == [1] and node == (2, 0)
    assert O.check_targets(dense, np.array([4, 0]))[0].tolist() == [4, 0]


@pytest.mark.parametrize("info, map_indices, node, error, message", [
    (O.LayerInfo("conv_b", 3, (3, 3)), [3], None, ValueError,
     r"map_index 3 is out of range for layer 'conv_b' with 3 maps: valid 0\.\.2"),
    (O.LayerInfo("conv_b", 3, (3, 3)), [0, -1], None, ValueError, r"map_index -1 is out of range"),
    (O.LayerInfo("hidden", 5, ()), 5, None, ValueError, r"map_index 5 is out of range .* with 5 units: valid 0\.\.4"),
    (O.LayerInfo("conv_b", 3, (3, 3)), [], None, ValueError, r"map_indices is empty; give at least one index of "
                                                              r"layer 'conv_b' \(valid 0\.\.2\)"),
    (O.LayerInfo("conv_b", 3, (3, 3)), [[0, 1]], None, ValueError, r"1-D sequence of indices \(valid 0\.\.2\), got "
                                                                   r"shape \(1, 2\)"),
    (O.LayerInfo("conv_b", 3, (3, 3)), [1.0], None, ValueError, r"map indices must be integers \(valid 0\.\.2\), got 1\.0"),
    (O.LayerInfo("conv_b", 3, (3, 3)), "0", None, TypeError, r"map_indices must be one index or a 1-D sequence"),
    (O.LayerInfo("conv_b", 3, (3, 3)), None, None, TypeError, r"map_indices must be one index or a 1-D sequence"),
    (O.LayerInfo("hidden", 5, ()), [0], (0, 0), ValueError, r"layer 'hidden' is dense: it has no nodes"),
    (O.LayerInfo("conv_b", 3, (3, 3)), [0], (3, 0), ValueError, r"node \(3, 0\) is outside the 3x3 maps of layer "
                                                                r"'conv_b'"),
    (("conv_b", 3, (3, 3)), [0], None, TypeError, r"info must be a LayerInfo"),
])
def test_check_targets_refuses_what_is_not_an_existing_map_or_node(info, map_indices, node, error, message):
    with pytest.raises(error, match=message):
        O.check_targets(info, map_indices, node)
