"""helpers.oip: start images, the batched ascent (equal to one-at-a-time), zero-loss outcome, scan, errors."""

import keras
import numpy as np
import pytest

from helpers import oip


def _toy_conv(bias: float = 0.0, seed: int = 0, input_shape=(12, 12, 1), maps: int = 4) -> keras.Model:
    """Conv(3x3, ReLU) -> pool -> Conv(3x3, ReLU) named 'deep', with seeded weights."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(6, 3, activation="relu", name="first", kernel_initializer=keras.initializers.GlorotUniform(seed))(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(maps, 3, activation="relu", name="deep", bias_initializer=keras.initializers.Constant(bias),
                            kernel_initializer=keras.initializers.GlorotUniform(seed + 1))(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(3, name="dense", kernel_initializer=keras.initializers.GlorotUniform(seed + 2))(x)
    return keras.Model(inputs, outputs, name="toy")


@pytest.fixture(scope="module")
def toy():
    return _toy_conv()


def test_initial_images_are_standardized_seeded_and_multiscale():
    a = oip.initial_images(6, (28, 28, 1), seed=1)
    b = oip.initial_images(6, (28, 28, 1), seed=1)
    assert a.shape == (6, 28, 28, 1) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, oip.initial_images(6, (28, 28, 1), seed=2))
    np.testing.assert_allclose(a.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(a.std(axis=(1, 2, 3)), 1, atol=1e-4)

    def neighbour_correlation(x):
        return np.corrcoef(x[:, :, :-1].ravel(), x[:, :, 1:].ravel())[0, 1]

    coarse = oip.initial_images(20, (28, 28, 1), scales=[(3, 3)], seed=0)
    noise = oip.initial_images(20, (28, 28, 1), scales=[(28, 28)], seed=0)
    assert neighbour_correlation(coarse) > 0.95 and abs(neighbour_correlation(noise)) < 0.1
    smoothed = oip.initial_images(20, (28, 28, 1), scales=[(28, 28)], smoothing_sigma=1.5, seed=0)
    assert neighbour_correlation(smoothed) > 0.5
    assert oip.initial_images(2, (9, 7, 3), seed=0).shape == (2, 9, 7, 3)


def test_initial_images_errors():
    with pytest.raises(ValueError, match="2 amplitudes for 1 scales"):
        oip.initial_images(2, scales=[(3, 3)], amplitudes=[1, 2])
    with pytest.raises(ValueError, match="grid sizes"):
        oip.initial_images(2, scales=[(0, 3)])
    with pytest.raises(ValueError, match=r"\(height, width, channels\)"):
        oip.initial_images(2, image_shape=(28, 28))


def test_high_frequency_share_separates_smooth_from_noise():
    smooth = oip.initial_images(8, (28, 28, 1), scales=[(3, 3)], seed=0)
    noise = oip.initial_images(8, (28, 28, 1), scales=[(28, 28)], seed=0)
    assert np.all(oip.high_frequency_share(smooth) < 0.1)  # edges of a non-periodic image leak a little
    np.testing.assert_allclose(oip.high_frequency_share(noise), 1 - np.pi / 4 * 0.25, atol=0.08)
    assert oip.high_frequency_share(np.zeros((1, 5, 5, 1)))[0] == 0
    with pytest.raises(ValueError, match=r"expected images \(n, h, w, c\)"):
        oip.high_frequency_share(np.zeros((5, 5)))


def test_log_spaced_steps():
    assert oip.log_spaced_steps(600) == [9, 18, 36, 72, 144, 288, 576, 600]
    assert oip.log_spaced_steps(10) == [9, 10]


def test_ascent_increases_the_objective(toy):
    result = oip.run_oip(toy, "deep", [0, 1, 2, 3], n_steps=80, epsilon=0.05, early_stop=False, seed=3)
    assert result.images.shape == (4, 12, 12, 1) and result.losses.shape == (81, 4)
    reacted = result.reacted
    assert reacted.any()
    assert np.all(result.final_loss[reacted] > result.losses[0][reacted])
    np.testing.assert_allclose(result.images.std(axis=(1, 2, 3)), 1, atol=1e-3)  # re-standardized
    assert sorted(result.snapshots) == [9, 18, 36, 72, 80]


def test_batched_equals_one_map_at_a_time(toy):
    x0 = oip.initial_images(3, (12, 12, 1), seed=5)
    maps = [2, 0, 3]
    batched = oip.run_oip(toy, "deep", maps, x0=x0, n_steps=40, early_stop=False)
    for i, map_index in enumerate(maps):
        single = oip.run_oip(toy, "deep", map_index, x0=x0[i : i + 1], n_steps=40, early_stop=False)
        np.testing.assert_allclose(single.images[0], batched.images[i], atol=1e-4)
        np.testing.assert_allclose(single.losses[:, 0], batched.losses[:, i], rtol=1e-4, atol=1e-6)
    chunked = oip.run_oip(toy, "deep", maps, x0=x0, n_steps=40, early_stop=False, chunk_size=2)
    np.testing.assert_allclose(chunked.images, batched.images, atol=1e-5)


def test_silent_map_is_reported_and_pre_activation_wakes_it():
    silent = _toy_conv(bias=-0.5)
    x0 = np.zeros((1, 12, 12, 1), np.float32)  # flat start: every ReLU input is just the bias
    stuck = oip.run_oip(silent, "deep", [0], x0=x0, n_steps=30)
    assert not stuck.reacted[0] and np.all(stuck.losses == 0) and stuck.steps_run < 30  # early stop: nothing to do
    assert "0 of 1 reacted" in stuck.summary()
    woken = oip.run_oip(silent, "deep", [0], x0=x0 + 0.01 * oip.initial_images(1, (12, 12, 1)), n_steps=120,
                        epsilon=0.05, pre_activation_steps=60)
    assert woken.reacted[0] and woken.final_loss[0] > 0


def test_node_dense_unit_and_colour_input():
    colour = _toy_conv(input_shape=(16, 16, 3))
    node = oip.run_oip(colour, "deep", [1, 1], node=(0, 2), n_steps=40, epsilon=0.05, early_stop=False, seed=1)
    assert node.images.shape == (2, 16, 16, 3) and node.node == (0, 2)
    unit = oip.run_oip(colour, "dense", [0, 1, 2], n_steps=40, epsilon=0.05, early_stop=False, seed=1)
    assert np.all(unit.final_loss > unit.losses[0])  # a linear unit always has a gradient


def test_fourier_damping_removes_high_frequencies(toy):
    x0 = oip.initial_images(4, (12, 12, 1), scales=[(12, 12)], seed=2)

    def high_frequency_power(x):
        spectrum = np.abs(np.fft.fft2(x[..., 0])) ** 2
        return spectrum[:, 4:9, 4:9].sum() / spectrum.sum()

    kwargs = dict(n_steps=20, early_stop=False, x0=x0)
    plain = oip.run_oip(toy, "deep", [0, 1, 2, 3], damping=None, **kwargs)
    damped = oip.run_oip(toy, "deep", [0, 1, 2, 3], damping="fourier", damping_sigma=0.5, **kwargs)
    blurred = oip.run_oip(toy, "deep", [0, 1, 2, 3], damping="blur", damping_sigma=1.0, **kwargs)
    assert high_frequency_power(damped.images) < 0.5 * high_frequency_power(plain.images)
    assert high_frequency_power(blurred.images) < 0.5 * high_frequency_power(plain.images)


def test_convergence_is_detected():
    model = _toy_conv(seed=4)
    result = oip.run_oip(model, "deep", [0, 1, 2, 3], n_steps=600, epsilon=0.02, tolerance=1e-3, seed=0)
    reacted = result.reacted
    assert np.all(result.converged[reacted])
    assert result.steps_run < 600  # early stop once every reacting map converged
    assert np.all(result.converged_at[reacted] <= result.steps_run)


def test_precursor_scan_picks_the_best_candidate(toy):
    scan = oip.precursor_scan(toy, "deep", n_candidates=64, seed=0)
    assert scan.starts.shape == (4, 12, 12, 1) and scan.map_indices.tolist() == [0, 1, 2, 3]
    values = oip.objective_values(toy, "deep", scan.map_indices, scan.starts)
    np.testing.assert_allclose(values, scan.best_value, rtol=1e-5)
    candidates = oip.initial_images(64, (12, 12, 1), scales=((3, 3), (7, 7)), seed=0)
    for map_index in range(4):  # no candidate beats the chosen one
        all_values = oip.objective_values(toy, "deep", [map_index] * 64, candidates)
        assert all_values.max() == pytest.approx(scan.best_value[map_index], rel=1e-5)
    assert np.all((0 <= scan.fraction_active) & (scan.fraction_active <= 1))


def test_errors_name_what_is_valid(toy):
    with pytest.raises(ValueError, match="has no layer 'Conv2D_9'; valid names: .*deep"):
        oip.run_oip(toy, "Conv2D_9", [0])
    with pytest.raises(ValueError, match=r"map_index 4 is out of range for layer 'deep' with 4 maps: valid 0..3"):
        oip.run_oip(toy, "deep", [0, 4])
    with pytest.raises(ValueError, match=r"node \(3, 0\) is outside the 3x3 maps"):
        oip.run_oip(toy, "deep", [0], node=(3, 0))
    with pytest.raises(ValueError, match="dense: it has no nodes"):
        oip.run_oip(toy, "dense", [0], node=(0, 0))
    with pytest.raises(ValueError, match=r"expects images of shape \(n, 12, 12, 1\)"):
        oip.run_oip(toy, "deep", [0], x0=np.zeros((1, 28, 28, 1), np.float32))
    with pytest.raises(ValueError, match="2 map indices for 1 start images"):
        oip.run_oip(toy, "deep", [0, 1], x0=np.zeros((1, 12, 12, 1), np.float32))
    with pytest.raises(ValueError, match="unknown damping 'median'"):
        oip.run_oip(toy, "deep", [0], damping="median")
    with pytest.raises(ValueError, match="OIPs need a conv layer"):
        sequence_model = keras.Model(*(lambda i: (i, keras.layers.Dense(2, name="d")(i)))(keras.Input((4, 4))))
        oip.layer_info(sequence_model, "d")  # output (4, 2): neither (h, w, maps) nor (units,)
    with pytest.raises(ValueError, match="fixed size"):
        free = keras.Model(*(lambda i: (i, keras.layers.Conv2D(2, 3, name="c")(i)))(keras.Input((None, None, 1))))
        oip.run_oip(free, "c", [0])


def test_cached_engines_do_not_keep_models_alive():
    import gc
    import weakref

    model = _toy_conv(seed=9)
    oip.run_oip(model, "deep", [0], n_steps=2, early_stop=False)
    assert model in oip._ENGINES
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None  # the engine cache released the model (no memory growth in long sessions)


def test_coarse_to_fine_forms_coarse_structure_first(toy):
    x0 = oip.initial_images(4, (12, 12, 1), scales=[(12, 12)], seed=6)
    kwargs = dict(x0=x0, n_steps=30, epsilon=0.1, damping=None, restandardize=False, early_stop=False)
    plain = oip.run_oip(toy, "deep", [0, 1, 2, 3], **kwargs)
    coarse = oip.run_oip(toy, "deep", [0, 1, 2, 3], coarse_to_fine=[(30, 0.2)], **kwargs)
    released = oip.run_oip(toy, "deep", [0, 1, 2, 3], coarse_to_fine=[(10, 0.2), (20, 0.5)], **kwargs)
    change = {name: r.images - x0 for name, r in  # what the ascent added
              (("plain", plain), ("coarse", coarse), ("released", released))}
    share = {name: oip.high_frequency_share(c).mean() for name, c in change.items()}
    assert share["coarse"] < 0.5 * share["plain"]  # the ascent only added smooth structure
    assert share["coarse"] < share["released"]  # finer scales were released later
    with pytest.raises(ValueError, match="increasing steps"):
        oip.run_oip(toy, "deep", [0], coarse_to_fine=[(20, 0.2), (10, 0.5)])
    with pytest.raises(ValueError, match="cutoffs > 0"):
        oip.run_oip(toy, "deep", [0], coarse_to_fine=[(20, 0.0)])
