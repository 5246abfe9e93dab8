"""helpers.oip.driver: the driver: the ascent, batching, convergence, chunks, progress bars, verbose reports."""


import numpy as np
import pytest

from helpers import oip
from oip_toys import _first_converged_reference, _toy_conv


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


def test_on_block_sees_every_block_and_leaves_the_result_unchanged(toy):
    x0 = oip.initial_images(3, (12, 12, 1), seed=4)
    kwargs = dict(x0=x0, n_steps=25, epsilon=0.05, jitter=1, early_stop=False, snapshot_steps=(7,), block_size=10,
                  progress=False)
    seen = []
    result = oip.run_oip(toy, "deep", [0, 1, 2], on_block=lambda images, losses, step: seen.append(
        (step, images.copy(), losses.copy())), **kwargs)
    plain = oip.run_oip(toy, "deep", [0, 1, 2], **kwargs)
    np.testing.assert_array_equal(result.images, plain.images)
    np.testing.assert_array_equal(result.losses, plain.losses)
    assert [step for step, _, _ in seen] == [7, 10, 20, 25]  # block ends: snapshots, multiples of block_size, the end
    for step, images, losses in seen:
        assert losses.shape == (step, 3)
        np.testing.assert_array_equal(losses, result.losses[:step])
    np.testing.assert_array_equal(seen[0][1], result.snapshots[7])
    np.testing.assert_array_equal(seen[-1][1], result.images)
    with pytest.raises(TypeError, match="on_block must be a function"):
        oip.run_oip(toy, "deep", [0], n_steps=2, on_block="print")
