"""helpers.oip.starts: start images and the precursor scan."""


import numpy as np
import pytest

from helpers import activations as A
from helpers import oip
from oip_toys import _toy_conv


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
