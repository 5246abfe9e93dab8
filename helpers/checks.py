"""Argument checks shared by the helpers: the one boundary rule of the package.

Every public function of ``helpers`` checks its arguments here, before any work, and nowhere else by hand. Each
check returns the value in a plain form (``int``, ``float``, ``bool``, ``np.ndarray``, ``Path``) or raises
``ValueError`` (a wrong value) or ``TypeError`` (a wrong kind of value) with a message that names the argument,
what it got and what is valid, e.g. ``n_steps must be an integer in 1..100000, got 2.5``. The rules:

- numbers (:func:`real`, :func:`integer`, :func:`size`) are never booleans or strings, never NaN or infinite;
  floats are never truncated to integers;
- flags (:func:`flag`) are ``True`` or ``False`` only: a truthy string such as ``'no'`` is refused;
- names (:func:`choice`, :func:`string`) are one of the valid ones, which the message lists;
- arrays (:func:`finite_array`, :func:`labels`) hold finite real numbers: complex, boolean (where numbers are
  meant), string and object arrays are refused, and so are values that overflow the dtype they are cast to;
- sizes of work (:func:`size`) have an upper bound, and the message says why: work that would take minutes or
  exhaust memory is refused up front;
- settings that do nothing in the chosen mode are refused by :func:`unused` with the mode that uses them.

This module is a leaf: it imports nothing else from ``helpers``.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "WrongTypeError", "is_integer", "is_real", "integer", "size", "real", "flag", "choice", "string", "strings", "finite_array", "labels",
    "node", "file_path", "keras_model", "unused",
]


class WrongTypeError(TypeError, ValueError):
    """An argument of the wrong kind (a string for a number, a list for a path, ...): a TypeError, and a
    ValueError too, so that code written against the earlier checks, which raised ValueError, still catches it."""


def _valid_range(low: float | None, high: float | None, open_low: bool = False) -> str:
    if low is not None and high is not None:
        return f" in {low}..{high}" if not open_low else f" in ({low}, {high}]"
    if low is not None:
        return f" {'>' if open_low else '>='} {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def _shown(value) -> str:
    """``value`` for a message: its repr, shortened to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_integer(value) -> bool:
    """True for Python and NumPy integers (not booleans, not integral floats)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value) -> bool:
    """True for real numbers (Python or NumPy ints and floats; not booleans, strings or complex numbers)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def integer(name: str, value, low: int | None = None, high: int | None = None, why: str | None = None) -> int:
    """``value`` as an ``int``; raises ValueError unless it is an integer within ``low..high`` (inclusive).

    Anything but an integer (a float, even 2.0; a bool; a string) raises :class:`WrongTypeError`. With ``why``,
    ``high`` is a limit on work or memory: a larger value gets its own message, "at most ``high`` (``why``)".
    """
    if not is_integer(value):
        shown_high = None if why else high
        raise WrongTypeError(f"{name} must be an integer{_valid_range(low, shown_high)}, got {_shown(value)}")
    if why is not None and high is not None and value > high:
        raise ValueError(f"{name} must be at most {high:,} ({why}), got {value:,}")
    if (low is not None and value < low) or (high is not None and value > high):
        shown_high = None if why else high
        raise ValueError(f"{name} must be an integer{_valid_range(low, shown_high)}, got {_shown(value)}")
    return int(value)


def size(name: str, value, high: int, why: str, low: int = 1) -> int:
    """``value`` as an ``int`` in ``low..high``: a count of work (images, samples, steps, panels).

    ``why`` says what a larger value would cost, e.g. ``"more take minutes"``; it ends the message for a value
    above ``high``, so that the user learns the allowed size and the reason.
    """
    return integer(name, value, low, high, why)


def real(name: str, value, low: float | None = None, high: float | None = None, open_low: bool = False,
         why: str | None = None) -> float:
    """``value`` as a finite ``float``; raises ValueError unless it lies in ``[low, high]`` (``(low, high]`` with
    ``open_low``). NaN and infinities raise ValueError; booleans, strings, complex numbers and other non-numbers
    raise :class:`WrongTypeError`. With ``why``, a value above ``high`` gets its own message, "at most ``high``
    (``why``)"."""
    shown_high = None if why else high
    valid = f"{name} must be a finite number{_valid_range(low, shown_high, open_low)}"
    if not is_real(value):
        raise WrongTypeError(f"{valid}, got {_shown(value)}")
    try:
        ok = math.isfinite(float(value))
    except OverflowError:  # an int beyond the float range
        ok = False
    if ok and why is not None and high is not None and value > high:
        raise ValueError(f"{name} must be at most {high:g} ({why}), got {float(value):g}")
    if ok and low is not None:
        ok = value > low if open_low else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        raise ValueError(f"{valid}, got {_shown(value)}")
    return float(value)


def flag(name: str, value, allow_none: bool = False) -> bool | None:
    """``value`` as a ``bool``: ``True`` or ``False`` (NumPy booleans too), or None with ``allow_none``.

    Raises TypeError for anything else: a string such as ``'no'`` is truthy and would silently mean True.
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        valid = "True, False or None" if allow_none else "True or False"
        raise WrongTypeError(f"{name} must be {valid}, got {type(value).__name__} {value!r}")
    return bool(value)


def choice(name: str, value, valid: Collection, what: str | None = None, quote: bool = False):
    """``value`` if it is one of ``valid`` (compared by type and equality); raises ValueError listing them.

    ``what`` replaces ``name`` in the message's opening ("unknown optimizer 'x'"); ``quote`` lists the valid
    strings with quotes (``'pixel', 'fourier'``).
    """
    for option in valid:
        if _same_kind(option, value) and option == value:
            return option
    shown = ", ".join(v if isinstance(v, str) and not quote else repr(v) for v in valid)
    text = repr(value) if isinstance(value, (str, type(None))) else _shown(value)
    raise ValueError(f"unknown {what or name} {text}; valid: {shown}")


def _same_kind(option, value) -> bool:
    """Whether ``value`` may stand for ``option``: both None, both strings or both integers (not booleans)."""
    if option is None or value is None:
        return option is None and value is None
    if isinstance(option, str):
        return isinstance(value, str)
    if isinstance(option, bool):
        return isinstance(value, (bool, np.bool_))
    if is_integer(option):
        return is_integer(value)
    return type(option) is type(value)


def string(name: str, value, allow_empty: bool = False) -> str:
    """``value`` as a ``str``; raises :class:`WrongTypeError` for a non-string and (unless ``allow_empty``) for
    an empty or blank one."""
    if not isinstance(value, str):
        raise WrongTypeError(f"{name} must be a string, got {type(value).__name__} {value!r}")
    if not allow_empty and not value.strip():  # a TypeError as well: an empty name is no name at all
        raise WrongTypeError(f"{name} must be a non-empty string, got {value!r}")
    return value


def strings(name: str, value, count: int | None = None, of: str | None = None) -> list[str]:
    """``value`` as a list of strings (a list or tuple, not one string that would be read letter by letter).

    ``count``: the number of strings required (e.g. one title per image); ``of`` names what they belong to in
    the message, e.g. ``"3 images"``.
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise WrongTypeError(f"{name} must be a list of strings{f' (one per item, {count})' if count else ''}, got "
                        f"{_shown(value)}")
    items = list(value)
    if count is not None and len(items) != count:
        raise ValueError(f"got {len(items)} {name} for {of or f'{count} items'}; give exactly one each")
    wrong = [item for item in items if not isinstance(item, (str, numbers.Number, np.generic))]
    if wrong:
        raise WrongTypeError(f"{name} must be a list of strings (or numbers, shown as text), got an item "
                             f"{type(wrong[0]).__name__} {wrong[0]!r}")
    return [str(item) for item in items]


_NUMBER_KINDS = "iuf"  # signed and unsigned integers, floats


def finite_array(name: str, x, dtype=None, ndim: int | Sequence[int] | None = None, allow_bool: bool = False,
                 allow_empty: bool = True, max_abs: float | None = None) -> np.ndarray:
    """``x`` as an array of finite real numbers, cast to ``dtype`` if given.

    Raises TypeError for anything that is not an array of real numbers: strings, objects, ``None``, complex
    numbers (whose imaginary part a cast would drop) and booleans (``allow_bool=False``: True would count as 1);
    ValueError for NaN or infinite values (the message says how many and where the first one is), for values that
    overflow ``dtype`` (e.g. 1e300 as float32) or exceed ``max_abs`` in magnitude (where squares or sums of the
    values would overflow), for a number of axes other than ``ndim`` and, without ``allow_empty``, for an empty
    array.
    """
    if x is None or isinstance(x, (str, bytes)):
        raise WrongTypeError(f"{name} must be an array of real numbers, got {_shown(x)}")
    try:
        array = np.asarray(x)
    except (ValueError, TypeError) as error:  # ragged nested lists
        raise WrongTypeError(f"{name} must be an array of real numbers, got {type(x).__name__}: {error}") from None
    if array.dtype == np.bool_ and not allow_bool:
        raise WrongTypeError(f"{name} must hold real numbers, got a boolean array (True would count as 1); convert it "
                        "explicitly, e.g. x.astype(float)")
    if array.dtype.kind == "c":
        raise WrongTypeError(f"{name} must hold real numbers, got complex dtype {array.dtype} (take .real or abs() "
                        "explicitly)")
    if array.dtype.kind not in _NUMBER_KINDS and array.dtype != np.bool_:
        raise WrongTypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if ndim is not None:
        valid = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in valid:
            raise ValueError(f"{name} must have {' or '.join(map(str, valid))} axes, got shape {array.shape}")
    if not allow_empty and array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); give at least one value")
    _all_finite(name, array)
    if max_abs is not None and array.size and array.dtype.kind in "iuf":
        largest = float(np.abs(array).max())
        if largest > max_abs:
            raise ValueError(f"{name} holds values up to {largest:.3g} in magnitude; valid: at most {max_abs:.3g} "
                             "(larger values overflow the arithmetic)")
    if dtype is not None and array.dtype != np.dtype(dtype):
        with np.errstate(over="ignore", invalid="ignore"):
            cast = array.astype(dtype)
        if cast.dtype.kind == "f" and array.dtype.kind == "f" and not np.isfinite(cast).all():
            limit = np.finfo(cast.dtype).max
            raise ValueError(f"{name} holds values beyond the {cast.dtype} range (largest magnitude "
                             f"{float(np.abs(array).max()):.3g}, limit {limit:.3g})")
        array = cast
    return array


def _all_finite(name: str, array: np.ndarray) -> None:
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            n_nan, n_inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
            raise ValueError(
                f"{name} holds {n_nan} NaN and {n_inf} infinite value(s), the first at index {first}; "
                "valid: finite numbers only"
            )


def labels(name: str, x, n_classes: int | None = None, count: int | None = None, per: str = "item") -> np.ndarray:
    """``x`` as a 1-D integer array of class indices in ``0..n_classes-1``, ``count`` of them if given.

    Floats are refused (never truncated), booleans too; ``count`` catches one label for many images (``per``
    names what each label belongs to, e.g. ``"image"``).
    """
    array = finite_array(name, x, ndim=1)
    if array.size and array.dtype.kind not in "iu":
        raise WrongTypeError(f"{name} must be integer class indices, got dtype {array.dtype}")
    if count is not None and len(array) != count:
        raise ValueError(f"{name} must hold one label per {per} ({count}), got shape {array.shape}")
    if n_classes is not None and array.size and (array.min() < 0 or array.max() >= n_classes):
        raise ValueError(f"{name} must lie in 0..{n_classes - 1}, got values {array.min()}..{array.max()}")
    return array.astype(np.int64, copy=False)


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


def file_path(name: str, value, must_exist: bool = False, suffixes: Sequence[str] | None = None) -> Path:
    """``value`` (a ``str`` or path-like) as a :class:`~pathlib.Path` to a file, not a folder.

    Raises TypeError for anything else (e.g. a list of paths), ValueError for an empty path, an existing folder,
    a suffix not in ``suffixes`` and, with ``must_exist``, a file that is missing.
    """
    if not isinstance(value, (str, os.PathLike)) or isinstance(value, bytes):
        raise WrongTypeError(f"{name} must be a path (str or pathlib.Path), got {_shown(value)}")
    path = Path(value)
    if not str(value).strip():
        raise ValueError(f"{name} is an empty path")
    if path.is_dir():
        raise ValueError(f"{name} {str(path)!r} is a folder; give the path of a file")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise ValueError(f"{name} {str(path)!r} has the suffix {path.suffix!r}; valid: {', '.join(suffixes)}")
    if must_exist and not path.is_file():
        raise ValueError(f"{name} {str(path)!r}: file is missing")
    return path


def keras_model(name: str, value):
    """``value`` if it is a functional or Sequential Keras model with a defined input (what the helpers read
    layer outputs from); raises TypeError for anything else, naming what was given."""
    import keras

    if not isinstance(value, keras.Model):
        raise WrongTypeError(f"{name} must be a Keras model (keras.Model), got {_shown(value)}")
    try:
        inputs = value.inputs
        defined = bool(inputs) and all(getattr(layer, "_inbound_nodes", None) for layer in value.layers)
    except (AttributeError, ValueError):
        defined = False
    if not defined:
        raise WrongTypeError(f"{name} {value.name!r} is a subclassed Keras model (or one never built on an input): it "
                        "has no graph of layers to read; build it with the functional API (keras.Model(inputs, "
                        "outputs)) or keras.Sequential with an Input layer")
    return value


def unused(name: str, value, default, mode: str) -> None:
    """Raise ValueError if the setting ``name`` differs from its ``default`` while it has no effect: ``mode``
    names when it is used, e.g. ``"only with damping='blur' or 'fourier'"``."""
    same = value is default or (type(value) is type(default) and bool(value == default))
    if not same:
        raise ValueError(f"{name}={value!r} has no effect here: it is used {mode}; leave it at {default!r}")
