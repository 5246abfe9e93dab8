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
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
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


def test_class_means_errors():
    acts = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"labels \(n,\).*\(4, 2\) and \(3,\)"):
        A.class_means(acts, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.2, got 0\.\.3"):
        A.class_means(acts, np.array([0, 1, 2, 3]), n_classes=3)
    with pytest.raises(ValueError, match=r"classes \[1\] have no examples"):
        A.class_means(acts, np.array([0, 0, 2, 2]), n_classes=3)
    with pytest.raises(ValueError, match="labels must be integers"):
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
    with pytest.raises(ValueError, match=r"test_labels must be integers, one per test pattern \(4\)"):
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
