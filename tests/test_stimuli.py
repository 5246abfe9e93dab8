"""helpers.stimuli: synthetic strokes in raw pixel units, turned and moved exactly as the tuning curves need."""

import numpy as np
import pytest

from helpers import stimuli


def test_a_line_has_its_length_angle_and_centre():
    points = stimuli.line((14, 10), 90, 8)  # vertical: rows change, columns do not
    np.testing.assert_allclose(points, [[18, 10], [10, 10]], atol=1e-12)
    flat = stimuli.line((5, 5), 0, 4)
    np.testing.assert_allclose(flat, [[5, 3], [5, 7]], atol=1e-12)
    rising = stimuli.line((10, 10), 45, 2 * np.sqrt(2))  # 45°: up and to the right
    np.testing.assert_allclose(rising, [[11, 9], [9, 11]], atol=1e-12)


def test_an_arc_lies_on_its_circle_and_runs_counter_clockwise():
    points = stimuli.arc((14, 14), 5, 0, 90)
    np.testing.assert_allclose(np.linalg.norm(points - 14, axis=1), 5, atol=1e-12)
    np.testing.assert_allclose(points[0], [14, 19], atol=1e-12)  # starts right of the centre
    np.testing.assert_allclose(points[-1], [9, 14], atol=1e-12)  # ends above it
    assert len(points) >= 2


def test_rotation_is_counter_clockwise_on_the_screen_about_the_centre():
    right = np.array([[10.0, 10.0], [10.0, 14.0]])  # a horizontal stroke
    turned = stimuli.rotated(right, 90)
    np.testing.assert_allclose(turned, [[12, 12], [8, 12]], atol=1e-12)  # vertical, same middle
    np.testing.assert_allclose(stimuli.rotated(right, 90, pivot=(10, 10)), [[10, 10], [6, 10]], atol=1e-12)
    np.testing.assert_allclose(stimuli.rotated(stimuli.rotated(right, 30), -30), right, atol=1e-12)
    # a line turned through 90° equals the line drawn at 90°
    np.testing.assert_allclose(stimuli.rotated(stimuli.line((14, 14), 0, 6), 90), stimuli.line((14, 14), 90, 6),
                               atol=1e-12)


def test_shifting_moves_down_and_right():
    np.testing.assert_allclose(stimuli.shifted([[1.0, 2.0]], (3, -1)), [[4, 1]])


def test_draw_inks_the_stroke_in_raw_pixel_units():
    ink = stimuli.draw(stimuli.line((14, 14), 0, 10), width=3)
    assert ink.shape == (28, 28) and ink.dtype == np.float32
    assert ink.min() == 0 and ink.max() == 255
    assert ink[14, 14] == 255 and ink[14, 9] == 255 and ink[0, 0] == 0
    np.testing.assert_array_equal(np.flatnonzero(ink[:, 14]), [13, 14, 15])  # 3 px wide
    soft = stimuli.draw(stimuli.line((14, 14), 0, 10), width=2.5)  # edges fade: 3/4 of the ink 1 px away
    np.testing.assert_allclose(soft[[12, 13, 14, 15, 16], 14], [0, 191.25, 255, 191.25, 0])
    dot = stimuli.draw([[5.0, 5.0]], width=2, size=12, ink=100)
    assert dot.shape == (12, 12) and dot.max() == 100 and dot[5, 5] == 100 and dot[5, 8] == 0


def test_a_moved_stroke_is_the_same_image_moved():
    points = stimuli.arc((12, 12), 4, 30, 200)
    moved = stimuli.draw(stimuli.shifted(points, (3, 2)))
    np.testing.assert_allclose(moved[3:, 2:], stimuli.draw(points)[:-3, :-2], atol=1e-4)


def test_strokes_off_the_canvas_are_cut():
    assert stimuli.draw(stimuli.line((-20, -20), 0, 4)).max() == 0
    assert stimuli.draw(stimuli.line((0, 14), 0, 8)).max() == 255


@pytest.mark.parametrize("call, word", [
    (lambda: stimuli.line((14, 14), 0, 0), "length"),
    (lambda: stimuli.line("ab", 0, 3), "center"),
    (lambda: stimuli.arc((14, 14), 5, 0, 400), "span"),
    (lambda: stimuli.draw(np.zeros((3, 3))), "points"),
    (lambda: stimuli.draw([[1.0, 2.0]], width=0), "width"),
    (lambda: stimuli.shifted([[1.0, 2.0]], (1, 2, 3)), "offset"),
])
def test_bad_arguments_are_named(call, word):
    with pytest.raises((ValueError, TypeError), match=word):
        call()
