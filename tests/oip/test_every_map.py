"""helpers.oip.every_map: a pattern for every map (the best of several scanned starts, silent maps woken)."""

import numpy as np
import pytest

from helpers import activations as A
from helpers import oip
from oip_toys import _toy_conv


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
