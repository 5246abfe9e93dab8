"""helpers.oip.reading: the objective reading: nodes, dense units, colour input, composite objectives, groups, targets."""


import keras
import numpy as np
import pytest

from helpers import activations as A
from helpers import objectives as O
from helpers import oip
from oip_toys import _toy_conv


def test_node_dense_unit_and_colour_input():
    colour = _toy_conv(input_shape=(16, 16, 3))
    node = oip.run_oip(colour, "deep", [1, 1], node=(0, 2), n_steps=40, epsilon=0.05, early_stop=False, seed=9)
    assert node.images.shape == (2, 16, 16, 3) and node.node == (0, 2)
    # the objective is that node's activation, not the map's mean: at the start and at the end
    for images, loss in ((node.initial, node.losses[0]), (node.images, node.final_loss)):
        maps = A.extract(colour, images, "deep")[..., 1]  # (2, 5, 5)
        np.testing.assert_allclose(loss, maps[:, 0, 2], rtol=1e-5, atol=1e-6)
        assert np.all(np.abs(loss - maps.mean(axis=(1, 2))) > 1e-3)
    np.testing.assert_allclose(oip.objective_values(colour, "deep", [1, 1], node.images, node=(0, 2)),
                               node.final_loss, rtol=1e-5)
    unit = oip.run_oip(colour, "dense", [0, 1, 2], n_steps=40, epsilon=0.05, early_stop=False, seed=1)
    assert np.all(unit.final_loss > unit.losses[0])  # a linear unit always has a gradient


def test_layers_that_cannot_be_oip_targets_are_refused(toy):
    with pytest.raises(ValueError, match=r"layer 'input_layer\w*' is the model's input, not computed from it; .*"
                                         r"valid layers: first, max_pooling2d\w*, deep, dense"):
        oip.run_oip(toy, toy.layers[0].name, [0])
    with pytest.raises(ValueError, match=r"layer 'flat' has output shape \(36,\) but is neither a dense layer nor a "
                                         r"pooling of maps .* node=\(row, col\)"):
        oip.run_oip(toy, "flat", [0])
    inputs = keras.Input((1, 12, 12))
    maps = keras.layers.Conv2D(4, 3, data_format="channels_first", name="conv_cf")(inputs)
    units = keras.layers.Dense(2, name="units")(keras.layers.Flatten()(maps))
    channels_first = keras.Model(inputs, units, name="cf")
    with pytest.raises(ValueError, match=r"channels-first layers \(conv_cf\): OIPs read the maps on the last axis"):
        oip.run_oip(channels_first, "conv_cf", [0])
    with pytest.raises(ValueError, match="channels-first"):
        oip.layer_info(channels_first, "units")
    # unit-wise and pooled 1-D layers are fine: a softmax of logits, a global average of maps
    inputs = keras.Input((8, 8, 1))
    pooled = keras.layers.GlobalAveragePooling2D(name="gap")(keras.layers.Conv2D(3, 3, name="c")(inputs))
    probabilities = keras.layers.Softmax(name="probabilities")(keras.layers.Dense(2, name="logits")(pooled))
    ok = keras.Model(inputs, probabilities)
    assert oip.layer_info(ok, "gap") == oip.LayerInfo("gap", 3, ())
    assert oip.layer_info(ok, "probabilities").n_maps == 2


def test_ascend_equals_run_oip_for_the_equivalent_simple_objectives(toy):
    x0 = oip.initial_images(3, (12, 12, 1), seed=5)
    maps = [2, 0, 1]
    kwargs = dict(x0=x0, n_steps=20, epsilon=0.05, pre_activation_steps=5, early_stop=False, progress=False)
    reference = oip.run_oip(toy, "deep", maps, **kwargs)
    assert np.all(reference.final_loss > reference.losses[0])  # a real ascent to compare with
    simple_objectives = [O.map_objective("deep", m) for m in maps]
    simple = oip.ascend(toy, simple_objectives, **kwargs)
    assert simple.objectives == tuple(simple_objectives) and simple.map_indices.tolist() == maps
    np.testing.assert_allclose(simple.images, reference.images, atol=1e-6)
    # composite objectives (weight arrays instead of gathered maps) with the same gradient direction: a scaled map
    # (the gradient is divided by its RMS, so the scale changes the objective but not the step) and a one-hot
    # direction
    doubled = oip.ascend(toy, [2 * o for o in simple_objectives], **kwargs)
    assert doubled.layer_name == "deep" and doubled.map_indices.tolist() == [-1, -1, -1]
    np.testing.assert_allclose(doubled.images, reference.images, atol=1e-4)
    np.testing.assert_allclose(doubled.losses, 2 * reference.losses, rtol=1e-4, atol=1e-6)
    one_hot = oip.ascend(toy, [O.direction("deep", np.eye(4)[m]) for m in maps], **kwargs)
    np.testing.assert_allclose(one_hot.images, reference.images, atol=1e-4)
    np.testing.assert_allclose(one_hot.losses, reference.losses, rtol=1e-4, atol=1e-6)
    # a node, through the (B, h, w, maps) weights
    node_reference = oip.run_oip(toy, "deep", maps, node=(1, 2), **kwargs)
    node = oip.ascend(toy, [3 * O.node_objective("deep", m, (1, 2)) for m in maps], **kwargs)
    np.testing.assert_allclose(node.images, node_reference.images, atol=1e-4)
    np.testing.assert_allclose(node.losses, 3 * node_reference.losses, rtol=1e-4, atol=1e-6)
    # class logits of the toy's linear output layer are its units
    logits = oip.ascend(toy, [O.class_logit(2), O.class_logit(0)], x0=x0[:2], n_steps=10, early_stop=False)
    units = oip.run_oip(toy, "dense", [2, 0], x0=x0[:2], n_steps=10, early_stop=False)
    np.testing.assert_allclose(logits.images, units.images, atol=1e-6)
    np.testing.assert_allclose(logits.losses, units.losses, rtol=1e-5, atol=1e-6)


def test_groups_that_are_not_contiguous_keep_the_callers_order(toy):
    maps = np.tile([0, 1], 3)  # images of one objective are not side by side
    x0 = oip.initial_images(6, (12, 12, 1), seed=3)
    kwargs = dict(n_steps=20, epsilon=0.05, early_stop=False, diversity_weight=1.0, progress=False)
    result = oip.run_oip(toy, "deep", maps, x0=x0, **kwargs)
    assert result.map_indices.tolist() == [0, 1, 0, 1, 0, 1]
    np.testing.assert_array_equal(result.initial, x0)
    # row 0 and the last row belong to the images in the caller's order
    np.testing.assert_allclose(result.losses[0], oip.objective_values(toy, "deep", maps, x0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.final_loss, oip.objective_values(toy, "deep", maps, result.images), rtol=1e-5,
                               atol=1e-6)
    # the same run with the images already grouped: the same images, permuted
    order = np.argsort(maps, kind="stable")
    grouped = oip.run_oip(toy, "deep", maps[order], x0=x0[order], **kwargs)
    np.testing.assert_allclose(grouped.images, result.images[order], atol=1e-5)
    np.testing.assert_allclose(grouped.losses, result.losses[:, order], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(grouped.converged_at, result.converged_at[order])
    np.testing.assert_allclose(grouped.snapshots[9], result.snapshots[9][order], atol=1e-5)
    # chunks never split a group (the diversity term compares the images of a group): the chunk size does not matter
    for chunk_size in (2, 3):
        chunked = oip.run_oip(toy, "deep", maps, x0=x0, chunk_size=chunk_size, **kwargs)
        np.testing.assert_allclose(chunked.images, result.images, atol=1e-5)
    # composite objectives, interleaved
    first, second = 0.5 * O.map_objective("deep", 0) + 0.5 * O.map_objective("deep", 2), O.direction(
        "deep", [0.0, 1.0, 0.0, -0.5])
    objective_list = [first, second, first, second]
    composite = oip.ascend(toy, objective_list, x0=x0[:4], **kwargs)
    assert composite.objectives == tuple(objective_list)
    np.testing.assert_allclose(composite.losses[0], oip.evaluate(toy, objective_list, x0[:4]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(composite.final_loss, oip.evaluate(toy, objective_list, composite.images), rtol=1e-5,
                               atol=1e-6)
    regrouped = oip.ascend(toy, [first, first, second, second], x0=x0[[0, 2, 1, 3]], **kwargs)
    np.testing.assert_allclose(regrouped.images, composite.images[[0, 2, 1, 3]], atol=1e-5)


def test_objective_groups_number_equal_objectives_by_first_appearance(toy):
    simple = O.compile_objectives(toy, [O.map_objective("deep", m) for m in (3, 1, 3, 0, 1)])
    np.testing.assert_array_equal(oip.objective_groups(simple), [0, 1, 0, 2, 1])
    a, b = O.map_objective("deep", 0), O.map_objective("deep", 1)
    composite = O.compile_objectives(toy, [a + b, O.node_objective("deep", 2, (0, 0)), b + a, 2 * (a + b),
                                           O.node_objective("deep", 2, (0, 0)), O.node_objective("deep", 2, (0, 1))])
    np.testing.assert_array_equal(oip.objective_groups(composite), [0, 1, 0, 2, 1, 3])
    # a run groups images only when the diversity term needs it
    checked = oip.check_run_arguments(toy, "deep", [2, 0, 2, 0], diversity_weight=0.5)
    np.testing.assert_array_equal(checked.groups, [0, 1, 0, 1])
    assert checked.diversity_layer == "deep"
    np.testing.assert_array_equal(oip.check_run_arguments(toy, "deep", [2, 0, 2, 0]).groups, [0, 1, 2, 3])
    assert oip.check_run_arguments(toy, "deep", [2, 2], diversity_weight=0.5, diversity_layer="first").diversity_layer \
        == "first"
