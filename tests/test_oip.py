"""helpers.oip: start images, the batched ascent (equal to one-at-a-time), zero-loss outcome, scan, errors."""

import dataclasses

import keras
import numpy as np
import pytest

from helpers import activations as A
from helpers import oip


def _toy_conv(bias: float = 0.0, seed: int = 0, input_shape=(12, 12, 1), maps: int = 4) -> keras.Model:
    """Conv(3x3, ReLU) -> pool -> Conv(3x3, ReLU) named 'deep', with seeded weights."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(6, 3, activation="relu", name="first", kernel_initializer=keras.initializers.GlorotUniform(seed))(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(maps, 3, activation="relu", name="deep", bias_initializer=keras.initializers.Constant(bias),
                            kernel_initializer=keras.initializers.GlorotUniform(seed + 1))(x)
    x = keras.layers.Flatten(name="flat")(x)
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


def _first_converged_reference(losses: np.ndarray, tolerance: float, window: int, first: int, end: int) -> np.ndarray:
    """The documented criterion, one row and one image at a time: the first row t in first..end-1 with a positive
    objective whose change over the last ``window`` rows is below ``tolerance * window * |objective|``."""
    found = np.full(losses.shape[1], -1)
    for i in range(losses.shape[1]):
        for t in range(max(first, window), end):
            now, before = float(losses[t, i]), float(losses[t - window, i])
            if now > 0 and abs(now - before) < tolerance * window * max(abs(now), 1e-12):
                found[i] = t
                break
    return found


def test_convergence_is_detected():
    model = _toy_conv(seed=4)
    result = oip.run_oip(model, "deep", [0, 1, 2, 3], n_steps=600, epsilon=0.02, tolerance=1e-3, seed=0)
    reacted = result.reacted
    assert reacted.sum() >= 2 and np.all(result.converged[reacted])
    assert result.steps_run < 600  # early stop once every reacting map converged
    # converged_at is exactly the first row that meets the criterion among the rows checked (0..steps_run-1)
    expected = _first_converged_reference(result.losses, 1e-3, 20, 20, result.steps_run)
    np.testing.assert_array_equal(result.converged_at, expected)
    assert np.all(result.converged_at[reacted] >= 20)  # a full window of history first
    np.testing.assert_array_equal(oip.first_converged(result.losses, 1e-3, 20, 0, result.steps_run), expected)
    # the run stops at the first block boundary (multiples of block_size=10, snapshot steps) after which every
    # map has converged or never reacted
    boundaries = sorted(set(range(10, 601, 10)) | set(oip.log_spaced_steps(600)))
    last_needed = max(int(result.converged_at[reacted].max()) + 1, 20)
    assert result.steps_run == min(b for b in boundaries if b >= last_needed)
    # a looser tolerance converges no later, a stricter one no earlier
    loose = oip.run_oip(model, "deep", [0, 1, 2, 3], n_steps=600, epsilon=0.02, tolerance=1e-2, seed=0)
    assert np.all(loose.converged_at[reacted] <= result.converged_at[reacted])
    assert np.any(loose.converged_at[reacted] < result.converged_at[reacted])


def test_without_early_stop_the_run_goes_on_and_convergence_is_still_recorded():
    model = _toy_conv(seed=4)
    result = oip.run_oip(model, "deep", [0, 1, 2, 3], n_steps=200, epsilon=0.02, tolerance=1e-3, seed=0,
                         early_stop=False)
    assert result.steps_run == 200 and result.losses.shape == (201, 4)
    np.testing.assert_array_equal(result.converged_at, _first_converged_reference(result.losses, 1e-3, 20, 20, 200))


def test_precursor_scan_picks_the_best_candidate(toy):
    scan = oip.precursor_scan(toy, "deep", n_candidates=64, seed=0)
    assert scan.starts.shape == (4, 12, 12, 1) and scan.map_indices.tolist() == [0, 1, 2, 3]
    values = oip.objective_values(toy, "deep", scan.map_indices, scan.starts)
    np.testing.assert_allclose(values, scan.best_value, rtol=1e-5)
    candidates = oip.initial_images(64, (12, 12, 1), scales=((3, 3), (7, 7)), seed=0)
    for map_index in range(4):  # no candidate beats the chosen one
        all_values = oip.objective_values(toy, "deep", [map_index] * 64, candidates)
        assert all_values.max() == pytest.approx(scan.best_value[map_index], rel=1e-5)
        assert scan.fraction_active[map_index] == pytest.approx(np.mean(all_values > 0))
        np.testing.assert_allclose(scan.starts[map_index], candidates[all_values.argmax()])
    assert len(set(scan.fraction_active.round(6))) > 1  # the maps differ: the fractions are not a constant
    # batch size does not matter; a subset of maps gets the same starts
    np.testing.assert_array_equal(oip.precursor_scan(toy, "deep", n_candidates=64, seed=0, batch_size=7).starts,
                                  scan.starts)
    subset = oip.precursor_scan(toy, "deep", map_indices=[3, 1], n_candidates=64, seed=0)
    assert subset.map_indices.tolist() == [3, 1]
    np.testing.assert_array_equal(subset.starts, scan.starts[[3, 1]])


def test_precursor_scan_falls_back_to_the_pre_activation_for_a_map_silent_on_every_candidate():
    model = _toy_conv(seed=11)
    candidates = oip.initial_images(64, (12, 12, 1), scales=((3, 3), (7, 7)), seed=0)
    kernel, bias = model.get_layer("deep").get_weights()
    pre = A.extract(model, candidates, "deep", pre_activation=True)[..., 1] - bias[1]  # (64, 3, 3) without bias
    bias[1] = -pre.max() - 0.05  # map 1 is now negative on every node of every candidate
    model.get_layer("deep").set_weights([kernel, bias])
    scan = oip.precursor_scan(model, "deep", n_candidates=64, seed=0)
    assert scan.best_value[1] == 0 and scan.fraction_active[1] == 0  # no candidate makes map 1 fire
    assert np.all(scan.fraction_active[[0, 2, 3]] > 0)
    closest = int((pre + bias[1]).mean(axis=(1, 2)).argmax())  # the highest mean pre-activation
    assert closest != 0  # (the argmax of an all-zero objective would be candidate 0)
    np.testing.assert_array_equal(scan.starts[1], candidates[closest])
    # from that start the pre-activation warm-up wakes the map: the fallback leads to a pattern
    woken = oip.run_oip(model, "deep", [1], x0=scan.starts[1:2], n_steps=150, epsilon=0.05, pre_activation_steps=60,
                        early_stop=False)
    assert woken.losses[0, 0] == 0 and woken.reacted[0] and woken.final_loss[0] > 0


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


_BAD_RUN_ARGUMENTS = [
    # indices and nodes: never truncated, never wrapped
    (dict(map_indices=[3.7]), r"map indices must be integers \(valid 0\.\.3\), got 3\.7"),
    (dict(map_indices=2.0), r"map indices must be integers \(valid 0\.\.3\), got 2\.0"),
    (dict(map_indices=[True]), "map indices must be integers"),
    (dict(map_indices=[2**32 + 5]), r"map_index 4294967301 is out of range for layer 'deep' with 4 maps: valid 0\.\.3"),
    (dict(map_indices=[2**70]), r"map_index 1180591620717411303424 is out of range"),
    (dict(map_indices=[[0, 1]]), r"map_indices must be one index or a 1-D sequence of indices \(valid 0\.\.3\), got shape \(1, 2\)"),
    (dict(map_indices=[]), r"map_indices is empty; give at least one index of layer 'deep' \(valid 0\.\.3\)"),
    (dict(node=(0.5, 1)), r"node must be a pair of integers \(row, col\) \(valid rows 0\.\.2, cols 0\.\.2\), got \(0\.5, 1\)"),
    (dict(node=(1,)), r"node must be a pair of integers"),
    (dict(node=(1, 2, 0)), r"node must be a pair of integers"),
    (dict(node=1), r"node must be a pair of integers"),
    (dict(node="12"), r"node must be a pair of integers"),
    (dict(node=(2**32, 0)), r"node \(4294967296, 0\) is outside the 3x3 maps of layer 'deep'"),
    (dict(snapshot_steps=[0, 5]), r"snapshot_steps must be integer steps in 1\.\.10 \(n_steps\), got 0"),
    (dict(snapshot_steps=[11]), r"snapshot_steps must be integer steps in 1\.\.10 \(n_steps\), got 11"),
    (dict(snapshot_steps=[2.5]), r"snapshot_steps must be integer steps in 1\.\.10 \(n_steps\), got 2\.5"),
    # start images
    (dict(x0=np.zeros((1, 12, 12, 1), np.uint8)), r"x0 has dtype uint8, but model 'toy' expects standardized float images"),
    (dict(x0=np.where(np.eye(12)[None, :, :, None] > 0, np.nan, 0).astype(np.float32)),
     r"x0 holds 12 NaN and 0 infinite value\(s\), the first at index \(0, 0, 0, 0\); valid: finite numbers only"),
    (dict(x0=np.full((1, 12, 12, 1), np.inf, np.float32)), r"x0 holds 0 NaN and 144 infinite value\(s\)"),
    # numbers: finite, in range, integers where counts are meant
    (dict(epsilon=float("nan")), r"epsilon must be a finite number > 0, got nan"),
    (dict(epsilon=float("inf")), r"epsilon must be a finite number > 0, got inf"),
    (dict(epsilon=0.0), r"epsilon must be a finite number > 0, got 0\.0"),
    (dict(epsilon="0.1"), r"epsilon must be a finite number > 0, got '0\.1'"),
    (dict(damping_sigma=0.0), r"damping_sigma must be a finite number > 0, got 0\.0"),
    (dict(damping_sigma=-1.0), r"damping_sigma must be a finite number > 0, got -1\.0"),
    (dict(damping_sigma=6.0), r"damping_sigma \(pixels, for 12x12 images\) must be a finite number in \(0, 5\.5\], got 6\.0"),
    (dict(damping="fourier", damping_sigma=float("nan")), r"damping_sigma must be a finite number > 0, got nan"),
    (dict(n_steps=2.5), r"n_steps must be an integer in 1\.\.100000, got 2\.5"),
    (dict(n_steps=10.0), r"n_steps must be an integer in 1\.\.100000, got 10\.0"),
    (dict(n_steps=0), r"n_steps must be an integer in 1\.\.100000, got 0"),
    (dict(n_steps=10**12), r"n_steps must be an integer in 1\.\.100000, got 1000000000000"),
    (dict(n_steps=True), r"n_steps must be an integer in 1\.\.100000, got True"),
    (dict(map_indices=np.zeros(6000, int), n_steps=100_000),
     r"n_steps=100000 for 6000 images \(a loss record and 16 snapshots\) would need 2\.2\d* GiB, more than the limit "
     r"of 2 GiB; run fewer steps"),
    (dict(window=0), r"window must be an integer in 1\.\.100000, got 0"),
    (dict(damping_every=1.5), r"damping_every must be an integer >= 1, got 1\.5"),
    (dict(chunk_size=0), r"chunk_size must be an integer >= 1, got 0"),
    (dict(block_size=2.0), r"block_size must be an integer >= 1, got 2\.0"),
    (dict(pre_activation_steps=-1), r"pre_activation_steps must be an integer in 0\.\.100000, got -1"),
    (dict(tolerance=float("nan")), r"tolerance must be a finite number >= 0, got nan"),
    (dict(seed=1.5), r"seed must be an integer >= 0, got 1\.5"),
    (dict(coarse_to_fine=[(10.5, 0.2)]), r"coarse_to_fine must be \(until_step, cutoff\) pairs"),
    (dict(coarse_to_fine=[(10, float("nan"))]), r"finite cutoffs > 0"),
    (dict(coarse_to_fine=[10]), r"coarse_to_fine must be \(until_step, cutoff\) pairs"),
]


@pytest.mark.parametrize("kwargs, message", _BAD_RUN_ARGUMENTS,
                         ids=[f"{i}-{','.join(k)}" for i, (k, _) in enumerate(_BAD_RUN_ARGUMENTS)])
def test_bad_run_arguments_are_refused_naming_what_is_valid(toy, kwargs, message):
    kwargs = dict(dict(layer_name="deep", map_indices=[0], n_steps=10), **kwargs)
    with pytest.raises(ValueError, match=message):
        oip.run_oip(toy, **kwargs)


def test_progress_must_be_a_switch(toy):
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        oip.run_oip(toy, "deep", [0], n_steps=5, progress="yes")
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        oip.precursor_scan(toy, "deep", n_candidates=4, progress=1)


def test_every_run_argument_is_checked_in_one_place(toy):
    """run_oip validates through AscentSettings and check_run_arguments only: the checked values are the ones used."""
    import inspect

    run = inspect.signature(oip.run_oip).parameters
    check = inspect.signature(oip.check_run_arguments).parameters
    assert list(run) == list(check) == ["model", "layer_name", "map_indices", "x0", "node", "settings", "overrides"]
    settings = oip.AscentSettings(n_steps=30, epsilon=0.5, damping_every=2, coarse_to_fine=[[5, 0.3]], tolerance=1e-3,
                                  window=5, snapshot_steps={7, 3}, chunk_size=8, block_size=4, seed=3)
    checked = oip.check_run_arguments(toy, "deep", np.int64(2), None, [1, 2], settings)
    assert checked.map_indices.dtype == np.int32 and checked.map_indices.tolist() == [2]
    assert checked.node == (1, 2) and checked.settings.sigma == oip.DEFAULT_DAMPING_SIGMA["blur"]
    assert checked.snapshot_steps == [3, 7] and checked.settings.coarse_to_fine == ((5, 0.3),)
    np.testing.assert_array_equal(checked.x0, oip.initial_images(1, (12, 12, 1), seed=3))
    # keyword overrides are the same settings, checked the same way
    assert oip.check_run_arguments(toy, "deep", 2, None, [1, 2], settings, n_steps=40).settings == \
        settings.replace(n_steps=40)
    with pytest.raises(TypeError, match="unknown ascent setting.* n_step; valid: n_steps, epsilon"):
        oip.run_oip(toy, "deep", [0], n_step=40)
    with pytest.raises(TypeError, match="settings must be an AscentSettings, got dict"):
        oip.run_oip(toy, "deep", [0], settings={"n_steps": 4})


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


def test_precursor_scan_and_objective_values_errors(toy):
    with pytest.raises(ValueError, match=r"n_candidates must be an integer >= 1, got 2\.5"):
        oip.precursor_scan(toy, "deep", n_candidates=2.5)
    with pytest.raises(ValueError, match=r"n_candidates must be an integer >= 1, got 0"):
        oip.precursor_scan(toy, "deep", n_candidates=0)
    with pytest.raises(ValueError, match=r"map_index 9 is out of range"):
        oip.precursor_scan(toy, "deep", map_indices=[9], n_candidates=4)
    with pytest.raises(ValueError, match="precursor_scan works on conv layers; 'dense' is dense"):
        oip.precursor_scan(toy, "dense", n_candidates=4)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        oip.precursor_scan(toy, "deep", n_candidates=4, batch_size=0)
    x = np.zeros((2, 12, 12, 1), np.float32)
    x[1, 3, 3] = np.nan
    with pytest.raises(ValueError, match=r"x holds 1 NaN and 0 infinite value\(s\), the first at index \(1, 3, 3, 0\)"):
        oip.objective_values(toy, "deep", [0, 1], x)
    with pytest.raises(ValueError, match=r"map indices must be integers"):
        oip.objective_values(toy, "deep", [0.5, 1], np.zeros((2, 12, 12, 1), np.float32))


def test_initial_images_bad_numbers():
    with pytest.raises(ValueError, match=r"n must be an integer >= 0, got 2\.5"):
        oip.initial_images(2.5)
    with pytest.raises(ValueError, match=r"10000000 start images of 28x28x1 would need 29\.2 GiB, more than the limit"):
        oip.initial_images(10_000_000)
    with pytest.raises(ValueError, match=r"each amplitude must be a finite number, got nan"):
        oip.initial_images(2, scales=[(3, 3)], amplitudes=[float("nan")])
    with pytest.raises(ValueError, match=r"integer grid sizes >= 1, got \[\(3\.5, 3\)\]"):
        oip.initial_images(2, scales=[(3.5, 3)])
    with pytest.raises(ValueError, match=r"smoothing_sigma must be a finite number >= 0, got -1"):
        oip.initial_images(2, smoothing_sigma=-1)
    with pytest.raises(ValueError, match=r"sigma must be a finite number > 0, got 0"):
        oip.gaussian_kernel(0, 1)


def test_progress_bars_go_to_stderr_and_only_when_asked(toy, capsys):
    oip.run_oip(toy, "deep", [0, 1], n_steps=12, early_stop=False, progress=False)
    oip.precursor_scan(toy, "deep", n_candidates=8, progress=False)
    assert capsys.readouterr() == ("", "")
    oip.run_oip(toy, "deep", [0, 1], n_steps=12, early_stop=False, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "OIP deep" in err and err.endswith("\r")  # drawn on stderr, then erased
    oip.precursor_scan(toy, "deep", n_candidates=8, batch_size=4, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "precursor scan deep" in err and err.endswith("\r")


def test_progress_bars_count_the_steps_and_candidates(toy, monkeypatch):
    bars = []

    class Recorder:
        def __init__(self, total, desc, unit="step", progress=None):
            self.total, self.desc, self.unit, self.progress, self.done, self.closed = total, desc, unit, progress, 0, False
            bars.append(self)

        def update(self, n):
            self.done += n

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.closed = True

    monkeypatch.setattr(oip._progress, "bar", Recorder)
    result = oip.run_oip(toy, "deep", [0, 1], n_steps=600, epsilon=0.05, tolerance=1e-2, progress=None)
    assert result.steps_run < 600  # stopped early: the bar counts the steps actually run
    assert [(b.total, b.desc, b.unit, b.progress, b.done, b.closed) for b in bars] == [
        (600, "OIP deep", "step", None, result.steps_run, True)]
    bars.clear()
    oip.precursor_scan(toy, "deep", n_candidates=10, batch_size=4, progress=True)
    assert [(b.total, b.unit, b.progress, b.done, b.closed) for b in bars] == [(10, "candidate", True, 10, True)]


def test_the_limits_of_every_range_are_accepted(toy):
    """The smallest and largest valid values pass the checks (and a run with the smallest ones works)."""
    x0 = oip.initial_images(1, (12, 12, 1), seed=0)
    args = dict(model=toy, layer_name="deep", map_indices=[0], x0=x0, node=None, n_steps=oip.MAX_STEPS, epsilon=1e-9,
                damping="blur", damping_every=1, damping_sigma=5.5, pre_activation_steps=oip.MAX_STEPS,
                coarse_to_fine=[(1, 1e-9)], tolerance=0.0, window=oip.MAX_STEPS, snapshot_steps=[1, oip.MAX_STEPS],
                chunk_size=1, block_size=1, seed=0, progress=None)
    checked = oip.check_run_arguments(**args).settings
    assert (checked.n_steps, checked.window, checked.damping_sigma) == (oip.MAX_STEPS, oip.MAX_STEPS, 5.5)
    smallest = oip.run_oip(toy, "deep", [0, 3], n_steps=1, window=1, block_size=1, chunk_size=1, damping_every=1,
                           snapshot_steps=[1], seed=0, early_stop=False, progress=False)
    assert smallest.steps_run == 1 and smallest.losses.shape == (2, 2) and sorted(smallest.snapshots) == [1]
    # block and chunk sizes change only how the work is cut, not the result
    default = oip.run_oip(toy, "deep", [0, 3], n_steps=12, seed=0, early_stop=False, progress=False)
    cut = oip.run_oip(toy, "deep", [0, 3], n_steps=12, seed=0, early_stop=False, block_size=1, chunk_size=1,
                      progress=False)
    np.testing.assert_allclose(cut.images, default.images, atol=1e-5)
    np.testing.assert_allclose(cut.losses, default.losses, rtol=1e-5, atol=1e-7)
    assert sorted(cut.snapshots) == sorted(default.snapshots) == [9, 12]


def test_values_just_outside_the_limits_are_refused(toy):
    x0 = oip.initial_images(1, (12, 12, 1), seed=0)
    for kwargs, message in (
        (dict(seed=-1, x0=x0), r"seed must be an integer >= 0, got -1"),  # checked even when x0 makes it unused
        (dict(coarse_to_fine=[(10, 0.2), (10, 0.5)]), r"pairs with increasing steps"),  # equal steps do not increase
        (dict(coarse_to_fine=[(0, 0.2)]), r"pairs with increasing steps \(integers >= 1\)"),
        (dict(coarse_to_fine=[(5, 0.0)]), r"finite cutoffs > 0"),
        (dict(n_steps=oip.MAX_STEPS + 1), r"n_steps must be an integer in 1\.\.100000, got 100001"),
        (dict(window=oip.MAX_STEPS + 1), r"window must be an integer in 1\.\.100000"),
        (dict(pre_activation_steps=oip.MAX_STEPS + 1), r"pre_activation_steps must be an integer in 0\.\.100000"),
        (dict(damping_sigma=5.5001), r"damping_sigma \(pixels, for 12x12 images\) must be a finite number in \(0, 5\.5\]"),
        (dict(tolerance=-1e-9), r"tolerance must be a finite number >= 0"),
        (dict(damping_every=0), r"damping_every must be an integer >= 1, got 0"),
        (dict(map_indices=[-1]), r"map_index -1 is out of range"),
        (dict(node=(0, -1)), r"node \(0, -1\) is outside the 3x3 maps"),
        (dict(node=(3, 2)), r"node \(3, 2\) is outside the 3x3 maps"),
    ):
        kwargs = dict(dict(layer_name="deep", map_indices=[0], n_steps=10), **kwargs)
        with pytest.raises(ValueError, match=message):
            oip.run_oip(toy, **kwargs)


def test_verbose_reports_the_snapshot_steps_and_quiet_prints_nothing(toy, capsys):
    kwargs = dict(n_steps=600, epsilon=0.05, tolerance=1e-2, progress=False)  # stops early, between snapshots
    quiet = oip.run_oip(toy, "deep", [0, 1], **kwargs)
    assert quiet.steps_run not in oip.log_spaced_steps(600)
    assert capsys.readouterr().out == ""
    loud = oip.run_oip(toy, "deep", [0, 1], verbose=True, **kwargs)
    lines = capsys.readouterr().out.splitlines()
    reported = [int(line.split(":")[0].split()[1]) for line in lines]
    assert reported == [s for s in oip.log_spaced_steps(600) if s < loud.steps_run] + [loud.steps_run]
    assert lines[-1].startswith(f"step {loud.steps_run:4d}: objective mean {loud.final_loss.mean():.4g}")
    single = oip.run_oip(toy, "deep", 0, n_steps=9, verbose=True, early_stop=False, progress=False)
    assert capsys.readouterr().out == f"step    9: objective {float(single.final_loss[0]):.5g}\n"


def test_run_oip_defaults_are_the_documented_ones():
    """The notebooks and the explorer (which reads these defaults) depend on them: a change must be deliberate."""
    import inspect

    defaults = {f.name: getattr(oip.AscentSettings(), f.name) for f in dataclasses.fields(oip.AscentSettings)}
    assert defaults == dict(
        n_steps=600, epsilon=0.01, normalize_gradient=True, restandardize=True, damping="blur",
        damping_every=4, damping_sigma=None, pre_activation_steps=0, coarse_to_fine=(), jitter=0, rotate=0.0,
        scale=0.0, tv_weight=0.0, l1_weight=0.0, l2_weight=0.0, parameterization="pixel", fourier_decay=1.0,
        diversity_weight=0.0, diversity_layer=None, precision="float32", tolerance=2e-4, window=20,
        early_stop=True, snapshot_steps=None, chunk_size=256, block_size=10, seed=0, verbose=False, progress=None,
    )
    assert oip.DEFAULT_DAMPING_SIGMA == {"blur": 0.4, "fourier": 1.0}
    scan = {name: p.default for name, p in inspect.signature(oip.precursor_scan).parameters.items()
            if p.default is not inspect.Parameter.empty}
    assert scan == dict(map_indices=None, n_candidates=1024, scales=((3, 3), (7, 7)), amplitudes=None, seed=0,
                        batch_size=512, progress=None)


def test_first_converged_on_hand_made_loss_curves():
    # column 0 settles at 2.0 from row 5 on; column 1 keeps rising by 10 %; column 2 stays at 0 (never reacted);
    # column 3 is positive and exactly flat from row 0
    steps = np.arange(12)
    losses = np.stack([np.where(steps < 5, steps * 0.4, 2.0), 1.1**steps, np.zeros(12), np.full(12, 3.0)], axis=1)
    np.testing.assert_array_equal(oip.first_converged(losses, 1e-3, 2, 0, 12), [7, -1, -1, 2])  # 2 rows of history
    np.testing.assert_array_equal(oip.first_converged(losses, 1e-3, 2, 9, 12), [9, -1, -1, 9])  # from first_row on
    np.testing.assert_array_equal(oip.first_converged(losses, 1e-3, 2, 0, 7), [-1, -1, -1, 2])  # end_row excluded
    np.testing.assert_array_equal(oip.first_converged(losses, 0.1, 1, 0, 12), [6, 1, -1, 1])  # +10 % = 0.091 of now
    np.testing.assert_array_equal(oip.first_converged(losses, 0.0, 2, 0, 12), [-1, -1, -1, -1])  # strictly below
    np.testing.assert_array_equal(oip.first_converged(losses, 1e-3, 20, 0, 12), [-1, -1, -1, -1])  # no full window
    assert oip.first_converged(losses, 1e-3, 2, 5, 5).tolist() == [-1, -1, -1, -1]  # no rows: -1 for every image
    tiny = np.array([[1e-13], [1e-13], [1e-13]])  # positive but below the 1e-12 floor of the relative change
    assert oip.first_converged(tiny, 1e-3, 1, 0, 3).tolist() == [1]


def test_the_memory_limit_is_exact(toy):
    """Loss record (n_steps + 1 rows of 4 bytes per image) plus snapshots, the final images and the starts
    (4 bytes per pixel): 16384 images of 12x12 with n_steps=32335 and one snapshot need exactly MAX_BYTES."""
    n_images, n_steps = 16384, 32335
    assert n_images * (4 * (n_steps + 1) + (1 + 2) * 4 * 144) == oip.MAX_BYTES
    x0 = np.zeros((n_images, 12, 12, 1), np.float32)
    args = dict(model=toy, layer_name="deep", map_indices=np.zeros(n_images, int), x0=x0, node=None,
                epsilon=0.01, damping=None, damping_every=1, damping_sigma=None, pre_activation_steps=0,
                coarse_to_fine=None, tolerance=0.0, window=1, chunk_size=256, block_size=10, seed=0, progress=False)
    oip.check_run_arguments(n_steps=n_steps, snapshot_steps=[n_steps], **args)  # exactly the limit: fine
    with pytest.raises(ValueError, match=r"would need 2 GiB, more than the limit of 2 GiB"):
        oip.check_run_arguments(n_steps=n_steps + 1, snapshot_steps=[n_steps], **args)
    with pytest.raises(ValueError, match=r"a loss record and 3 snapshots\) would need 2\.01 GiB"):
        oip.check_run_arguments(n_steps=n_steps, snapshot_steps=[1, n_steps], **args)
    with pytest.raises(ValueError, match=r"coarse_to_fine must be .* finite cutoffs > 0, got \[\(10, inf\)\]"):
        oip.check_run_arguments(n_steps=20, snapshot_steps=None, **dict(args, coarse_to_fine=[(10, float("inf"))]))
