"""helpers.activations: sub-models, batched extraction, pre-activations, class aggregates, and every error path.

Small seeded models only (no committed model): a slim version of the series' CNN and a tiny foreign model.
"""

import gc

import keras
import numpy as np
import pytest

from helpers import activations as A
from helpers import model as M

CNN_NAMES = ["image", "Conv2D_1", "MaxPool_1", "Conv2D_2", "MaxPool_2", "Conv2D_3", "Flatten", "Dense_1", "Dense_2",
             "Softmax"]


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).normal(size=(23, 28, 28, 1)).astype(np.float32)


def test_activation_model_outputs_shapes_and_cache(cnn):
    sub = A.activation_model(cnn, "Conv2D_3")
    assert sub.output.shape == (None, 3, 3, 16)
    assert A.activation_model(cnn, "Conv2D_3") is sub  # cached
    assert A.activation_model(cnn, "Conv2D_3", pre_activation=True) is not sub
    several = A.activation_model(cnn, ["Conv2D_1", "MaxPool_1", "Dense_1"])
    assert [tuple(t.shape) for t in several.outputs] == [(None, 26, 26, 4), (None, 13, 13, 4), (None, 5)]
    assert A.activation_model(cnn, ("Conv2D_1", "MaxPool_1", "Dense_1")) is several
    assert A.layer_names(cnn) == CNN_NAMES


def test_cache_entries_vanish_with_their_model():
    import weakref

    temporary = M.build_cnn(conv_filters=(2, 2, 2), dense_units=2, seed=0)
    A.activation_model(temporary, "Dense_1")
    assert temporary in A._CACHE
    gc.collect()  # models that earlier tests dropped go first: only this model's entry may vanish below
    n_before = len(A._CACHE)
    ref = weakref.ref(temporary)
    del temporary
    gc.collect()
    assert ref() is None and len(A._CACHE) == n_before - 1


def test_extract_matches_the_full_model_and_does_not_depend_on_batch_size(cnn, x):
    probabilities = np.asarray(cnn(x, training=False))
    np.testing.assert_allclose(A.extract(cnn, x, "Softmax"), probabilities, rtol=1e-5, atol=1e-6)
    whole = A.extract(cnn, x, "Conv2D_3", batch_size=1000)
    pieces = A.extract(cnn, x, "Conv2D_3", batch_size=5)  # 4 full batches and one of 3
    assert whole.shape == (23, 3, 3, 16) and whole.dtype == np.float32
    np.testing.assert_allclose(pieces, whole, rtol=1e-5, atol=1e-6)
    assert A.extract(cnn, x[:0], "Dense_1").shape == (0, 5)


def test_extract_many_returns_every_layer_in_one_pass(cnn, x):
    many = A.extract_many(cnn, x, ["Dense_1", "Conv2D_1", "Dense_1"], batch_size=10)
    assert list(many) == ["Dense_1", "Conv2D_1"]  # duplicates collapse, order kept
    assert many["Conv2D_1"].shape == (23, 26, 26, 4)
    np.testing.assert_allclose(many["Dense_1"], A.extract(cnn, x, "Dense_1"), rtol=1e-5, atol=1e-6)
    assert (many["Conv2D_1"] >= 0).all()  # after ReLU


def test_verbose_prints_one_line_and_quiet_prints_nothing(cnn, x, capsys):
    A.extract(cnn, x, "Dense_1", batch_size=10)
    assert capsys.readouterr().out == ""
    A.extract(cnn, x, "Dense_1", batch_size=10, verbose=True)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "23 images in 3 batches" in out


def test_pre_activation_is_the_value_before_relu(cnn, x):
    for name in ("Conv2D_1", "Conv2D_3", "Dense_1"):
        pre = A.extract(cnn, x, name, pre_activation=True)
        post = A.extract(cnn, x, name)
        assert (pre < 0).any(), f"{name}: pre-activations should have negative values"
        np.testing.assert_allclose(np.maximum(pre, 0), post, rtol=1e-5, atol=1e-6)
    # layers without a built-in activation are unchanged; the model itself still applies its ReLUs
    for name in ("MaxPool_2", "Dense_2", "Softmax"):
        np.testing.assert_allclose(A.extract(cnn, x, name, pre_activation=True), A.extract(cnn, x, name), rtol=1e-6)
    assert (np.asarray(cnn.get_layer("Conv2D_1")(x)) >= 0).all()


def test_pre_activation_on_a_foreign_model():
    inputs = keras.Input((12, 10, 3), name="rgb")
    h = keras.layers.Conv2D(6, 3, activation="sigmoid", name="conv")(inputs)
    h = keras.layers.Conv2D(5, 3, name="conv_linear")(h)
    h = keras.layers.Activation("relu", name="act")(h)
    h = keras.layers.GlobalAveragePooling2D(name="gap")(h)
    foreign = keras.Model(inputs, keras.layers.Dense(4, activation="tanh", name="dense")(h), name="foreign")
    images = np.random.default_rng(1).normal(size=(6, 12, 10, 3)).astype(np.float32)
    many = A.extract_many(foreign, images, ["conv", "conv_linear", "act", "dense"], pre_activation=True)
    post = A.extract_many(foreign, images, ["conv", "conv_linear", "act", "dense"])
    np.testing.assert_allclose(1 / (1 + np.exp(-many["conv"])), post["conv"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.tanh(many["dense"]), post["dense"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(many["conv_linear"], post["conv_linear"], rtol=1e-6)  # no built-in activation
    np.testing.assert_allclose(many["act"], post["conv_linear"], rtol=1e-6)  # an Activation layer: its input
    assert many["conv"].shape == (6, 10, 8, 6)


def test_unknown_layer_name_lists_the_valid_names(cnn, x):
    with pytest.raises(ValueError, match=r"no layer 'Conv2D_4'; valid names: image, Conv2D_1, .*, Softmax"):
        A.check_layer_name(cnn, "Conv2D_4")
    with pytest.raises(ValueError, match="no layer 'conv2d_3'"):
        A.extract(cnn, x, "conv2d_3")
    with pytest.raises(ValueError, match="no layer 'Dense_3'"):
        A.extract_many(cnn, x, ["Dense_1", "Dense_3"])
    with pytest.raises(ValueError, match="layer_names is empty"):
        A.activation_model(cnn, [])
    with pytest.raises(ValueError, match="one name"):
        A.extract(cnn, x, ["Dense_1"])
    with pytest.raises(ValueError, match="sequence of names"):
        A.extract_many(cnn, x, "Dense_1")
    assert A.check_layer_name(cnn, "Dense_1") is cnn.get_layer("Dense_1")


def test_wrong_input_shape_names_the_expected_shape(cnn, x):
    with pytest.raises(ValueError, match=r"expects images of shape \(n, 28, 28, 1\), got \(23, 28, 28\) \(add the channel"):
        A.extract(cnn, x[..., 0], "Dense_1")
    with pytest.raises(ValueError, match=r"got \(28, 28, 1\) \(a single image\? add a batch axis"):
        A.check_input_shape(cnn, x[0])
    with pytest.raises(ValueError, match=r"expects images of shape \(n, 28, 28, 1\), got \(2, 32, 32, 1\)"):
        A.check_input_shape(cnn, np.zeros((2, 32, 32, 1), np.float32))
    A.check_input_shape(cnn, x)  # fine: no error


def test_raw_pixels_and_bad_batch_sizes_are_refused(cnn, x):
    with pytest.raises(ValueError, match="dtype uint8.*standardized float images"):
        A.extract(cnn, np.zeros((2, 28, 28, 1), np.uint8), "Dense_1")
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
            A.extract(cnn, x, "Dense_1", batch_size=bad)


def test_multi_input_models_are_refused():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    two = keras.Model([a, b], keras.layers.Add(name="sum")([a, b]), name="two_inputs")
    with pytest.raises(ValueError, match="2 inputs; only single-input"):
        A.activation_model(two, "sum")


def test_class_means_and_spread():
    activations = np.array([[1.0, 0.0], [3.0, 2.0], [10.0, 10.0], [0.0, 4.0]])
    labels = np.array([0, 0, 1, 2])
    mean, std = A.class_means(activations, labels, n_classes=3)
    assert mean.shape == std.shape == (3, 2)
    np.testing.assert_allclose(mean, [[2, 1], [10, 10], [0, 4]])
    np.testing.assert_allclose(std, [[1, 1], [0, 0], [0, 0]])
    maps = np.random.default_rng(2).random((40, 3, 3, 4))
    mean, std = A.class_means(maps, np.arange(40) % 10)
    assert mean.shape == (10, 3, 3, 4)
    np.testing.assert_allclose(mean[3], maps[3::10].mean(axis=0))


def test_class_means_of_one_number_per_image():
    mean, std = A.class_means(np.array([1.0, 3.0, 5.0, 6.0]), np.array([0, 0, 1, 1]), n_classes=2)
    np.testing.assert_allclose(mean, [2.0, 5.5])
    np.testing.assert_allclose(std, [1.0, 0.5])


def test_class_means_errors():
    acts = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"labels must hold one label per row of activations \(4\), got shape \(3,\)"):
        A.class_means(acts, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.2, got values 0\.\.3"):
        A.class_means(acts, np.array([0, 1, 2, 3]), n_classes=3)
    with pytest.raises(ValueError, match=r"classes \[1\] have no examples"):
        A.class_means(acts, np.array([0, 0, 2, 2]), n_classes=3)
    with pytest.raises(ValueError, match="labels must be integer class indices"):
        A.class_means(acts, np.array([0.0, 1.0, 1.0, 0.0]), n_classes=2)


def test_similarity_matrix_cosine_and_correlation():
    patterns = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [3.0, 3.0, 0.0]])
    cosine = A.similarity_matrix(patterns)
    np.testing.assert_allclose(cosine, [[1, 0, 2**-0.5], [0, 1, 2**-0.5], [2**-0.5, 2**-0.5, 1]], atol=1e-12)
    rng = np.random.default_rng(3)
    maps = rng.random((5, 3, 3, 4))  # patterns are flattened
    correlation = A.similarity_matrix(maps, metric="correlation")
    np.testing.assert_allclose(correlation, np.corrcoef(maps.reshape(5, -1)), atol=1e-12)
    assert correlation.shape == (5, 5) and np.allclose(correlation, correlation.T)


def test_similarity_matrix_flat_patterns_and_errors():
    with_zero = A.similarity_matrix(np.array([[1.0, 2.0], [0.0, 0.0]]))
    assert with_zero[0, 0] == pytest.approx(1.0) and np.isnan(with_zero[1]).all() and np.isnan(with_zero[:, 1]).all()
    assert np.isnan(A.similarity_matrix(np.array([[1.0, 1.0], [1.0, 2.0]]), metric="correlation")[0]).all()
    with pytest.raises(ValueError, match="unknown metric 'euclid'; valid: cosine, correlation"):
        A.similarity_matrix(np.eye(3), metric="euclid")
    with pytest.raises(ValueError, match=r"shape \(k, \.\.\.\)"):
        A.similarity_matrix(np.ones(3))


def test_firing_fraction_counts_images_with_any_active_node():
    acts = np.zeros((4, 2, 2, 3))
    acts[0, 1, 1, 0] = 0.5  # map 0 fires on one image
    acts[:, 0, 0, 2] = 1.0  # map 2 fires on every image; map 1 never ("dead")
    np.testing.assert_allclose(A.firing_fraction(acts), [0.25, 0.0, 1.0])
    np.testing.assert_allclose(A.firing_fraction(acts, threshold=0.7), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(A.firing_fraction(np.array([[0.0, 1.0], [2.0, 0.0]])), [0.5, 0.5])  # dense layer
    with pytest.raises(ValueError, match="need activations"):
        A.firing_fraction(np.zeros((0, 3)))


def test_nan_and_infinite_inputs_are_refused(cnn, x):
    bad = x[:3].copy()
    bad[1, 5, 6, 0] = np.nan
    with pytest.raises(ValueError, match=r"x holds 1 NaN and 0 infinite value\(s\), the first at index \(1, 5, 6, 0\)"):
        A.extract(cnn, bad, "Dense_1")
    bad[1, 5, 6, 0] = -np.inf
    with pytest.raises(ValueError, match=r"x holds 0 NaN and 1 infinite value\(s\).*valid: finite numbers only"):
        A.extract_many(cnn, bad, ["Dense_1"])
    with pytest.raises(ValueError, match=r"patterns holds 1 NaN"):
        A.similarity_matrix(np.array([[1.0, np.nan], [0.0, 1.0]]))


def test_cross_similarity_agrees_with_the_definitions():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(4, 3, 2)), rng.normal(size=(6, 3, 2))
    fa, fb = a.reshape(4, -1), b.reshape(6, -1)
    expected = (fa @ fb.T) / np.outer(np.linalg.norm(fa, axis=1), np.linalg.norm(fb, axis=1))
    np.testing.assert_allclose(A.cross_similarity(a, b), expected, atol=1e-12)
    np.testing.assert_allclose(A.cross_similarity(a, b, "correlation"), np.corrcoef(fa, fb)[:4, 4:], atol=1e-12)
    with pytest.raises(ValueError, match="same size, got 6 and 5"):
        A.cross_similarity(a, np.ones((2, 5)))


def test_nearest_class_mean_accuracy():
    # class means (4, 0) and (0, 1); test points are classified by the angle (cosine) or the distance (euclidean)
    train = np.array([[3.0, 0.0], [5.0, 0.0], [0.0, 0.5], [0.0, 1.5]])
    labels = np.array([0, 0, 1, 1])
    test = np.array([[5.0, 1.0], [1.0, 5.0], [0.1, 0.0], [0.5, 0.6]])
    assert A.nearest_class_mean_accuracy(train, labels, test, np.array([0, 1, 0, 1])) == 1.0
    assert A.nearest_class_mean_accuracy(train, labels, test, np.array([0, 1, 0, 0])) == 0.75
    # (1, 0.8) points nearer the first axis but lies nearer the mean (0, 1): cosine says 0, euclidean says 1
    between = np.array([[1.0, 0.8]])
    assert A.nearest_class_mean_accuracy(train, labels, between, np.array([0])) == 1.0
    assert A.nearest_class_mean_accuracy(train, labels, between, np.array([1]), metric="euclidean") == 1.0
    # correlation: the class whose mean pattern correlates best (Pearson over the values)
    rng = np.random.default_rng(8)
    train3, test3 = rng.normal(size=(40, 5)), rng.normal(size=(30, 5))
    labels3, test_labels3 = np.arange(40) % 3, rng.integers(0, 3, 30)
    means = np.stack([train3[labels3 == c].mean(axis=0) for c in range(3)])
    predicted = np.corrcoef(test3, means)[:30, 30:].argmax(axis=1)
    assert A.nearest_class_mean_accuracy(train3, labels3, test3, test_labels3, "correlation") == pytest.approx(
        np.mean(predicted == test_labels3))
    assert A.nearest_class_mean_accuracy(train, labels, np.zeros((1, 2)), np.array([0])) == 0.0  # no direction
    with pytest.raises(ValueError, match="unknown metric 'manhattan'; valid: cosine, correlation, euclidean"):
        A.nearest_class_mean_accuracy(train, labels, test, labels, metric="manhattan")
    with pytest.raises(ValueError, match=r"test_labels must hold one label per row of test_patterns \(4\)"):
        A.nearest_class_mean_accuracy(train, labels, test, labels[:3])
    with pytest.raises(ValueError, match=r"classes \[1\] have no examples"):
        A.nearest_class_mean_accuracy(train, np.array([0, 0, 2, 2]), test, labels)


def test_paired_and_mean_pairwise_cosine():
    a = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    b = np.array([[0.0, 2.0], [2.0, 2.0], [1.0, 0.0]])
    np.testing.assert_allclose(A.paired_cosine(a, b)[:2], [0.0, 1.0], atol=1e-12)
    assert np.isnan(A.paired_cosine(a, b)[2])
    rng = np.random.default_rng(6)
    patterns = rng.normal(size=(7, 3, 3))
    flat = patterns.reshape(7, -1)
    unit = flat / np.linalg.norm(flat, axis=1, keepdims=True)
    cosines = unit @ unit.T
    assert A.mean_pairwise_cosine(patterns) == pytest.approx(cosines[np.triu_indices(7, 1)].mean(), abs=1e-12)
    assert A.mean_pairwise_cosine(np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 0.0]])) == pytest.approx(1.0)  # zero skipped
    assert A.mean_pairwise_cosine(np.array([[1.0, 0.0], [-1.0, 0.0]])) == pytest.approx(-1.0)
    assert np.isnan(A.mean_pairwise_cosine(np.array([[1.0, 0.0], [0.0, 0.0]])))
    with pytest.raises(ValueError, match=r"patterns must be k >= 2 patterns"):
        A.mean_pairwise_cosine(np.ones((1, 3)))
    with pytest.raises(ValueError, match="same number of patterns of the same size"):
        A.paired_cosine(a, b[:2])


def test_profile_and_pattern_correlation():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(3, 50)), rng.normal(size=(4, 50))
    b[1] = 2 * a[2] + 1  # map 1 of b responds like map 2 of a
    b[3] = 5.0  # a map that never changes
    corr = A.profile_correlation(a, b)
    assert corr.shape == (3, 4)
    np.testing.assert_allclose(corr[:, :3], np.corrcoef(a, b[:3])[:3, 3:], atol=1e-12)
    assert corr[2, 1] == pytest.approx(1.0) and np.all(corr[:, 3] == 0)  # undefined correlation -> 0
    with pytest.raises(ValueError, match=r"same n_items >= 2, got shapes \(3, 50\) and \(4, 49\)"):
        A.profile_correlation(a, b[:, :49])
    images_a, images_b = rng.normal(size=(5, 6, 6, 1)), rng.normal(size=(5, 6, 6, 1))
    images_b[0] = -3 * images_a[0] + 2
    r = A.pattern_correlation(images_a, images_b)
    expected = [np.corrcoef(p.ravel(), q.ravel())[0, 1] for p, q in zip(images_a, images_b)]
    np.testing.assert_allclose(r, expected, atol=1e-12)
    assert r[0] == pytest.approx(-1.0)
    assert np.isnan(A.pattern_correlation(np.ones((1, 4, 4)), images_a[:1, :4, :4, 0]))[0]
    with pytest.raises(ValueError, match="images_a and images_b must have the same shape"):
        A.pattern_correlation(images_a, images_b[:4])


def test_top_examples_are_the_images_that_drive_a_map_most(cnn, x):
    maps = A.extract(cnn, x, "Conv2D_2")[..., 5]  # (23, 11, 11)
    indices, values = A.top_examples(cnn, "Conv2D_2", x, 5, k=4, batch_size=7)
    means = maps.mean(axis=(1, 2))
    np.testing.assert_array_equal(indices, np.argsort(-means)[:4])
    np.testing.assert_allclose(values, means[indices], rtol=1e-5)
    assert np.all(np.diff(values) <= 0)
    node_indices, node_values = A.top_examples(cnn, "Conv2D_2", x, 5, k=3, node=(4, 7))
    np.testing.assert_array_equal(node_indices, np.argsort(-maps[:, 4, 7], kind="stable")[:3])
    np.testing.assert_allclose(node_values, maps[node_indices, 4, 7], rtol=1e-5)
    units = A.extract(cnn, x, "Dense_1")[:, 2]
    unit_indices, _ = A.top_examples(cnn, "Dense_1", x, 2, k=23)
    np.testing.assert_array_equal(unit_indices, np.argsort(-units, kind="stable"))
    with pytest.raises(ValueError, match=r"map_index must be an integer in 0\.\.7, got 8"):
        A.top_examples(cnn, "Conv2D_2", x, 8)
    with pytest.raises(ValueError, match=r"map_index must be an integer in 0\.\.7, got 2\.0"):
        A.top_examples(cnn, "Conv2D_2", x, 2.0)
    with pytest.raises(ValueError, match=r"k must be an integer in 1\.\.23, got 24"):
        A.top_examples(cnn, "Conv2D_2", x, 1, k=24)
    with pytest.raises(ValueError, match=r"node \(11, 0\) is outside the 11x11 maps of layer 'Conv2D_2'"):
        A.top_examples(cnn, "Conv2D_2", x, 1, node=(11, 0))
    with pytest.raises(ValueError, match="'Dense_1' is dense: it has no nodes"):
        A.top_examples(cnn, "Dense_1", x, 1, node=(0, 0))
    with pytest.raises(ValueError, match="images has dtype uint8"):
        A.top_examples(cnn, "Dense_1", np.zeros((3, 28, 28, 1), np.uint8), 1)


def test_top_examples_on_maps_that_are_not_square():
    inputs = keras.Input((12, 16, 1))
    wide = keras.Model(inputs, keras.layers.Conv2D(2, 3, name="wide", kernel_initializer="ones")(inputs))
    x = np.random.default_rng(5).normal(size=(6, 12, 16, 1)).astype(np.float32)
    indices, values = A.top_examples(wide, "wide", x, 0, k=2, node=(9, 13))  # rows 0..9, cols 0..13
    sums = x[:, 9:12, 13:16, 0].sum(axis=(1, 2))  # a 3x3 kernel of ones: the node's value is its patch's sum
    np.testing.assert_array_equal(indices, np.argsort(-sums)[:2])
    np.testing.assert_allclose(values, sums[indices], rtol=1e-5)
    with pytest.raises(ValueError, match=r"node \(10, 0\) is outside the 10x14 maps of layer 'wide'"):
        A.top_examples(wide, "wide", x, 0, node=(10, 0))


# ------------------------------------------------------------------------------------------ receptive fields
# receptive_field() works from the layer geometry alone; the tests check it against what the network computes:
# the support of the gradient of a node with respect to the input (every node of every map layer of small models
# whose pooling is averaging, so the gradient reaches every pixel a node depends on), and, for the committed model
# with max pooling and ReLU, that pixels outside the field leave the node unchanged while each border line of the
# field changes it.


def _gradient_boxes(model, layer_name: str, seed: int = 0) -> dict:
    """{node: (rows, cols)}: the bounding box of the pixels where d node / d input != 0, for map 0 of the layer."""
    import tensorflow as tf

    h, w, c = model.input_shape[1:]
    x = tf.constant(np.random.default_rng(seed).normal(size=(1, h, w, c)), tf.float32)
    sub = A.activation_model(model, layer_name, pre_activation=True)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = sub(x, training=False)[0, :, :, 0]
    jacobian = np.abs(np.asarray(tape.jacobian(out, x)))[:, :, 0].sum(axis=-1)  # (oh, ow, h, w)
    boxes = {}
    for node in np.ndindex(*jacobian.shape[:2]):
        rows, cols = np.flatnonzero(jacobian[node].any(axis=1)), np.flatnonzero(jacobian[node].any(axis=0))
        boxes[node] = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    return boxes


def _same_padding_model():
    """Odd, non-square input; 'same' padding with strides, an uneven kernel, dilation and pooling, so that the
    fields of nodes at the borders are clipped on different sides; layers that keep positions apart in between."""
    init = keras.initializers.RandomNormal(seed=3)
    layers = keras.layers
    inputs = keras.Input((13, 11, 1), name="image")
    x = layers.Conv2D(2, 3, padding="same", kernel_initializer=init, name="same_3x3")(inputs)
    x = layers.Activation("tanh", name="tanh")(x)
    x = layers.Conv2D(2, (3, 2), strides=2, padding="same", kernel_initializer=init, name="same_stride_2")(x)  # 7x6
    x = layers.BatchNormalization(name="norm")(x)
    x = layers.AveragePooling2D(2, strides=1, padding="same", name="avg_same")(x)  # 7x6, pads after only
    x = layers.Dropout(0.5, name="dropout")(x)
    x = layers.Conv2D(2, 3, dilation_rate=2, padding="same", kernel_initializer=init, name="dilated")(x)  # 7x6
    x = layers.DepthwiseConv2D((2, 3), depthwise_initializer=init, name="depthwise")(x)  # 6x4
    x = layers.AveragePooling2D((2, 1), padding="valid", name="avg_valid")(x)  # 3x4
    return keras.Model(inputs, x, name="same_padding")


def _series_geometry_with_average_pooling():
    """The series' CNN geometry (3x3 'valid' convolutions, 2x2 pooling), linear, with average pooling."""
    init = keras.initializers.RandomNormal(seed=4)
    layers = keras.layers
    inputs = keras.Input((28, 28, 1), name="image")
    x = layers.Conv2D(2, 3, kernel_initializer=init, name="Conv2D_1")(inputs)
    x = layers.AveragePooling2D(2, name="MaxPool_1")(x)
    x = layers.Conv2D(2, 3, kernel_initializer=init, name="Conv2D_2")(x)
    x = layers.AveragePooling2D(2, name="MaxPool_2")(x)
    x = layers.Conv2D(2, 3, kernel_initializer=init, name="Conv2D_3")(x)
    return keras.Model(inputs, x, name="average_pooling")


@pytest.mark.parametrize("build", [_same_padding_model, _series_geometry_with_average_pooling])
def test_receptive_field_is_the_support_of_the_gradient_for_every_node(build):
    model = build()
    for layer in model.layers[1:]:
        boxes = _gradient_boxes(model, layer.name)
        assert boxes, layer.name
        for node, expected in boxes.items():
            assert A.receptive_field(model, layer.name, node) == expected, (layer.name, node)


def test_same_padding_fields_are_clipped_at_the_borders():
    model = _same_padding_model()
    # same_3x3 (pads 1 on each side): corner nodes see 2x2 pixels, inner ones 3x3
    assert A.receptive_field(model, "same_3x3", (0, 0)) == (slice(0, 2), slice(0, 2))
    assert A.receptive_field(model, "same_3x3", (12, 10)) == (slice(11, 13), slice(9, 11))
    assert A.receptive_field(model, "same_3x3", (5, 5)) == (slice(4, 7), slice(4, 7))
    # same_stride_2 over 13x11: 7x6 outputs; rows pad 2 = 1 before + 1 after, cols (kernel 2) pad 1 = 0 before + 1
    # after. Node (0, 0) reads same_3x3 rows -1..1 -> 0..1, cols 0..1; widened by same_3x3: rows 0..2, cols 0..2.
    assert A.receptive_field(model, "same_stride_2", (0, 0)) == (slice(0, 3), slice(0, 3))
    # node (6, 5) reads rows 11..13 -> 11..12, cols 10..11 -> 10; widened: rows 10..12, cols 9..10
    assert A.receptive_field(model, "same_stride_2", (6, 5)) == (slice(10, 13), slice(9, 11))


def test_receptive_field_of_the_committed_model_and_its_perturbations():
    model, _, _ = M.load_model()
    # By hand, from Conv2D_3 back to the input (each 'valid' 3x3 conv widens [a, b] to [a, b + 2], each 2x2 pool with
    # stride 2 maps [a, b] to [2a, 2b + 1]): Conv2D_3 row 1 -> MaxPool_2 rows 1..3 -> Conv2D_2 rows 2..7
    # -> MaxPool_1 rows 2..9 -> Conv2D_1 rows 4..19 -> image rows 4..21, the same for columns: an 18x18 patch.
    assert A.receptive_field(model, "Conv2D_3", (1, 1)) == (slice(4, 22), slice(4, 22))
    # corners: rows 0..17 for row 0; row 2 -> 8..25 (rows 26, 27 feed only Conv2D_2 row 10, which pooling drops)
    assert A.receptive_field(model, "Conv2D_3", (0, 2)) == (slice(0, 18), slice(8, 26))
    assert A.receptive_field(model, "MaxPool_1", (12, 0)) == (slice(24, 28), slice(0, 4))
    assert A.receptive_field(model, "image", (3, 7)) == (slice(3, 4), slice(7, 8))

    rng = np.random.default_rng(5)
    base = rng.normal(size=(1, 28, 28, 1)).astype(np.float32)
    inside = np.zeros((28, 28), bool)
    inside[4:22, 4:22] = True
    outside = base.copy()
    outside[0, ~inside, 0] = rng.normal(scale=3.0, size=(~inside).sum())
    borders = [(4, slice(4, 22)), (21, slice(4, 22)), (slice(4, 22), 4), (slice(4, 22), 21)]  # top, bottom, left, right
    changed = [base.copy() for _ in borders]
    for image, (rows, cols) in zip(changed, borders):
        image[0, rows, cols, 0] += rng.choice([-4.0, 4.0], size=18).astype(np.float32)
    node = A.extract(model, np.concatenate([base, outside, *changed]), "Conv2D_3", pre_activation=True)[:, 1, 1]
    np.testing.assert_allclose(node[1], node[0], rtol=1e-6, atol=1e-6)  # all 128 maps unchanged
    for i, border in enumerate(borders, start=2):
        assert np.abs(node[i] - node[0]).max() > 1e-2, f"border {border} of the field does not reach the node"


def test_receptive_field_errors(cnn):
    with pytest.raises(ValueError, match=r"node \(3, 0\) is outside the 3x3 maps of layer 'Conv2D_3': valid rows"):
        A.receptive_field(cnn, "Conv2D_3", (3, 0))
    with pytest.raises(ValueError, match=r"node must be a pair of integers"):
        A.receptive_field(cnn, "Conv2D_3", (1.0, 1))
    with pytest.raises(ValueError, match=r"layer 'Dense_1' has output shape \(5,\); receptive_field needs maps"):
        A.receptive_field(cnn, "Dense_1", (0, 0))
    with pytest.raises(ValueError, match="has no layer 'Conv2D_9'"):
        A.receptive_field(cnn, "Conv2D_9", (0, 0))

    inputs = keras.Input((8, 8, 1))
    up = keras.layers.UpSampling2D(2, name="up")(inputs)
    conv = keras.layers.Conv2D(1, 3, name="after_up")(up)
    with pytest.raises(ValueError, match=r"cannot follow layer 'up' \(UpSampling2D\) on the way from the input to "
                                         r"'after_up': unsupported layer type; supported: Conv2D, .*MaxPooling2D.*"
                                         r"Activation, .*BatchNormalization.*Dropout"):
        A.receptive_field(keras.Model(inputs, conv), "after_up", (0, 0))
    left, right = keras.layers.Conv2D(1, 3, name="left")(inputs), keras.layers.Conv2D(1, 3, name="right")(inputs)
    added = keras.layers.Add(name="add")([left, right])
    top = keras.layers.Conv2D(1, 3, name="top")(added)
    with pytest.raises(ValueError, match=r"cannot follow layer 'add' \(Add\).*it has 2 inputs, not one chain"):
        A.receptive_field(keras.Model(inputs, top), "top", (0, 0))
    shared = keras.layers.Conv2D(1, 3, padding="same", name="shared")
    with pytest.raises(ValueError, match=r"layer 'shared' \(Conv2D\).*it is used more than once in the graph"):
        A.receptive_field(keras.Model(inputs, shared(shared(inputs))), "shared", (0, 0))
    free = keras.Input((None, None, 1))
    with pytest.raises(ValueError, match=r"layer 'free_conv' has output shape \(None, None, 1\); .*of a known size"):
        A.receptive_field(keras.Model(free, keras.layers.Conv2D(1, 3, name="free_conv")(free)), "free_conv", (0, 0))


def test_receptive_field_follows_a_sequential_model():
    model = keras.Sequential([keras.Input((10, 10, 1)), keras.layers.Conv2D(1, 3, name="a"),
                              keras.layers.ReLU(name="relu"), keras.layers.MaxPooling2D(2, strides=1, name="pool")])
    assert A.receptive_field(model, "pool", (2, 6)) == (slice(2, 6), slice(6, 10))  # pool rows 2..3 -> conv +2


def test_top_patches_cut_the_top_images_to_the_field(cnn, x):
    patches, indices, values = A.top_patches(cnn, "Conv2D_3", x, 7, (1, 1), k=5, batch_size=9)
    expected_indices, expected_values = A.top_examples(cnn, "Conv2D_3", x, 7, k=5, node=(1, 1))
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_allclose(values, expected_values, rtol=1e-6)
    assert patches.shape == (5, 18, 18, 1) and patches.dtype == x.dtype
    np.testing.assert_array_equal(patches, x[indices, 4:22, 4:22])
    # a border node of Conv2D_2 (11x11): node (0, 10) <- MaxPool_1 rows 0..2, cols 10..12 <- Conv2D_1 rows 0..5,
    # cols 20..25 <- image rows 0..7, cols 20..27
    border, border_indices, _ = A.top_patches(cnn, "Conv2D_2", x, 3, (0, 10), k=2)
    assert border.shape == (2, 8, 8, 1)
    np.testing.assert_array_equal(border, x[border_indices, 0:8, 20:28])
    with pytest.raises(ValueError, match=r"node \(0, 11\) is outside the 11x11 maps of layer 'Conv2D_2'"):
        A.top_patches(cnn, "Conv2D_2", x, 3, (0, 11))
    with pytest.raises(ValueError, match=r"k must be an integer in 1\.\.23, got 0"):
        A.top_patches(cnn, "Conv2D_2", x, 3, (0, 1), k=0)


def test_profiles_over_two_items_correlate_perfectly_or_not_at_all():
    corr = A.profile_correlation(np.array([[1.0, 2.0], [3.0, 0.0]]), np.array([[5.0, 7.0], [4.0, 4.0]]))
    np.testing.assert_allclose(corr, [[1.0, 0.0], [-1.0, 0.0]])  # two points fix a line; a constant profile: 0
    with pytest.raises(ValueError, match="n_items >= 2"):
        A.profile_correlation(np.array([[1.0], [2.0]]), np.array([[3.0], [4.0]]))
