"""helpers.checks: the shared argument checks accept exactly the valid values and name the valid range."""

import numpy as np
import pytest

from helpers import checks


@pytest.mark.parametrize("value, expected", [(3, True), (np.int64(-2), True), (np.uint8(7), True), (True, False),
                                             (np.bool_(False), False), (3.0, False), ("3", False), (None, False)])
def test_is_integer_means_an_integer_type_not_a_bool_or_an_integral_float(value, expected):
    assert checks.is_integer(value) is expected


def test_integer_accepts_the_inclusive_range_and_returns_a_plain_int():
    assert checks.integer("n", np.int32(5), low=5, high=5) == 5
    assert type(checks.integer("n", np.int32(5), low=5, high=5)) is int
    assert checks.integer("n", -10**12) == -10**12  # no bounds: any integer
    assert checks.integer("n", 7, high=7) == 7 and checks.integer("n", 1, low=1) == 1


@pytest.mark.parametrize("value, low, high, message", [
    (4, 5, 9, r"n must be an integer in 5\.\.9, got"),
    (10, 5, 9, r"n must be an integer in 5\.\.9, got"),
    (0, 1, None, r"n must be an integer >= 1, got"),
    (8, None, 7, r"n must be an integer <= 7, got"),
    (2.0, None, None, r"n must be an integer, got"),
    (True, None, None, r"n must be an integer, got"),
])
def test_integer_refuses_what_is_outside_or_not_an_integer(value, low, high, message):
    with pytest.raises(ValueError, match=message):
        checks.integer("n", value, low=low, high=high)


def test_real_accepts_closed_and_half_open_ranges():
    assert checks.real("x", 0, low=0, high=1) == 0.0 and type(checks.real("x", 0)) is float
    assert checks.real("x", 1, low=0, high=1) == 1.0
    assert checks.real("x", np.float32(0.5), low=0, high=1, open_low=True) == 0.5
    assert checks.real("x", -1e300) == -1e300


@pytest.mark.parametrize("value, low, high, open_low, message", [
    (0.0, 0.0, 1.0, True, r"x must be a finite number in \(0\.0, 1\.0\], got"),
    (-0.1, 0.0, 1.0, False, r"x must be a finite number in 0\.0\.\.1\.0, got"),
    (1.5, 0.0, 1.0, False, r"x must be a finite number in 0\.0\.\.1\.0, got"),
    (0.0, 0.0, None, True, r"x must be a finite number > 0\.0, got"),
    (-1.0, 0.0, None, False, r"x must be a finite number >= 0\.0, got"),
    (2.0, None, 1.0, False, r"x must be a finite number <= 1\.0, got"),
    (float("nan"), None, None, False, r"x must be a finite number, got"),
    (float("inf"), None, None, False, r"x must be a finite number, got"),
    (False, None, None, False, r"x must be a finite number, got"),
    ("1", None, None, False, r"x must be a finite number, got"),
])
def test_real_refuses_what_is_outside_or_not_a_finite_number(value, low, high, open_low, message):
    with pytest.raises(ValueError, match=message):
        checks.real("x", value, low=low, high=high, open_low=open_low)


def test_finite_array_returns_the_values_and_locates_the_first_bad_one():
    np.testing.assert_array_equal(checks.finite_array("x", [[1, 2], [3, 4]]), [[1, 2], [3, 4]])
    assert checks.finite_array("x", np.array([1, 2], dtype=np.uint8)).dtype == np.uint8  # integers pass as they are
    x = np.zeros((2, 3))
    x[1, 2], x[0, 1] = np.nan, np.inf
    with pytest.raises(ValueError, match=r"x holds 1 NaN and 1 infinite value\(s\), the first at index \(0, 1\)"):
        checks.finite_array("x", x)
    with pytest.raises(ValueError, match=r"holds 0 NaN and 1 infinite value\(s\), the first at index \(2,\)"):
        checks.finite_array("y", np.array([0.0, 1.0, -np.inf], dtype=np.float32))
    with pytest.raises((TypeError, ValueError), match="x must hold"):
        checks.finite_array("x", np.array(["a", "b"]))


@pytest.mark.parametrize("value", [(0, 0), (2, 4), [1, 3], np.array([2, 0])])
def test_node_accepts_pairs_inside_the_grid(value):
    assert checks.node(value, (3, 5), "layer 'deep'") == (int(value[0]), int(value[1]))


@pytest.mark.parametrize("value, message", [
    ((3, 0), r"node \(3, 0\) is outside the 3x5 maps of layer 'deep': valid rows 0\.\.2, cols 0\.\.4"),
    ((0, 5), r"node \(0, 5\) is outside the 3x5 maps"),
    ((-1, 0), r"node \(-1, 0\) is outside"),
    ((0, -1), r"node \(0, -1\) is outside"),
    ((1,), r"node must be a pair of integers \(row, col\) \(valid rows 0\.\.2, cols 0\.\.4\)"),
    ((1, 2, 3), "node must be a pair of integers"),
    ((1.0, 2), "node must be a pair of integers"),
    ("12", "node must be a pair of integers"),
    ([[1, 2]], "node must be a pair of integers"),
])
def test_node_refuses_what_is_not_a_pair_inside_the_grid(value, message):
    with pytest.raises(ValueError, match=message):
        checks.node(value, (3, 5), "layer 'deep'")


def test_finite_array_refuses_booleans_complex_numbers_wrong_axes_and_empty_arrays_unless_allowed():
    with pytest.raises(TypeError, match="boolean array"):
        checks.finite_array("x", np.array([True, False]))
    assert checks.finite_array("x", np.array([True]), allow_bool=True).dtype == np.bool_
    with pytest.raises(TypeError, match="complex"):
        checks.finite_array("x", np.array([1 + 1j]))
    for nothing in (None, "1.0"):
        with pytest.raises(TypeError, match="x must be an array of real numbers"):
            checks.finite_array("x", nothing)
    with pytest.raises(ValueError, match=r"x must have 2 or 3 axes, got shape \(4,\)"):
        checks.finite_array("x", np.zeros(4), ndim=(2, 3))
    assert checks.finite_array("x", np.zeros((2, 2)), ndim=2).shape == (2, 2)
    assert checks.finite_array("x", []).size == 0
    with pytest.raises(ValueError, match=r"x is empty \(shape \(0,\)\)"):
        checks.finite_array("x", [], allow_empty=False)
    assert checks.finite_array("x", [0.0], allow_empty=False).tolist() == [0.0]


def test_finite_array_casts_and_refuses_values_beyond_the_target_range():
    cast = checks.finite_array("x", np.array([1, 2]), dtype=np.float32)
    assert cast.dtype == np.float32 and cast.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="x holds values beyond the float32 range"):
        checks.finite_array("x", np.array([1.0, -1e300]), dtype=np.float32)
    assert checks.finite_array("x", np.array([3e38]), dtype=np.float32)[0] == np.float32(3e38)


def test_finite_array_bounds_the_magnitude_where_asked():
    assert checks.finite_array("x", np.array([-3.0, 2.0]), max_abs=3.0).tolist() == [-3.0, 2.0]  # the bound itself
    with pytest.raises(ValueError, match=r"x holds values up to 3\.5 in magnitude; valid: at most 3"):
        checks.finite_array("x", np.array([1.0, -3.5]), max_abs=3.0)
    with pytest.raises(ValueError, match="holds values up to 4 in magnitude"):
        checks.finite_array("x", np.array([4]), max_abs=3.0)  # integers too
    assert checks.finite_array("x", np.zeros(0), max_abs=3.0).size == 0
