"""helpers.oip.engine: the engine: one step of every trick against a NumPy reference step, every trick together, the cache."""


import numpy as np
import pytest

from helpers import objectives as O
from helpers import oip
from oip_toys import _EVERY_OPTION, _colour_model, _reference_step, _toy_conv


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


def test_the_compiled_step_holds_only_the_tricks_that_are_on_and_is_keyed_by_them():
    from helpers.oip.damping import Blur
    from helpers.oip.engine import RMSNormalize, Restandardize, tricks_for
    from helpers.oip.penalties import L1, TotalVariation

    shape = (12, 12, 1)
    assert tricks_for(oip.AscentSettings(damping=None, restandardize=False), shape) == (RMSNormalize(),)
    default = tricks_for(oip.AscentSettings(), shape)
    assert default == (RMSNormalize(), Blur(0.4, 4, 1), Restandardize())
    assert tricks_for(oip.AscentSettings(l1_weight=0.1, tv_weight=0.2, damping=None), shape)[:2] == (
        TotalVariation(0.2), L1(0.1))
    # settings that do not shape the step (n_steps, epsilon, seed, ...) give the same tricks: one compiled engine
    assert tricks_for(oip.AscentSettings(n_steps=7, epsilon=0.5, seed=3, coarse_to_fine=((3, 0.2),)), shape) == default
    assert tricks_for(oip.AscentSettings(damping_sigma=0.5), shape) != default
    assert len({*default, *tricks_for(oip.AscentSettings(), shape)}) == 3  # hashable: the cache's key
