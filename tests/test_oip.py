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
    with pytest.raises(ValueError, match=r"images \(n, h, w, c\) must have 4 axes"):
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
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
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
    with pytest.raises(ValueError, match=r"amplitudes holds 1 NaN"):
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


# ==========================================================================================================
# New ascent capabilities: composite objectives (ascend), objective groups and chunks, transformation robustness,
# regularizers, the Fourier parameterization, diversity, precision, a colour model, and the settings' checks.
# ==========================================================================================================

from types import SimpleNamespace  # noqa: E402

from helpers import objectives as O  # noqa: E402


def _total_variation(x: np.ndarray) -> np.ndarray:
    """Mean absolute difference of vertically and of horizontally neighbouring pixels, summed, per image."""
    return np.abs(np.diff(x, axis=1)).mean(axis=(1, 2, 3)) + np.abs(np.diff(x, axis=2)).mean(axis=(1, 2, 3))


def _same_objective_gram_cosine(model, layer_name: str, images: np.ndarray, groups) -> float:
    """Mean cosine between the Gram matrices (maps x maps, over the nodes) of images with the same objective,
    computed with NumPy from activations.extract."""
    acts = A.extract(model, images, layer_name).astype(np.float64)
    flat = acts.reshape(len(acts), -1, acts.shape[-1])
    gram = np.einsum("bnm,bnk->bmk", flat, flat).reshape(len(acts), -1) / flat.shape[1]
    unit = gram / np.maximum(np.linalg.norm(gram, axis=1, keepdims=True), 1e-12)
    groups = np.asarray(groups)
    same = (groups[:, None] == groups[None, :]) & ~np.eye(len(groups), dtype=bool)
    return float((unit @ unit.T)[same].mean())


def _transform(settings: "oip.AscentSettings", x: np.ndarray, rng) -> np.ndarray:
    """The ascent's random transformation of ``x`` for the RNG key ``rng`` (it reads only the settings and the
    image shape of its engine)."""
    import tensorflow as tf

    engine = SimpleNamespace(settings=settings, image_shape=x.shape[1:])
    return oip._Ascent._transform(engine, tf.constant(x, tf.float32), tf.constant(rng, tf.int32)).numpy()


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


def test_chunks_never_split_a_group_and_respect_the_chunk_size():
    assert oip._chunks(np.arange(7), 3) == [slice(0, 3), slice(3, 6), slice(6, 7)]
    assert oip._chunks(np.array([0, 0, 1, 1, 2, 2]), 4) == [slice(0, 4), slice(4, 6)]
    assert oip._chunks(np.array([0, 1, 1, 1, 2]), 2) == [slice(0, 1), slice(1, 4), slice(4, 5)]  # a long group alone
    assert oip._chunks(np.zeros(5, int), 2) == [slice(0, 5)]
    assert oip._chunks(np.array([4]), 1) == [slice(0, 1)]
    rng = np.random.default_rng(0)
    for _ in range(200):
        groups = np.sort(rng.integers(0, rng.integers(1, 9), size=rng.integers(1, 25)))
        chunk_size = int(rng.integers(1, 10))
        chunks = oip._chunks(groups, chunk_size)
        # contiguous, in order, covering every image once
        assert chunks[0].start == 0 and chunks[-1].stop == len(groups)
        assert all(c.stop == d.start for c, d in zip(chunks, chunks[1:])) and all(c.stop > c.start for c in chunks)
        for c in chunks:
            inside = groups[c]
            # no group is split between chunks
            assert not set(inside) & set(groups[: c.start]) and not set(inside) & set(groups[c.stop:])
            # at most chunk_size images, unless the chunk is one group that is longer on its own
            assert len(inside) <= chunk_size or len(set(inside)) == 1
        # no chunk is cut early: the next chunk's first group would not have fit
        for c, d in zip(chunks, chunks[1:]):
            first_group = np.count_nonzero(groups[d] == groups[d.start])
            assert (c.stop - c.start) + first_group > chunk_size


# ---------------------------------------------------------------------------- regularizers and parameterization


@pytest.fixture(scope="module")
def plain_run(toy):
    """Three maps that react, ascended without damping (the reference for the options' effects)."""
    x0 = oip.initial_images(3, (12, 12, 1), seed=3)
    kwargs = dict(x0=x0, n_steps=40, epsilon=0.05, damping=None, early_stop=False, progress=False)
    result = oip.run_oip(toy, "deep", [0, 1, 2], **kwargs)
    assert np.all(result.reacted)
    return result, kwargs


def test_total_variation_penalty_smooths_the_images(toy, plain_run):
    plain, kwargs = plain_run
    smooth = oip.run_oip(toy, "deep", [0, 1, 2], tv_weight=1.0, **kwargs)
    assert np.all(_total_variation(smooth.images) < 0.6 * _total_variation(plain.images))
    np.testing.assert_allclose(smooth.images.std(axis=(1, 2, 3)), 1, atol=1e-3)  # same contrast: a fair comparison
    # a small weight changes little, a larger one more: the penalty is weighted
    light = oip.run_oip(toy, "deep", [0, 1, 2], tv_weight=0.1, **kwargs)
    assert np.all(_total_variation(smooth.images) < _total_variation(light.images))
    assert np.all(_total_variation(light.images) < _total_variation(plain.images))


def test_l1_penalty_lowers_the_mean_absolute_value_at_fixed_contrast(toy, plain_run):
    plain, kwargs = plain_run
    sparse = oip.run_oip(toy, "deep", [0, 1, 2], l1_weight=1.0, **kwargs)
    np.testing.assert_allclose(sparse.images.std(axis=(1, 2, 3)), 1, atol=1e-3)  # re-standardized
    assert np.all(np.abs(sparse.images).mean(axis=(1, 2, 3)) < 0.9 * np.abs(plain.images).mean(axis=(1, 2, 3)))


def test_l2_penalty_lowers_the_norm_without_restandardization(toy, plain_run):
    _, kwargs = plain_run
    free = oip.run_oip(toy, "deep", [0, 1, 2], restandardize=False, **kwargs)
    shrunk = oip.run_oip(toy, "deep", [0, 1, 2], restandardize=False, l2_weight=1.0, **kwargs)

    def rms(x):
        return np.sqrt((x**2).mean(axis=(1, 2, 3)))

    assert np.all(rms(free.images) > 1.5)  # without the penalty the unstandardized images grow
    assert np.all(rms(shrunk.images) < 0.6 * rms(free.images))


def test_fourier_parameterization_favours_low_frequencies(toy, plain_run):
    plain, kwargs = plain_run
    fourier = oip.run_oip(toy, "deep", [0, 1, 2], parameterization="fourier", **kwargs)
    assert np.all(fourier.final_loss > fourier.losses[0])  # still an ascent
    assert np.all(oip.high_frequency_share(fourier.images) < 0.5 * oip.high_frequency_share(plain.images))
    x0 = kwargs["x0"]  # what the ascent added, too
    assert np.all(oip.high_frequency_share(fourier.images - x0) < 0.5 * oip.high_frequency_share(plain.images - x0))
    # a decay of 0 is a flat filter: the pixel ascent
    flat = oip.run_oip(toy, "deep", [0, 1, 2], parameterization="fourier", fourier_decay=0.0, **kwargs)
    np.testing.assert_allclose(flat.images, plain.images, atol=1e-4)


def _reference_step(model, layer_name, maps, x, epsilon, tv_weight=0.0, l1_weight=0.0, l2_weight=0.0,
                    diversity_weight=0.0, fourier=False):
    """One ascent step written out from the documentation (no damping, no transformation): the gradient of each
    image's map mean, minus tv_weight x total variation (mean absolute difference of neighbouring pixels, rows plus
    columns), l1_weight x mean |x|, l2_weight x mean x^2 and diversity_weight x the mean Gram cosine with the
    *other* images of the same map; optionally filtered by the Fourier preconditioner; divided by its RMS; a step
    of epsilon; re-standardized."""
    import tensorflow as tf

    sub = keras.Model(model.input, model.get_layer(layer_name).output)
    maps = np.asarray(maps)
    x = tf.constant(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        acts = sub(x, training=False)
        objective = tf.stack([tf.reduce_mean(acts[i, :, :, m]) for i, m in enumerate(maps)])
        tv = (tf.reduce_mean(tf.abs(x[:, 1:] - x[:, :-1]), axis=[1, 2, 3])
              + tf.reduce_mean(tf.abs(x[:, :, 1:] - x[:, :, :-1]), axis=[1, 2, 3]))
        l1, l2 = tf.reduce_mean(tf.abs(x), axis=[1, 2, 3]), tf.reduce_mean(x**2, axis=[1, 2, 3])
        flat = tf.reshape(acts, [len(maps), -1, acts.shape[-1]])
        gram = tf.reshape(tf.einsum("bnm,bnk->bmk", flat, flat), [len(maps), -1]) / flat.shape[1]
        unit = gram / tf.norm(gram, axis=1, keepdims=True)
        others = [[j for j in range(len(maps)) if j != i and maps[j] == maps[i]] for i in range(len(maps))]
        similarity = tf.stack([tf.reduce_mean(tf.stack([tf.reduce_sum(unit[i] * unit[j]) for j in js]))
                               if js else tf.constant(0.0) for i, js in enumerate(others)])
        total = tf.reduce_sum(objective - tv_weight * tv - l1_weight * l1 - l2_weight * l2
                              - diversity_weight * similarity)
    grad = tape.gradient(total, x).numpy().astype(np.float64)
    if fourier:
        f = oip.fourier_preconditioner(x.shape[1], x.shape[2])[None, :, :, None]
        grad = np.real(np.fft.ifft2(np.fft.fft2(grad, axes=(1, 2)) * f, axes=(1, 2)))
    rms = np.sqrt((grad**2).mean(axis=(1, 2, 3), keepdims=True))
    grad = np.divide(grad, rms, out=np.zeros_like(grad), where=rms > 0)  # a silent map: no gradient, no step
    moved = x.numpy() + epsilon * grad
    return oip.standardize_per_image(moved)


@pytest.mark.parametrize("options", [
    dict(tv_weight=0.5), dict(l1_weight=0.7, l2_weight=0.3), dict(diversity_weight=2.0), dict(fourier=True),
    dict(tv_weight=0.2, l2_weight=0.1, diversity_weight=1.0, fourier=True)],
    ids=["tv", "l1-l2", "diversity", "fourier", "all"])
def test_one_step_follows_the_documented_formulas(toy, options):
    maps = [0, 0, 0, 1, 1, 2, 2]  # groups of three and of two: the diversity term averages over the *others*
    x0 = oip.initial_images(len(maps), (12, 12, 1), seed=8)
    expected = _reference_step(toy, "deep", maps, x0, 0.2, **options)
    settings = {name: value for name, value in options.items() if name != "fourier"}
    settings["parameterization"] = "fourier" if options.get("fourier") else "pixel"
    result = oip.run_oip(toy, "deep", maps, x0=x0, n_steps=1, epsilon=0.2, damping=None, early_stop=False, **settings)
    # the step moved the images (without a penalty, an image whose map is silent on its start does not move)
    assert np.count_nonzero(np.abs(expected - x0).max(axis=(1, 2, 3)) > 0.05) >= 5
    np.testing.assert_allclose(result.images, expected, atol=2e-5)


def test_fourier_preconditioner_is_the_squared_1_over_f_scale():
    for height, width in ((12, 12), (8, 12), (9, 7)):
        f = oip.fourier_preconditioner(height, width)
        assert f.shape == (height, width) and f.dtype == np.float32
        assert f.mean() == pytest.approx(1.0, rel=1e-5)
        # symmetric: the coefficients of frequencies k and -k are equal (a real gradient stays real)
        np.testing.assert_allclose(f, f[(-np.arange(height)) % height][:, (-np.arange(width)) % width], rtol=1e-6)
        # decreasing with frequency
        frequency = np.hypot(*np.meshgrid(np.fft.fftfreq(height), np.fft.fftfreq(width), indexing="ij")).ravel()
        by_frequency = f.ravel()[np.argsort(frequency, kind="stable")]
        assert np.all(np.diff(by_frequency) <= 1e-6) and by_frequency[0] > by_frequency[-1]
    # exact values for 12x12: scale = 1 / max(f, 1/12) (f in cycles per pixel), filter = scale^2 / mean
    f = oip.fourier_preconditioner(12, 12)
    assert f[0, 0] == pytest.approx(f[0, 1])  # f = 0 is clamped to the lowest frequency, 1/12
    assert f[0, 1] / f[0, 2] == pytest.approx(4.0, rel=1e-5)  # 1/12 vs 2/12 cycles per pixel: (2/1)^2
    assert f[0, 1] / f[3, 4] == pytest.approx(25.0, rel=1e-5)  # |(3, 4)| = 5/12
    assert oip.fourier_preconditioner(12, 12, decay=2.0)[0, 1] / oip.fourier_preconditioner(12, 12, decay=2.0)[0, 2] \
        == pytest.approx(16.0, rel=1e-5)
    np.testing.assert_allclose(oip.fourier_preconditioner(6, 10, decay=0.0), 1.0)


def test_diversity_makes_the_images_of_one_objective_differ(toy):
    maps = np.repeat([0, 1, 2], 3)
    x0 = oip.initial_images(9, (12, 12, 1), seed=3)
    kwargs = dict(x0=x0, n_steps=40, epsilon=0.05, early_stop=False, progress=False)
    alike = oip.run_oip(toy, "deep", maps, **kwargs)
    diverse = oip.run_oip(toy, "deep", maps, diversity_weight=1.0, **kwargs)
    cos_alike = _same_objective_gram_cosine(toy, "deep", alike.images, maps)
    cos_diverse = _same_objective_gram_cosine(toy, "deep", diverse.images, maps)
    assert cos_alike > 0.9 and cos_diverse < 0.5 * cos_alike
    # on another layer, measured there
    other = oip.run_oip(toy, "deep", maps, diversity_weight=1.0, diversity_layer="first", **kwargs)
    assert _same_objective_gram_cosine(toy, "first", other.images, maps) < \
        0.75 * _same_objective_gram_cosine(toy, "first", alike.images, maps)
    # images of different objectives are not compared: one image per map with diversity is refused (see the
    # errors below), and pairs of maps in separate groups give the same as separate runs
    pairs = oip.run_oip(toy, "deep", [0, 0, 1, 1], x0=x0[:4], n_steps=20, epsilon=0.05, early_stop=False,
                        diversity_weight=1.0)
    for k in (0, 2):
        alone = oip.run_oip(toy, "deep", [k // 2] * 2, x0=x0[k : k + 2], n_steps=20, epsilon=0.05, early_stop=False,
                            diversity_weight=1.0)
        np.testing.assert_allclose(alone.images, pairs.images[k : k + 2], atol=1e-5)


# ------------------------------------------------------------------------------------ transformation robustness


def test_transformed_runs_are_reproducible_and_depend_on_the_seed(toy):
    x0 = oip.initial_images(4, (12, 12, 1), seed=2)
    kwargs = dict(x0=x0, n_steps=10, epsilon=0.05, early_stop=False, progress=False)
    plain = oip.run_oip(toy, "deep", [0, 1, 2, 3], **kwargs)
    for transform in (dict(jitter=2), dict(rotate=15.0), dict(scale=0.1), dict(jitter=1, rotate=10.0, scale=0.05)):
        first = oip.run_oip(toy, "deep", [0, 1, 2, 3], seed=1, **transform, **kwargs)
        again = oip.run_oip(toy, "deep", [0, 1, 2, 3], seed=1, **transform, **kwargs)
        other = oip.run_oip(toy, "deep", [0, 1, 2, 3], seed=2, **transform, **kwargs)  # same x0: only the draws differ
        np.testing.assert_array_equal(again.images, first.images)
        np.testing.assert_array_equal(again.losses, first.losses)
        assert np.abs(other.images - first.images).max() > 1e-2, transform
        assert np.abs(plain.images - first.images).max() > 1e-2, transform


def test_jitter_shifts_by_whole_pixels_within_the_limit():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 12, 12, 1)).astype(np.float32)  # distinct values: a blend would be new
    out = _transform(oip.AscentSettings(jitter=2), x, [3, 7])
    shifts = []
    for image, moved in zip(x[..., 0], out[..., 0]):
        assert np.isin(moved, image).all()  # every pixel is a pixel of the input (edges reflected), not a blend
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if np.array_equal(moved[2:10, 2:10], image[2 + dy : 10 + dy, 2 + dx : 10 + dx])]
        assert len(found) == 1
        shifts.append(found[0])
    shifts = np.array(shifts)
    assert set(shifts[:, 0]) == set(shifts[:, 1]) == {-2, -1, 0, 1, 2}  # every allowed shift, no larger one
    np.testing.assert_array_equal(_transform(oip.AscentSettings(jitter=2), x, [3, 7]), out)  # stateless: same key
    assert not np.array_equal(_transform(oip.AscentSettings(jitter=2), x, [3, 8]), out)  # next step: new draws


def test_rotation_and_scaling_turn_about_the_centre_within_the_limits():
    height, width = 13, 17  # odd sizes: the centre (6, 8) is a pixel; not square: rows and columns not swapped
    rows, cols = np.mgrid[:height, :width].astype(np.float32)
    ramp = np.broadcast_to((cols - 8)[None, :, :, None], (100, height, width, 1)).copy()  # linear: bilinear is exact
    out = _transform(oip.AscentSettings(rotate=30.0, scale=0.2), ramp, [1, 2])
    # inside a disk whose source stays in the image, a rotated, scaled ramp is a*(col - 8) + b*(row - 6)
    inside = np.hypot(rows - 6, cols - 8) <= 4.5
    design = np.stack([(cols - 8)[inside], (rows - 6)[inside]], axis=1)
    angles, zooms = [], []
    for image in out[..., 0]:
        (a, b), residual, *_ = np.linalg.lstsq(design, image[inside], rcond=None)
        assert np.abs(design @ [a, b] - image[inside]).max() < 1e-4  # exactly a turned ramp: about the centre
        angles.append(np.degrees(np.arctan2(b, a)))
        zooms.append(1 / np.hypot(a, b))
    angles, zooms = np.array(angles), np.array(zooms)
    assert np.all(np.abs(angles) <= 30 + 1e-3) and angles.min() < -20 and angles.max() > 20
    assert np.all((zooms >= 0.8 - 1e-4) & (zooms <= 1.2 + 1e-4)) and zooms.min() < 0.85 and zooms.max() > 1.15
    # the centre pixel stays where it is for any rotation and scale
    x = np.random.default_rng(1).standard_normal((50, height, width, 1)).astype(np.float32)
    turned = _transform(oip.AscentSettings(rotate=180.0, scale=0.5), x, [5, 1])
    np.testing.assert_allclose(turned[:, 6, 8], x[:, 6, 8], atol=1e-4)
    assert np.abs(turned - x).mean() > 0.3


# ------------------------------------------------------------------------------------------------- precision


def test_bfloat16_gives_objectives_close_to_float32(toy):
    """Tolerance: 3 % of the largest objective. bfloat16 keeps 8 significant bits (relative rounding 2^-9 = 0.2 %);
    the two conv layers and the map mean add up several such roundings, and 30 steps let the two trajectories
    drift apart a little (about 1 % is typical)."""
    x0 = oip.initial_images(4, (12, 12, 1), seed=3)
    kwargs = dict(x0=x0, n_steps=30, early_stop=False, progress=False)
    single = oip.run_oip(toy, "deep", [0, 1, 2, 3], **kwargs)
    half = oip.run_oip(toy, "deep", [0, 1, 2, 3], precision="bfloat16", **kwargs)
    assert half.settings.precision == "bfloat16" and half.images.dtype == np.float32
    assert not np.array_equal(half.losses, single.losses)  # bfloat16 really computed the steps
    tolerance = 0.03 * np.abs(single.losses).max()
    np.testing.assert_allclose(half.losses, single.losses, rtol=0, atol=tolerance)
    # the images found in bfloat16 are as good in float32
    np.testing.assert_allclose(oip.objective_values(toy, "deep", [0, 1, 2, 3], half.images), single.final_loss, rtol=0,
                               atol=tolerance)
    assert np.all(half.final_loss[single.reacted] > half.losses[0][single.reacted])
    # the final row is graded by the float32 model, on the same scale as a float32 run
    np.testing.assert_array_equal(half.final_loss, oip.objective_values(toy, "deep", [0, 1, 2, 3], half.images))


def test_bfloat16_copy_follows_later_weight_changes():
    model = _toy_conv(seed=21)
    copy = oip.bfloat16_copy(model)
    assert copy is not model and oip.bfloat16_copy(model) is copy  # one copy per model
    assert {str(layer.compute_dtype) for layer in copy.layers[1:]} == {"bfloat16"}
    assert {v.dtype for v in copy.get_weights()} == {np.dtype("float32")}  # weights kept in float32
    for copied, original in zip(copy.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(copied, original)
    x0 = oip.initial_images(2, (12, 12, 1), seed=0)
    kwargs = dict(x0=x0, n_steps=10, early_stop=False, precision="bfloat16", progress=False)
    assert oip.run_oip(model, "deep", [0, 1], **kwargs).losses.max() > 0
    kernel, bias = model.get_layer("deep").get_weights()
    model.get_layer("deep").set_weights([kernel, np.full_like(bias, -100.0)])  # every map of 'deep' off
    assert oip.bfloat16_copy(model) is copy
    np.testing.assert_array_equal(copy.get_layer("deep").get_weights()[1], np.full_like(bias, -100.0))
    assert np.all(oip.run_oip(model, "deep", [0, 1], **kwargs).losses == 0)  # the run used the new weights


def test_resolve_precision(monkeypatch):
    model = _toy_conv(seed=22)
    assert oip.resolve_precision(model, "float32") == "float32"
    assert oip.resolve_precision(model, "bfloat16") == "bfloat16"
    with pytest.raises(ValueError, match=r"unknown precision 'half'; valid: 'float32', 'bfloat16', 'auto'"):
        oip.resolve_precision(model, "half")

    def must_not_be_called(*args, **kwargs):
        raise AssertionError("the choice should have been cached")

    # without native bfloat16: float32, decided without timing anything, and remembered per model
    monkeypatch.setattr(oip.device, "bfloat16_native", lambda: False)
    monkeypatch.setattr(oip, "run_oip", must_not_be_called)
    assert oip.resolve_precision(model, "auto") == "float32"
    monkeypatch.setattr(oip.device, "bfloat16_native", must_not_be_called)
    assert oip.resolve_precision(model) == "float32"
    # with native bfloat16: the faster one, measured once
    monkeypatch.undo()
    timed = _toy_conv(seed=23)
    calls = []
    monkeypatch.setattr(oip.device, "bfloat16_native", lambda: True)
    real_run_oip = oip.run_oip
    monkeypatch.setattr(oip, "run_oip", lambda *args, **kwargs: calls.append(kwargs["settings"].precision)
                        or real_run_oip(*args, **kwargs))
    choice = oip.resolve_precision(timed, "auto")
    assert choice in ("float32", "bfloat16") and sorted(set(calls)) == ["bfloat16", "float32"]
    monkeypatch.setattr(oip.device, "bfloat16_native", must_not_be_called)
    monkeypatch.setattr(oip, "run_oip", must_not_be_called)
    assert oip.resolve_precision(timed, "auto") == choice


def test_precision_auto_runs(toy, monkeypatch):
    monkeypatch.setattr(oip.device, "bfloat16_native", lambda: False)
    model = _toy_conv(seed=24)
    x0 = oip.initial_images(2, (12, 12, 1), seed=0)
    auto = oip.run_oip(model, "deep", [0, 1], x0=x0, n_steps=10, early_stop=False, precision="auto")
    single = oip.run_oip(model, "deep", [0, 1], x0=x0, n_steps=10, early_stop=False)
    np.testing.assert_array_equal(auto.images, single.images)  # auto chose float32 here
    assert auto.settings.precision == "auto"


# ------------------------------------------------------------------------------------------------ colour model


def _colour_model() -> keras.Model:
    """16x20 RGB input; layer names unlike the series': 'rgb_conv' (5 maps) -> pool -> 'rgb_deep' (4 maps of 5x7)
    -> global average 'rgb_gap' -> dense head 'rgb_head' (3 classes, softmax)."""
    init = keras.initializers.GlorotUniform
    inputs = keras.Input((16, 20, 3))
    x = keras.layers.Conv2D(5, 3, activation="relu", name="rgb_conv", kernel_initializer=init(30))(inputs)
    x = keras.layers.MaxPooling2D(2, name="rgb_pool")(x)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="rgb_deep", kernel_initializer=init(31),
                            bias_initializer=keras.initializers.Constant(0.05))(x)
    x = keras.layers.GlobalAveragePooling2D(name="rgb_gap")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="rgb_head", kernel_initializer=init(32))(x)
    return keras.Model(inputs, outputs, name="rgb_toy")


_EVERY_OPTION = dict(jitter=3, rotate=20.0, scale=0.15, tv_weight=0.05, l1_weight=0.05, l2_weight=0.05,
                     parameterization="fourier", diversity_weight=0.5, precision="bfloat16")


def test_every_new_option_works_on_a_colour_model():
    model = _colour_model()
    maps = np.repeat([0, 1], 2)
    x0 = oip.initial_images(4, (16, 20, 3), seed=4)
    kwargs = dict(x0=x0, n_steps=20, epsilon=0.05, early_stop=False, progress=False)
    plain = oip.run_oip(model, "rgb_deep", maps, **kwargs)
    for name, value in _EVERY_OPTION.items():  # each option alone changes the run and keeps it an ascent
        extra = dict(restandardize=False) if name == "l2_weight" else {}
        single = oip.run_oip(model, "rgb_deep", maps, **{name: value}, **extra, **kwargs)
        assert single.images.shape == (4, 16, 20, 3) and np.isfinite(single.images).all()
        assert np.abs(single.images - plain.images).max() > 1e-2, name
        assert single.final_loss.mean() > single.losses[0].mean(), name
    every = oip.run_oip(model, "rgb_deep", maps, diversity_layer="rgb_conv", **_EVERY_OPTION, **kwargs)
    assert every.images.shape == (4, 16, 20, 3) and np.isfinite(every.images).all()
    assert every.map_indices.tolist() == [0, 0, 1, 1]
    np.testing.assert_allclose(every.images.std(axis=(1, 2, 3)), 1, atol=1e-3)
    assert oip.objective_values(model, "rgb_deep", maps, every.images).mean() > every.losses[0].mean()
    # ascend: class logits, a map interpolation and a direction in the pooled layer, with every option
    mixed = (0.5 * O.map_objective("rgb_deep", 1) + 0.5 * O.map_objective("rgb_deep", 3)
             + O.direction("rgb_gap", [0.0, 0.0, 1.0, -1.0]))
    objective_list = [O.class_logit(2), O.class_logit(2), mixed, mixed]
    ascended = oip.ascend(model, objective_list, **_EVERY_OPTION, **kwargs)
    assert ascended.images.shape == (4, 16, 20, 3) and np.isfinite(ascended.images).all()
    assert ascended.layer_name == "rgb_deep+rgb_gap+rgb_head"
    before = oip.evaluate(model, objective_list, x0)
    after = oip.evaluate(model, objective_list, ascended.images)
    assert np.all(after > before)
    with pytest.raises(ValueError, match=r"jitter of 8 pixels is too large for 16x20 images; valid: 0\.\.7"):
        oip.ascend(model, objective_list, jitter=8)
    oip.check_run_arguments(model, "rgb_deep", [0], jitter=7)  # the largest valid jitter passes


# ------------------------------------------------------------------------------------------- settings' checks

_BAD_NEW_SETTINGS = [
    (dict(tv_weight=-0.1), ValueError, r"tv_weight must be a finite number >= 0, got -0\.1"),
    (dict(l1_weight=-1), ValueError, r"l1_weight must be a finite number >= 0, got -1"),
    (dict(l2_weight=float("nan")), ValueError, r"l2_weight must be a finite number >= 0, got nan"),
    (dict(diversity_weight=-0.5), ValueError, r"diversity_weight must be a finite number >= 0, got -0\.5"),
    (dict(tv_weight="1"), ValueError, r"tv_weight must be a finite number >= 0, got '1'"),
    (dict(jitter=6), ValueError, r"jitter of 6 pixels is too large for 12x12 images; valid: 0\.\.5"),
    (dict(jitter=100), ValueError, r"jitter of 100 pixels is too large for 12x12 images; valid: 0\.\.5"),
    (dict(jitter=-1), ValueError, r"jitter \(pixels\) must be an integer >= 0, got -1"),
    (dict(jitter=1.5), ValueError, r"jitter \(pixels\) must be an integer >= 0, got 1\.5"),
    (dict(jitter=True), ValueError, r"jitter \(pixels\) must be an integer >= 0, got True"),
    (dict(rotate=181), ValueError, r"rotate \(degrees\) must be a finite number in 0\.\.180, got 181"),
    (dict(rotate=-5.0), ValueError, r"rotate \(degrees\) must be a finite number in 0\.\.180, got -5\.0"),
    (dict(scale=1.0), ValueError, r"scale \(fraction\) must be a finite number in 0\.\.0\.99, got 1\.0"),
    (dict(scale=1.5), ValueError, r"scale \(fraction\) must be a finite number in 0\.\.0\.99"),
    (dict(scale=-0.1), ValueError, r"scale \(fraction\) must be a finite number in 0\.\.0\.99, got -0\.1"),
    (dict(parameterization="wavelet"), ValueError, r"unknown parameterization 'wavelet'; valid: 'pixel', 'fourier'"),
    (dict(parameterization=None), ValueError, r"unknown parameterization None; valid: 'pixel', 'fourier'"),
    (dict(fourier_decay=4.5), ValueError, r"fourier_decay must be a finite number in 0\.\.4, got 4\.5"),
    (dict(diversity_weight=1.0), ValueError,
     r"diversity_weight > 0 needs at least two images per objective, but image 0's objective has only one image; "
     r"repeat each map index \(e\.g\. np\.repeat\(maps, 4\)\) or set diversity_weight=0"),
    (dict(map_indices=[1, 1, 2], diversity_weight=1.0), ValueError, r"but image 2's objective has only one image"),
    (dict(map_indices=[1, 1], diversity_weight=1.0, diversity_layer="nope"), ValueError,
     r"has no layer 'nope'; valid names: .*first.*deep"),
    (dict(map_indices=[1, 1], diversity_weight=1.0, diversity_layer="flat"), ValueError,
     r"layer 'flat' has output shape \(36,\) but is neither a dense layer .*valid layers: first, "),
    (dict(diversity_layer=3), ValueError, r"diversity_layer \(a layer name or None\) must be a string, got int 3"),
    (dict(precision="float16"), ValueError, r"unknown precision 'float16'; valid: 'float32', 'bfloat16', 'auto'"),
    (dict(precision=None), ValueError, r"unknown precision None"),
    (dict(normalize_gradient=1), ValueError, r"normalize_gradient must be True or False, got int 1"),
    (dict(restandardize="no"), ValueError, r"restandardize must be True or False, got str 'no'"),
    (dict(early_stop=None), ValueError, r"early_stop must be True or False, got NoneType None"),
    (dict(verbose=0.0), ValueError, r"verbose must be True or False, got float 0\.0"),
    (dict(jiter=2), TypeError, r"unknown ascent setting\(s\) jiter; valid: n_steps, .*, jitter, rotate, scale, "
                               r"tv_weight, l1_weight, l2_weight, parameterization, fourier_decay, diversity_weight, "
                               r"diversity_layer, precision, "),
]


@pytest.mark.parametrize("kwargs, error, message", _BAD_NEW_SETTINGS,
                         ids=[f"{i}-{','.join(k)}" for i, (k, _, _) in enumerate(_BAD_NEW_SETTINGS)])
def test_bad_new_settings_are_refused_naming_what_is_valid(toy, kwargs, error, message):
    kwargs = dict(kwargs)
    map_indices = kwargs.pop("map_indices", [0])
    with pytest.raises(error, match=message):
        oip.run_oip(toy, "deep", map_indices, n_steps=5, **kwargs)
    with pytest.raises(error, match=message):  # ascend checks the same way
        oip.ascend(toy, [O.map_objective("deep", m) for m in map_indices], n_steps=5, **kwargs)


def test_new_settings_accept_their_limits_and_stay_frozen(toy):
    limits = dict(jitter=5, rotate=180, scale=0.99, tv_weight=0, l1_weight=0.0, l2_weight=1e6, fourier_decay=4,
                  parameterization="fourier", diversity_weight=2.0, diversity_layer="first", precision="auto",
                  normalize_gradient=np.bool_(False))
    checked = oip.check_run_arguments(toy, "deep", [3, 3], **limits).settings
    assert (checked.jitter, checked.rotate, checked.scale, checked.fourier_decay) == (5, 180.0, 0.99, 4.0)
    assert type(checked.rotate) is float and type(checked.jitter) is int
    assert checked.normalize_gradient is False and checked.transforms
    assert not oip.AscentSettings().transforms and oip.AscentSettings(scale=0.1).transforms
    with pytest.raises(dataclasses.FrozenInstanceError):
        checked.jitter = 1
    with pytest.raises(TypeError, match=r"unknown ascent setting\(s\) jiter, tv; valid: n_steps, epsilon"):
        oip.AscentSettings().replace(tv=1.0, jiter=2)
    assert oip.AscentSettings().replace(jitter=np.int64(2)).jitter == 2
    with pytest.raises(ValueError, match=r"jitter of 6 pixels is too large for 13x12 images; valid: 0\.\.5"):
        oip.AscentSettings(jitter=6, damping=None).check_image((13, 12, 1))
    oip.AscentSettings(jitter=6, damping=None).check_image((13, 13, 1))  # 6 < 13 / 2
    with pytest.raises(ValueError, match=r"valid: 0\.\.6"):
        oip.AscentSettings(jitter=7, damping=None).check_image((13, 13, 1))


def test_diversity_in_node_space_equals_the_gram_matrix_cosine():
    """The pairwise node-space form (used where maps outnumber nodes) gives the same similarities and gradients as
    comparing the maps x maps Gram matrices directly."""
    import tensorflow as tf

    acts = tf.constant(np.random.default_rng(5).random((7, 2, 3, 16)), tf.float32)  # 6 nodes, 16 maps
    group = tf.constant([0, 0, 1, 1, 1, 2, 0], tf.int32)  # group 2 has one image: similarity 0
    values = {}
    for pairs in (False, True):
        with tf.GradientTape() as tape:
            tape.watch(acts)
            similarity = oip._Ascent._similarity(acts, group, pairs)
            total = tf.reduce_sum(similarity)
        values[pairs] = (similarity.numpy(), tape.gradient(total, acts).numpy())
    np.testing.assert_allclose(values[True][0], values[False][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(values[True][1], values[False][1], rtol=1e-4, atol=1e-6)
    assert values[True][0][5] == 0 and np.all(values[True][0][:5] > 0.5)


def test_every_map_oips_gives_each_map_its_best_run_and_wakes_a_silent_map():
    model = _toy_conv(seed=11)
    candidates = oip.initial_images(32, (12, 12, 1), scales=((3, 3), (7, 7)), seed=0)
    kernel, bias = model.get_layer("deep").get_weights()
    pre = A.extract(model, candidates, "deep", pre_activation=True)[..., 1] - bias[1]
    bias[1] = -pre.max() - 0.3  # map 1 is negative on every node of every candidate, by a margin
    model.get_layer("deep").set_weights([kernel, bias])
    result = oip.every_map_oips(model, "deep", n_candidates=32, n_starts=3, n_steps=60, warm_up=0, seed=0)
    assert result.images.shape == (4, 3, 12, 12, 1) and result.patterns.shape == (4, 12, 12, 1)
    scan = oip.precursor_scan(model, "deep", n_candidates=32, seed=0)
    np.testing.assert_array_equal(result.starts[:, 0], scan.starts)  # the best candidate comes first
    for m in range(4):  # a map's OIP is its best run (when no rescue or continuation replaced it)
        if m not in result.rescued and m not in result.slow and result.reacted[m].any():
            assert result.pattern_objective[m] == pytest.approx(result.objective[m, result.chosen[m]])
    assert result.stuck.tolist() == [1]  # without a warm-up, no start switches map 1 on ...
    assert len(result.largest_pre_activation) == len(result.stuck)
    for m, reach in zip(result.stuck, result.largest_pre_activation):
        assert (m in result.rescued) == (reach > 0)  # ... a node-wise warm-up wakes it where its reach is positive
    assert result.rescued.tolist() == [1] and result.pattern_reacted.all()  # here it does, and the map gets a pattern
    with pytest.raises(ValueError, match="n_starts"):
        oip.every_map_oips(model, "deep", n_candidates=4, n_starts=5)
    with pytest.raises(ValueError, match="dense"):
        oip.every_map_oips(model, "dense")
