"""helpers.oip.precision: bfloat16 copies and precision="auto"."""


import numpy as np
import pytest

from helpers import oip
from helpers.oip import driver, precision
from oip_toys import _toy_conv


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
    monkeypatch.setattr(precision.device, "bfloat16_native", lambda: False)
    monkeypatch.setattr(driver, "run_oip", must_not_be_called)
    assert oip.resolve_precision(model, "auto") == "float32"
    monkeypatch.setattr(precision.device, "bfloat16_native", must_not_be_called)
    assert oip.resolve_precision(model) == "float32"
    # with native bfloat16: the faster one, measured once
    monkeypatch.undo()
    timed = _toy_conv(seed=23)
    calls = []
    monkeypatch.setattr(precision.device, "bfloat16_native", lambda: True)
    real_run_oip = driver.run_oip
    monkeypatch.setattr(driver, "run_oip", lambda *args, **kwargs: calls.append(kwargs["settings"].precision)
                        or real_run_oip(*args, **kwargs))
    choice = oip.resolve_precision(timed, "auto")
    assert choice in ("float32", "bfloat16") and sorted(set(calls)) == ["bfloat16", "float32"]
    monkeypatch.setattr(precision.device, "bfloat16_native", must_not_be_called)
    monkeypatch.setattr(driver, "run_oip", must_not_be_called)
    assert oip.resolve_precision(timed, "auto") == choice


def test_precision_auto_runs(toy, monkeypatch):
    monkeypatch.setattr(precision.device, "bfloat16_native", lambda: False)
    model = _toy_conv(seed=24)
    x0 = oip.initial_images(2, (12, 12, 1), seed=0)
    auto = oip.run_oip(model, "deep", [0, 1], x0=x0, n_steps=10, early_stop=False, precision="auto")
    single = oip.run_oip(model, "deep", [0, 1], x0=x0, n_steps=10, early_stop=False)
    np.testing.assert_array_equal(auto.images, single.images)  # auto chose float32 here
    assert auto.settings.precision == "auto"
