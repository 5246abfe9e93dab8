"""helpers.oip.transforms: the random transformation trick (jitter, rotation, scaling)."""


import numpy as np

from helpers import oip
from oip_toys import _transform


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
