"""Synthetic strokes: a line, an arc or a dot of ink on white paper, in raw pixel units (0..255), like MNIST.

A stroke is a list of points ``(row, col)`` in pixels (row 0 at the top, col 0 at the left); :func:`draw` inks
every pixel within half a stroke width of the polyline through them. Rotating or moving the points gives the
"same stroke, rotated or moved", for tuning curves (as in Distill's *Curve Detectors*, 2020)::

    points = line(center=(14, 14), angle=90, length=12)            # a vertical stroke through the centre
    ink = draw(points)                                              # (28, 28) float32 in 0..255
    turned = draw(rotated(points, 45))                              # the same stroke turned by 45° about its middle
    moved = draw(shifted(points, (0, 4)))                           # the same stroke 4 px to the right
    x = standardizer.apply(np.stack([ink, turned, moved]))          # (3, 28, 28, 1), as the network sees digits

Angles are in degrees, counter-clockwise as seen on the screen: 0° points right, 90° points up.
"""

from __future__ import annotations

import numpy as np

from helpers import checks

__all__ = ["line", "arc", "draw", "rotated", "shifted"]

MAX_COORDINATE = 1000.0
"""The largest magnitude of a coordinate, length or radius in pixels (far beyond any canvas of this series)."""
MAX_SIZE = 512
"""The largest canvas side :func:`draw` accepts (pixels); larger ones only cost memory."""
POINTS_PER_PIXEL = 2
"""How densely :func:`arc` samples its curve (points per pixel of arc length)."""


def _pair(name: str, value) -> tuple[float, float]:
    """``value`` as ``(row, col)``: two finite numbers within ``±MAX_COORDINATE``."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise checks.WrongTypeError(f"{name} must be a pair (row, col) of numbers, got {value!r}")
    row, col = value
    return (checks.real(f"{name}[0]", row, -MAX_COORDINATE, MAX_COORDINATE),
            checks.real(f"{name}[1]", col, -MAX_COORDINATE, MAX_COORDINATE))


def _angle(name: str, value) -> float:
    return checks.real(name, value, -360.0, 360.0)


def _points(name: str, points) -> np.ndarray:
    array = checks.finite_array(name, points, dtype=np.float64, ndim=2, allow_empty=False, max_abs=MAX_COORDINATE)
    if array.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2): rows of (row, col), got shape {array.shape}")
    return array


def _direction(angle: float) -> np.ndarray:
    """The unit step ``(d_row, d_col)`` of ``angle`` degrees (0° right, 90° up: rows grow downwards)."""
    radians = np.deg2rad(angle)
    return np.array([-np.sin(radians), np.cos(radians)])


def line(center: tuple[float, float], angle: float, length: float) -> np.ndarray:
    """A straight stroke: its two end points, ``(2, 2)`` as ``(row, col)`` in pixels.

    Args:
        center: the middle of the stroke ``(row, col)``, pixels.
        angle: its direction in degrees (0 horizontal, 90 vertical, 45 rising to the right).
        length: from end to end, pixels, > 0.
    """
    middle = np.array(_pair("center", center))
    half = checks.real("length", length, 0.0, MAX_COORDINATE, open_low=True) / 2
    step = _direction(_angle("angle", angle))
    return np.stack([middle - half * step, middle + half * step])


def arc(center: tuple[float, float], radius: float, start: float, span: float) -> np.ndarray:
    """A curved stroke: part of a circle, ``(n, 2)`` points ``(row, col)`` in pixels.

    Args:
        center: the circle's centre ``(row, col)``, pixels.
        radius: pixels, > 0.
        start: where the arc begins, degrees (0: right of the centre, 90: above it).
        span: how far it runs counter-clockwise, degrees, in (0, 360] (180: half a circle, 360: a ring).
    """
    middle = np.array(_pair("center", center))
    radius = checks.real("radius", radius, 0.0, MAX_COORDINATE, open_low=True)
    start = _angle("start", start)
    span = checks.real("span", span, 0.0, 360.0, open_low=True)
    n = max(2, int(np.ceil(np.deg2rad(span) * radius * POINTS_PER_PIXEL)) + 1)
    angles = start + np.linspace(0.0, span, n)
    return middle + radius * np.stack([_direction(a) for a in angles])


def rotated(points: np.ndarray, angle: float, pivot: tuple[float, float] | None = None) -> np.ndarray:
    """``points`` ``(n, 2)`` turned by ``angle`` degrees counter-clockwise about ``pivot`` (default: their
    centre, the mean of the points' bounding box); ``(n, 2)``."""
    points = _points("points", points)
    angle = _angle("angle", angle)
    if pivot is None:
        centre = (points.min(axis=0) + points.max(axis=0)) / 2
    else:
        centre = np.array(_pair("pivot", pivot))
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    d_row, d_col = (points - centre).T
    # counter-clockwise on the screen, where rows grow downwards
    return centre + np.stack([c * d_row - s * d_col, s * d_row + c * d_col], axis=1)


def shifted(points: np.ndarray, offset: tuple[float, float]) -> np.ndarray:
    """``points`` ``(n, 2)`` moved by ``offset`` ``(d_row, d_col)`` pixels (positive: down, right); ``(n, 2)``."""
    return _points("points", points) + np.array(_pair("offset", offset))


def draw(points: np.ndarray, width: float = 2.5, size: int = 28, ink: float = 255.0) -> np.ndarray:
    """Ink a stroke through ``points`` ``(n, 2)`` (a polyline; one point draws a dot) on a white canvas.

    Args:
        points: ``(row, col)`` in pixels, e.g. from :func:`line` or :func:`arc`; parts off the canvas are cut.
        width: stroke width, pixels, in (0, 28] (MNIST strokes are about 2 to 3 px wide).
        size: canvas side, pixels (28 for MNIST).
        ink: the value of full ink, in (0, 255] (MNIST: 255 on a background of 0).

    Returns ``(size, size)`` float32 in ``0..ink``: full ink within ``width / 2`` of the polyline, fading
    linearly to 0 over the next pixel (anti-aliased edges, as in MNIST).
    """
    points = _points("points", points)
    width = checks.real("width", width, 0.0, 28.0, open_low=True)
    size = checks.size("size", size, MAX_SIZE, "larger canvases only cost memory")
    ink = checks.real("ink", ink, 0.0, 255.0, open_low=True)
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    pixels = np.stack([rows.ravel(), cols.ravel()], axis=1)  # (size * size, 2)
    starts, ends = (points[:-1], points[1:]) if len(points) > 1 else (points, points)
    distance = np.full(len(pixels), np.inf)
    for a, b in zip(starts, ends):
        along = b - a
        length2 = float(along @ along)
        t = np.zeros(len(pixels)) if length2 == 0 else np.clip((pixels - a) @ along / length2, 0.0, 1.0)
        distance = np.minimum(distance, np.linalg.norm(pixels - (a + t[:, None] * along), axis=1))
    coverage = np.clip(width / 2 + 0.5 - distance, 0.0, 1.0)
    return (ink * coverage).reshape(size, size).astype(np.float32)
