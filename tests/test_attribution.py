"""helpers.attribution: each method against a case with a known answer, batching, the sanity-check tools, errors.

Small seeded models (a linear model, a cubic model whose gradient is known, a conv net whose Grad-CAM reduces to
CAM, a slim version of the series' CNN) and, for the sanity check, the committed trained model.
"""

import keras
import numpy as np
import pytest

from helpers import attribution as AT
from helpers import data
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


def _cubic() -> keras.Model:
    """score = sum(x^3) / 3 on 6x6 grey images (one class): its gradient is x^2, pixel by pixel."""
    inputs = keras.Input((6, 6, 1), name="image")
    cubed = keras.layers.Multiply(name="cube")([inputs, inputs, inputs])
    flat = keras.layers.Flatten(name="Flatten")(cubed)
    score = keras.layers.Dense(1, use_bias=False, name="score", kernel_initializer=keras.initializers.Constant(1 / 3))(flat)
    return keras.Model(inputs, score, name="cubic")


@pytest.fixture(scope="module")
def linear():
    return _linear()


@pytest.fixture(scope="module")
def trained():
    """The committed model and eight standardized test digits with their labels."""
    model, _, standardizer = M.load_model()
    (_, _), (x_test, y_test) = data.load_mnist(verify_checksums=False)
    return model, standardizer.apply(x_test[:8]), y_test[:8].astype(np.int64)


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


def test_integrated_gradients_with_one_baseline_per_image_in_one_or_several_passes(cnn, x28):
    x, classes = x28[:2], np.array([3, 8])
    baselines = np.stack([np.full(x.shape[1:], -0.42, np.float32), np.zeros(x.shape[1:], np.float32)])
    alone = np.concatenate([AT.integrated_gradients(cnn, x[i : i + 1], classes[i : i + 1], baselines[i], n_steps=8)
                            for i in range(2)])
    np.testing.assert_allclose(AT.integrated_gradients(cnn, x, classes, baselines, n_steps=8), alone,
                               rtol=1e-4, atol=1e-6)
    one_image_per_pass = AT.integrated_gradients(cnn, x, classes, baselines, n_steps=8, batch_size=9)
    np.testing.assert_allclose(one_image_per_pass, alone, rtol=1e-4, atol=1e-6)


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
    with pytest.raises(ValueError, match=r"same shape \(n, \.\.\.\), got \(5,\) and \(5,\)"):
        AT.rank_correlation(np.arange(5.0), np.arange(5.0))  # one map, not a batch of maps
    with pytest.raises(ValueError, match="mask must have the shape"):
        AT.rank_correlation(a, a, mask=mask[:, :3])


def test_attribution_of_the_trained_model_differs_from_a_random_model(trained):
    model, x, y = trained
    grads = AT.saliency(model, x, y)
    np.testing.assert_allclose(AT.rank_correlation(grads, AT.saliency(model, x, y), absolute=False), 1.0)
    rough = AT.saliency(AT.randomized_copy(model, seed=0), x, y)
    # fresh weights: the signed pixel ranking of the trained model is gone (|rho| ~ 0.05 measured)
    assert np.abs(AT.rank_correlation(grads, rough, absolute=False)).mean() < 0.25
    # cascading: re-initializing more layers destroys more (|saliency| ranks: ~0.84 top layer only, ~0.69 all)
    top_only = AT.saliency(AT.randomized_copy(model, from_layer="Dense_2", seed=0), x, y)
    assert AT.rank_correlation(grads, top_only).mean() > AT.rank_correlation(grads, rough).mean() + 0.05


def test_smoothgrad_noise_is_a_fraction_of_each_images_value_range():
    """For score = sum(x^3)/3 the gradient is x^2, so SmoothGrad averages (x + noise)^2 = x^2 + sigma^2: the pixels at
    0 measure sigma^2, which must be (noise_level x (max - min) of that image)^2."""
    cubic = _cubic()
    x = np.zeros((2, 6, 6, 1), np.float32)
    x[0, 0, 0], x[1, 0, 0], x[1, 5, 5] = 2.0, 5.0, -3.0  # value ranges 2 and 8
    smooth = AT.smoothgrad(cubic, x, 0, n_samples=4000, noise_level=0.15, seed=0, target_layer="score")
    np.testing.assert_allclose(AT.saliency(cubic, x, 0, target_layer="score"), x**2, rtol=1e-6)  # the premise
    background = np.ones((6, 6, 1), bool)
    background[0, 0] = background[5, 5] = False
    for image, value_range in zip(smooth, (2.0, 8.0)):
        sigma2 = (0.15 * value_range) ** 2
        assert image[background].mean() == pytest.approx(sigma2, rel=0.03)
    assert smooth[0, 0, 0, 0] == pytest.approx(4.0 + (0.15 * 2.0) ** 2, rel=0.05)


def _bilinear_half_pixel(coarse: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Reference bilinear resize of (n, h, w) to (n, H, W): half-pixel centres, clamped at the edges."""
    n, h, w = coarse.shape

    def weights(out: int, inp: int) -> np.ndarray:
        src = np.clip((np.arange(out) + 0.5) * inp / out - 0.5, 0, inp - 1)
        low = np.floor(src).astype(int)
        high = np.minimum(low + 1, inp - 1)
        matrix = np.zeros((out, inp))
        matrix[np.arange(out), low] += 1 - (src - low)
        matrix[np.arange(out), high] += src - low
        return matrix

    rows, cols = weights(size[0], h), weights(size[1], w)
    return np.einsum("Hh,nhw,Ww->nHW", rows, coarse, cols)


def test_grad_cam_upsampling_is_bilinear_from_the_coarse_map(cnn, x28):
    coarse = AT.grad_cam(cnn, x28, np.arange(7), upsample=False)  # (7, 3, 3)
    fine = AT.grad_cam(cnn, x28, np.arange(7))
    assert coarse.max() > 0
    np.testing.assert_allclose(fine, _bilinear_half_pixel(coarse, (28, 28)), rtol=1e-4, atol=1e-5 * coarse.max())


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
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        AT.saliency(cnn, x28, 0, batch_size=0)
    with pytest.raises(ValueError, match="no layer 'Dense_7'"):
        AT.randomized_copy(cnn, from_layer="Dense_7")
    with pytest.raises(ValueError, match=r"attributions must have the shape of x"):
        AT.completeness_gap(cnn, np.zeros((7, 28, 28)), x28, 0)


def test_nan_and_infinite_inputs_are_refused(cnn, x28):
    with pytest.raises(ValueError, match=r"baseline holds 1 NaN and 0 infinite value\(s\).*valid: finite numbers only"):
        AT.integrated_gradients(cnn, x28, 0, baseline=float("nan"))
    image = np.zeros((28, 28, 1), np.float32)
    image[3, 4] = np.inf
    with pytest.raises(ValueError, match=r"baseline holds 0 NaN and 1 infinite value\(s\), the first at index \(3, 4, 0\)"):
        AT.integrated_gradients(cnn, x28, 0, baseline=image)
    with pytest.raises(ValueError, match=r"baseline holds 1 NaN"):
        AT.completeness_gap(cnn, np.zeros_like(x28), x28, 0, baseline=float("nan"))
    bad = x28.copy()
    bad[2, 0, 0] = np.nan
    for method in (AT.saliency, AT.smoothgrad, AT.grad_cam, AT.integrated_gradients, AT.class_scores):
        with pytest.raises(ValueError, match=r"x holds 1 NaN and 0 infinite value\(s\), the first at index \(2, 0, 0, 0\)"):
            method(cnn, bad, 0)
    with pytest.raises(ValueError, match=r"n_steps must be an integer >= 1, got 2\.5"):
        AT.integrated_gradients(cnn, x28, 0, n_steps=2.5)
    with pytest.raises(ValueError, match=r"noise_level must be a finite number >= 0, got nan"):
        AT.smoothgrad(cnn, x28, 0, noise_level=float("nan"))
    maps = np.ones((1, 2, 2))
    maps[0, 1, 1] = np.nan
    with pytest.raises(ValueError, match=r"a holds 1 NaN and 0 infinite value\(s\), the first at index \(0, 1, 1\)"):
        AT.rank_correlation(maps, np.ones((1, 2, 2)))


def test_verbose_lines_and_empty_batches(cnn, x28, capsys):
    AT.integrated_gradients(cnn, x28[:2], 1, n_steps=8)
    AT.smoothgrad(cnn, x28[:2], 1, n_samples=3)
    assert capsys.readouterr().out == ""
    ig = AT.integrated_gradients(cnn, x28[:2], 1, n_steps=8, verbose=True)
    gap = np.abs(AT.completeness_gap(cnn, ig, x28[:2], 1)).max()
    out = capsys.readouterr().out
    assert out.startswith("integrated gradients: 2 images x 9 points, ") and out.count("\n") == 1
    assert out.rstrip().endswith(f"largest completeness gap {gap:.3g} (score units)")
    AT.smoothgrad(cnn, x28[:2], 1, n_samples=3, noise_level=0.25, verbose=True)
    out = capsys.readouterr().out
    assert out.startswith("SmoothGrad: 2 images x 3 noisy copies (noise 25% of the value range), ") and out.count("\n") == 1
    for method in (AT.saliency, AT.smoothgrad, AT.integrated_gradients):
        assert method(cnn, x28[:0], 1).shape == (0, 28, 28, 1)


def test_rank_correlation_needs_two_pixels_on_the_mask():
    a = np.arange(8.0).reshape(2, 2, 2)
    b = a.copy()
    b[1] = a[1, :, ::-1]  # image 1 mirrored: its ranks reversed within each row
    two = np.zeros(a.shape, bool)
    two[:, 0] = True  # two pixels per image
    np.testing.assert_allclose(AT.rank_correlation(a, b, absolute=False, mask=two), [1.0, -1.0])
    one = np.zeros(a.shape, bool)
    one[:, 0, 0] = True
    assert np.isnan(AT.rank_correlation(a, b, mask=one)).all()  # one pixel ranks nothing
    from scipy.stats import spearmanr

    rng = np.random.default_rng(3)
    c, d = rng.normal(size=(4, 6, 6)), rng.normal(size=(4, 6, 6))
    expected = [spearmanr(np.abs(p).ravel(), np.abs(q).ravel()).statistic for p, q in zip(c, d)]
    np.testing.assert_allclose(AT.rank_correlation(c, d), expected, rtol=1e-12)


def test_documented_defaults():
    """Notebook 13's figures depend on these: 50 noisy copies at 15 % of the value range, 64 path intervals,
    Grad-CAM on Conv2D_3 upsampled, the logits Dense_2 as the class score."""
    import inspect

    def defaults(function):
        return {name: p.default for name, p in inspect.signature(function).parameters.items()
                if p.default is not inspect.Parameter.empty}

    assert AT.DEFAULT_TARGET_LAYER == "Dense_2"
    assert defaults(AT.saliency) == dict(target_layer=None, absolute=False, batch_size=500)
    assert defaults(AT.smoothgrad) == dict(n_samples=50, noise_level=0.15, seed=0, target_layer=None,
                                           absolute=False, batch_size=500, verbose=False)
    assert defaults(AT.grad_cam) == dict(layer_name="Conv2D_3", target_layer=None, upsample=True, batch_size=500)
    assert defaults(AT.integrated_gradients) == dict(baseline=None, n_steps=64, target_layer=None,
                                                     batch_size=500, verbose=False)
    assert defaults(AT.randomized_copy) == dict(from_layer=None, seed=0)
    assert defaults(AT.rank_correlation) == dict(absolute=True, mask=None)


def test_smoothgrad_with_fewer_images_per_pass_than_images(cnn, x28):
    whole = AT.smoothgrad(cnn, x28, 4, n_samples=4, noise_level=0.2, seed=3)
    np.testing.assert_allclose(AT.smoothgrad(cnn, x28, 4, n_samples=4, noise_level=0.2, seed=3, batch_size=3), whole,
                               rtol=1e-4, atol=1e-6)  # batch_size 3 < 7 images: one noisy copy per pass


def test_randomized_copy_of_a_sequential_model_and_of_twin_layers():
    twins = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, name="a"), keras.layers.Dense(4, name="b")])
    rough = AT.randomized_copy(twins, seed=0)
    for name in ("a", "b"):  # a Sequential model has no InputLayer among its layers: the first one counts too
        assert not np.allclose(rough.get_layer(name).get_weights()[0], twins.get_layer(name).get_weights()[0])
    # each variable gets its own seed: layers of the same shape and initializer do not come out equal
    assert not np.allclose(rough.get_layer("a").get_weights()[0], rough.get_layer("b").get_weights()[0])


def test_rank_correlation_accepts_flat_attributions_of_shape_n_by_features():
    """(n, features) is a valid shape: only 1-D input is refused."""
    a = np.arange(12, dtype=float).reshape(2, 6)
    result = AT.rank_correlation(a, a[:, ::-1].copy(), absolute=False)
    np.testing.assert_allclose(result, [-1.0, -1.0])


def test_every_weight_of_the_randomized_copy_gets_its_own_seed():
    """Two layers of the same shape must not be re-initialized alike: each variable draws with its own seed."""
    inputs = keras.Input((4,))
    x = keras.layers.Dense(4, name="twin_a")(inputs)
    x = keras.layers.Dense(4, name="twin_b")(x)
    twins = keras.Model(inputs, keras.layers.Dense(2, name="out")(x))
    rough = AT.randomized_copy(twins, seed=3)
    a, b = (rough.get_layer(name).get_weights()[0] for name in ("twin_a", "twin_b"))
    assert not np.allclose(a, b)
    assert np.abs(a).max() <= np.sqrt(6 / 8) + 1e-6  # still Glorot-uniform: limit sqrt(6 / (fan_in + fan_out))
