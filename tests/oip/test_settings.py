"""helpers.oip.settings: the settings and their checks: ranges, limits, defaults, refusal messages, the memory limit."""

import dataclasses

import keras
import numpy as np
import pytest

from helpers import objectives as O
from helpers import oip


def test_log_spaced_steps():
    assert oip.log_spaced_steps(600) == [9, 18, 36, 72, 144, 288, 576, 600]
    assert oip.log_spaced_steps(10) == [9, 10]


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
    assert list(run) == ["model", "layer_name", "map_indices", "x0", "node", "settings", "on_block", "overrides"]
    assert list(check) == ["model", "layer_name", "map_indices", "x0", "node", "settings", "overrides"]
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
