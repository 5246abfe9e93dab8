"""Argument checks shared by the helpers: integers, finite numbers and finite arrays.

Each check returns the value in a plain form (``int``, ``float``, ``np.ndarray``) or raises ``ValueError`` with a
message that names the argument, what it got and what is valid, e.g. ``n_steps must be an integer in
1..100000, got 2.5``. Floats are never truncated to integers and booleans never count as numbers. This module
is a leaf: it imports nothing else from ``helpers``.
"""

from __future__ import annotations

import numpy as np


def _valid_range(low: float | None, high: float | None, open_low: bool = False) -> str:
    if low is not None and high is not None:
        return f" in {low}..{high}" if not open_low else f" in ({low}, {high}]"
    if low is not None:
        return f" {'>' if open_low else '>='} {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def is_integer(value) -> bool:
    """True for Python and NumPy integers (not booleans, not integral floats)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def integer(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an ``int``; raises ValueError unless it is an integer within ``low..high`` (inclusive)."""
    if not is_integer(value) or (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer{_valid_range(low, high)}, got {value!r}")
    return int(value)


def real(name: str, value, low: float | None = None, high: float | None = None, open_low: bool = False) -> float:
    """``value`` as a finite ``float``; raises ValueError unless it lies in ``[low, high]`` (``(low, high]`` with
    ``open_low``). NaN, infinities, booleans and non-numbers are refused."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    ok = ok and bool(np.isfinite(value))
    if ok and low is not None:
        ok = value > low if open_low else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        raise ValueError(f"{name} must be a finite number{_valid_range(low, high, open_low)}, got {value!r}")
    return float(value)


def finite_array(name: str, x) -> np.ndarray:
    """``x`` as an array; raises ValueError if it holds NaN or infinite values (the message says how many and
    where the first one is). Non-numeric arrays are refused too."""
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
        raise ValueError(f"{name} must hold numbers, got dtype {x.dtype}")
    if np.issubdtype(x.dtype, np.inexact):
        bad = ~np.isfinite(x)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            n_nan, n_inf = int(np.isnan(x).sum()), int(np.isinf(x).sum())
            raise ValueError(
                f"{name} holds {n_nan} NaN and {n_inf} infinite value(s), the first at index {first}; "
                "valid: finite numbers only"
            )
    return x


def node(value, grid: tuple[int, int], where: str) -> tuple[int, int]:
    """``value`` as a ``(row, col)`` pair of ints inside a ``grid`` of ``(rows, cols)``; raises ValueError
    naming the valid rows and columns otherwise. ``where`` names the maps, e.g. ``"layer 'Conv2D_3'"``."""
    rows, cols = grid
    valid = f"valid rows 0..{rows - 1}, cols 0..{cols - 1}"
    if isinstance(value, (str, bytes)) or np.ndim(value) != 1 or len(value) != 2 or not all(map(is_integer, value)):
        raise ValueError(f"node must be a pair of integers (row, col) ({valid}), got {value!r}")
    row, col = int(value[0]), int(value[1])
    if not (0 <= row < rows and 0 <= col < cols):
        raise ValueError(f"node {(row, col)} is outside the {rows}x{cols} maps of {where}: {valid}")
    return row, col
