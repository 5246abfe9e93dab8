"""helpers.attribution: each method against a case with a known answer, batching, the sanity-check tools, errors.

Small seeded models only (no committed model): a linear model, a conv net whose Grad-CAM reduces to CAM, and a
slim version of the series' CNN.
"""

import keras
import numpy as np
import pytest

from helpers import attribution as AT
from helpers import model as M


def _linear(seed: int = 0) -> keras.Model:
    """logits = W . flatten(x) + b on 6x6 grey images, 3 classes."""
    inputs = keras.Input((6, 6, 1), name="image")
    x = keras.layers.Flatten(name="Flatten")(inputs)
    logits = keras.layers.Dense(3, name="logits", kernel_initializer=keras.initializers.GlorotUniform(seed),
                                bias_initializer=keras.initializers.RandomNormal(seed=seed + 1))(x)
    return keras.Model(inputs, keras.layers.Softmax(name="Softmax")(logits), name="linear")


def _cam_net(seed: int = 0) -> keras.Model:
    """Conv (ReLU) -> global average pooling -> dense logits: Grad-CAM equals CAM for this architecture."""
    inputs = keras.Input((8, 8, 1), name="image")
    maps = keras.layers.Conv2D(5, 3, activation="relu", name="conv",
                               kernel_initializer=keras.initializers.GlorotUniform(seed),
                               bias_initializer=keras.initializers.Constant(0.1))(inputs)
    pooled = keras.layers.GlobalAveragePooling2D(name="gap")(maps)
    logits = keras.layers.Dense(4, name="logits", kernel_initializer=keras.initializers.GlorotUniform(seed + 1))(pooled)
    return keras.Model(inputs, logits, name="cam_net")


@pytest.fixture(scope="module")
def linear():
    return _linear()


@pytest.fixture(scope="module")
def x28():
    return np.random.default_rng(1).normal(size=(7, 28, 28, 1)).astype(np.float32)


def test_saliency_of_a_linear_model_is_its_weights(linear):
    x = np.random.default_rng(0).normal(size=(5, 6, 6, 1)).astype(np.float32)
    classes = np.array([0, 1, 2, 1, 0])
    kernel = linear.get_layer("logits").get_weights()[0]  # (36, 3)
    grads = AT.saliency(linear, x, classes, target_layer="logits")
    assert grads.shape == x.shape and grads.dtype == np.float32
    np.testing.assert_allclose(grads, kernel[:, classes].T.reshape(5, 6, 6, 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(AT.saliency(linear, x, 2, target_layer="logits", absolute=True),
                               np.abs(np.broadcast_to(kernel[:, 2].reshape(1, 6, 6, 1), x.shape)), rtol=1e-5)


def test_integrated_gradients_of_a_linear_model_is_input_times_weights(linear):
    x = np.random.default_rng(2).normal(size=(4, 6, 6, 1)).astype(np.float32)
    kernel = linear.get_layer("logits").get_weights()[0]
    baseline = -0.5
    ig = AT.integrated_gradients(linear, x, 1, baseline=baseline, n_steps=4, target_layer="logits")
    np.testing.assert_allclose(ig, (x - baseline) * kernel[:, 1].reshape(1, 6, 6, 1), rtol=1e-4, atol=1e-6)


def test_integrated_gradients_completeness_and_batching(cnn, x28):
    classes = np.arange(7) % 10
    black = np.float32(-0.42)
    ig = AT.integrated_gradients(cnn, x28, classes, baseline=black, n_steps=128, batch_size=200)
    scores = AT.class_scores(cnn, x28, classes)
    difference = scores - AT.class_scores(cnn, np.full_like(x28, black), classes)
    gap = AT.completeness_gap(cnn, ig, x28, classes, baseline=black)
    assert np.all(np.abs(gap) <= 0.02 * np.abs(difference) + 1e-3), (gap, difference)
    coarse_gap = AT.completeness_gap(cnn, AT.integrated_gradients(cnn, x28, classes, black, n_steps=2), x28,
                                     classes, baseline=black)
    assert np.abs(coarse_gap).mean() > np.abs(gap).mean()  # the check can fail: few steps miss the ReLU kinks
    # several images per pass vs one image in several passes: the same result
    np.testing.assert_allclose(AT.integrated_gradients(cnn, x28, classes, black, n_steps=128, batch_size=50), ig,
                               rtol=1e-4, atol=1e-6)
    # one baseline image per input image
    per_image = AT.integrated_gradients(cnn, x28, classes, np.full_like(x28, black), n_steps=128)
    np.testing.assert_allclose(per_image, ig, rtol=1e-4, atol=1e-6)


def test_class_scores_are_the_logits(cnn, x28):
    logits = np.asarray(keras.Model(cnn.inputs[0], cnn.get_layer("Dense_2").output)(x28))
    np.testing.assert_allclose(AT.class_scores(cnn, x28, 3), logits[:, 3], rtol=1e-5, atol=1e-6)


def test_smoothgrad_without_noise_is_saliency_and_noise_smooths(cnn, x28):
    plain = AT.saliency(cnn, x28, 4)
    np.testing.assert_allclose(AT.smoothgrad(cnn, x28, 4, n_samples=3, noise_level=0.0), plain, rtol=1e-5, atol=1e-7)
    a = AT.smoothgrad(cnn, x28, 4, n_samples=12, noise_level=0.2, seed=1, batch_size=30)  # several passes
    b = AT.smoothgrad(cnn, x28, 4, n_samples=12, noise_level=0.2, seed=1)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)  # seeded, independent of the batch size
    assert not np.allclose(a, plain)
    assert not np.allclose(AT.smoothgrad(cnn, x28, 4, n_samples=12, noise_level=0.2, seed=2), a)
    absolute = AT.smoothgrad(cnn, x28, 4, n_samples=12, noise_level=0.2, seed=1, absolute=True)
    assert np.all(absolute >= np.abs(a) - 1e-6)  # mean of |g| >= |mean of g|


def test_grad_cam_equals_cam_for_global_average_pooling():
    net = _cam_net()
    x = np.random.default_rng(4).normal(size=(6, 8, 8, 1)).astype(np.float32)
    classes = np.array([0, 1, 2, 3, 0, 1])
    cams = AT.grad_cam(net, x, classes, layer_name="conv", target_layer="logits", upsample=False)
    maps = np.asarray(keras.Model(net.inputs[0], net.get_layer("conv").output)(x))  # (6, 6, 6, 5)
    kernel = net.get_layer("logits").get_weights()[0]  # (5, 4)
    expected = np.maximum(np.einsum("nhwk,kn->nhw", maps, kernel[:, classes]) / 36.0, 0)
    assert cams.shape == (6, 6, 6)
    np.testing.assert_allclose(cams, expected, rtol=1e-4, atol=1e-6)


def test_grad_cam_shape_and_non_negativity(cnn, x28):
    cams = AT.grad_cam(cnn, x28, np.arange(7))
    assert cams.shape == (7, 28, 28) and cams.dtype == np.float32 and np.all(cams >= 0)
    coarse = AT.grad_cam(cnn, x28, np.arange(7), upsample=False)
    assert coarse.shape == (7, 3, 3) and np.all(coarse >= 0)
    # bilinear upsampling interpolates: no value outside the range of the 3x3 map
    assert np.all(cams.max(axis=(1, 2)) <= coarse.max(axis=(1, 2)) + 1e-6)
    assert np.all(cams.min(axis=(1, 2)) >= coarse.min(axis=(1, 2)) - 1e-6)
    assert AT.grad_cam(cnn, x28[:0], 1).shape == (0, 28, 28)


def test_randomized_copy_keeps_the_architecture_and_changes_the_weights(cnn, x28):
    before = [w.copy() for w in cnn.get_weights()]
    rough = AT.randomized_copy(cnn, seed=0)
    assert [layer.name for layer in rough.layers] == [layer.name for layer in cnn.layers]
    assert rough.name == f"{cnn.name}_randomized"
    assert [w.shape for w in rough.get_weights()] == [w.shape for w in before]
    for layer in cnn.layers:
        for old, new in zip(layer.get_weights(), rough.get_layer(layer.name).get_weights()):
            if old.ndim >= 2:  # kernels are redrawn; biases go back to their initializer (zeros)
                assert not np.allclose(old, new), layer.name
    for old, now in zip(before, cnn.get_weights()):
        np.testing.assert_array_equal(old, now)  # the original is untouched
    same = AT.randomized_copy(cnn, seed=0)
    for a, b in zip(rough.get_weights(), same.get_weights()):
        np.testing.assert_array_equal(a, b)  # seeded
    assert not np.allclose(AT.randomized_copy(cnn, seed=1).get_weights()[0], rough.get_weights()[0])


def test_randomized_copy_cascades_from_the_top(cnn):
    top = AT.randomized_copy(cnn, from_layer="Dense_1", seed=5)
    for name in ("Conv2D_1", "Conv2D_2", "Conv2D_3"):
        for old, new in zip(cnn.get_layer(name).get_weights(), top.get_layer(name).get_weights()):
            np.testing.assert_array_equal(old, new)
    for name in ("Dense_1", "Dense_2"):
        assert not np.allclose(cnn.get_layer(name).get_weights()[0], top.get_layer(name).get_weights()[0])


def test_rank_correlation():
    a = np.random.default_rng(0).normal(size=(3, 5, 5, 1))
    np.testing.assert_allclose(AT.rank_correlation(a, 2 * a + 1, absolute=False), 1.0)
    np.testing.assert_allclose(AT.rank_correlation(a, -a, absolute=False), -1.0)
    np.testing.assert_allclose(AT.rank_correlation(a, -a), 1.0)  # same importance, opposite sign
    assert np.isnan(AT.rank_correlation(a, np.zeros_like(a))).all()  # a constant map ranks nothing
    # on a mask only the chosen pixels count: agree there, disagree elsewhere
    mask = np.zeros(a.shape, bool)
    mask[:, :2] = True
    b = np.where(mask, a, -a)
    np.testing.assert_allclose(AT.rank_correlation(a, b, absolute=False, mask=mask), 1.0)
    assert np.all(AT.rank_correlation(a, b, absolute=False) < 0.5)
    with pytest.raises(ValueError, match="same shape"):
        AT.rank_correlation(a, a[:2])
    with pytest.raises(ValueError, match="mask must have the shape"):
        AT.rank_correlation(a, a, mask=mask[:, :3])


def test_attribution_of_the_trained_direction_differs_from_a_random_model(cnn, x28):
    trained = AT.saliency(cnn, x28, 2)
    rough = AT.saliency(AT.randomized_copy(cnn, seed=0), x28, 2)
    assert np.all(AT.rank_correlation(trained, rough) < 0.9)


def test_errors(cnn, x28):
    with pytest.raises(ValueError, match=r"no layer 'Conv2D_9'; valid names: image, Conv2D_1, .*Softmax"):
        AT.grad_cam(cnn, x28, 0, layer_name="Conv2D_9")
    with pytest.raises(ValueError, match="no layer 'logits'"):
        AT.saliency(cnn, x28, 0, target_layer="logits")
    with pytest.raises(ValueError, match=r"target_layer 'Conv2D_3' has output shape \(3, 3, 16\).*\(n, units\)"):
        AT.saliency(cnn, x28, 0, target_layer="Conv2D_3")
    with pytest.raises(ValueError, match=r"class index 10 is out of range for layer 'Dense_2' with 10 units: valid 0..9"):
        AT.saliency(cnn, x28, 10)
    with pytest.raises(ValueError, match="class index -1 is out of range"):
        AT.integrated_gradients(cnn, x28, [0, 1, 2, 3, 4, 5, -1])
    with pytest.raises(ValueError, match=r"one class index per image: got class_indices of shape \(2,\) for 7 images"):
        AT.smoothgrad(cnn, x28, [0, 1])
    with pytest.raises(ValueError, match="class_indices must be integers"):
        AT.saliency(cnn, x28, 1.5)
    with pytest.raises(ValueError, match=r"expects images of shape \(n, 28, 28, 1\), got \(28, 28, 1\).*batch axis"):
        AT.saliency(cnn, x28[0], 0)
    with pytest.raises(ValueError, match=r"got \(7, 28, 28\).*channel axis"):
        AT.grad_cam(cnn, x28[..., 0], 0)
    with pytest.raises(ValueError, match="standardized float images"):
        AT.saliency(cnn, np.zeros((2, 28, 28, 1), np.uint8), 0)
    with pytest.raises(ValueError, match=r"Grad-CAM needs a layer with maps .* 'Dense_1' has output shape \(None, 5\)"):
        AT.grad_cam(cnn, x28, 0, layer_name="Dense_1")
    with pytest.raises(ValueError, match=r"baseline must be None, a number, one image of shape \(28, 28, 1\)"):
        AT.integrated_gradients(cnn, x28, 0, baseline=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1, got 0"):
        AT.integrated_gradients(cnn, x28, 0, n_steps=0)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1, got 0"):
        AT.smoothgrad(cnn, x28, 0, n_samples=0)
    with pytest.raises(ValueError, match="noise_level must be a finite number >= 0, got -0.1"):
        AT.smoothgrad(cnn, x28, 0, noise_level=-0.1)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        AT.saliency(cnn, x28, 0, batch_size=0)
    with pytest.raises(ValueError, match="no layer 'Dense_7'"):
        AT.randomized_copy(cnn, from_layer="Dense_7")
    with pytest.raises(ValueError, match=r"attributions must have the shape of x"):
        AT.completeness_gap(cnn, np.zeros((7, 28, 28)), x28, 0)
