"""Figures shared by all notebooks: image grids, digit galleries, contrast enhancement, curves.

Arrays in, Matplotlib figures out; nothing here knows about models. Images may be ``(n, h, w)``,
``(n, h, w, 1)`` (shown with a colour map) or ``(n, h, w, 3)`` (shown as RGB).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from helpers import checks, files


def enhance_contrast(images: np.ndarray, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """Stretch each image so that its ``low``..``high`` percentiles map to 0..1 (clipped).

    Works per image on ``(h, w)``, ``(h, w, c)`` or batches ``(n, h, w[, c])`` with n > 1 when ndim >= 3
    and the last axis is not a channel axis of size 1 or 3. A constant image becomes all zeros.
    """
    low, high = checks.real("low", low, 0, 100), checks.real("high", high, 0, 100)
    if not low < high:
        raise ValueError(f"need 0 <= low < high <= 100, got low={low}, high={high}")
    images = checks.finite_array("images", np.asarray(images, dtype=np.float32))
    if images.ndim == 2 or (images.ndim == 3 and images.shape[-1] in (1, 3)):
        return _stretch(images, low, high)
    if images.ndim in (3, 4):
        return np.stack([_stretch(img, low, high) for img in images])
    raise ValueError(f"expected an image (h, w[, c]) or a batch (n, h, w[, c]), got shape {images.shape}")


def _stretch(image: np.ndarray, low: float, high: float) -> np.ndarray:
    lo, hi = np.percentile(image, [low, high])
    if hi <= lo:
        return np.zeros_like(image)
    return np.clip((image - lo) / (hi - lo), 0.0, 1.0)


def _as_displayable(images: np.ndarray, blank_panels: bool = False) -> np.ndarray:
    """``images`` as ``(n, h, w)`` or ``(n, h, w, 3)``; refuses NaN and infinite values, except that with
    ``blank_panels`` an image that is NaN everywhere is allowed (an empty panel)."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError(f"expected images of shape (n, h, w), (n, h, w, 1) or (n, h, w, 3), got {images.shape}")
    if blank_panels and np.issubdtype(images.dtype, np.floating):
        blank = np.isnan(images).reshape(len(images), -1).all(axis=1)
        checks.finite_array("images (NaN only as a whole blank panel)", images[~blank])
    else:
        checks.finite_array("images", images)
    return images


def image_grid(
    images: np.ndarray,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    cmap: str = "gray",
    shared_scale: bool = True,
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
    suptitle: str | None = None,
    panel_size: float = 1.5,
) -> Figure:
    """A grid of images with optional per-panel titles.

    Args:
        images: ``(n, h, w)``, ``(n, h, w, 1)`` or ``(n, h, w, 3)``, finite; an image that is NaN everywhere is
            drawn as a blank panel (e.g. a map without an OIP). Any other NaN or infinite value is refused.
        titles: one title per image.
        ncols: panels per row.
        shared_scale: one colour scale for all panels (so brightness compares across panels) with one
            colour bar; otherwise each panel is scaled (and, with ``colorbar``, labelled) on its own.
        vmin, vmax: fix the colour scale (implies a shared scale).
        suptitle: the figure's title.
        panel_size: inches per panel.
    """
    images = _as_displayable(images, blank_panels=True)
    n = len(images)
    if n == 0:
        raise ValueError("image_grid needs at least one image")
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {len(titles)} titles for {n} images")
    ncols = checks.integer("ncols", ncols, 1)
    vmin = None if vmin is None else checks.real("vmin", vmin)
    vmax = None if vmax is None else checks.real("vmax", vmax)
    rgb = images.ndim == 4
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    if vmin is not None or vmax is not None:
        shared_scale = True
    if shared_scale and not rgb and not np.isnan(images).all():
        vmin = float(np.nanmin(images)) if vmin is None else vmin  # blank (NaN) panels do not count
        vmax = float(np.nanmax(images)) if vmax is None else vmax
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel_size * ncols + (0.8 if colorbar else 0), panel_size * nrows + 0.5), squeeze=False
    )
    mappable = None
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        kwargs = {} if rgb else {"cmap": cmap, "vmin": vmin if shared_scale else None, "vmax": vmax if shared_scale else None}
        mappable = ax.imshow(images[i], **kwargs)
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
        if colorbar and not rgb and not shared_scale:
            fig.colorbar(mappable, ax=ax, fraction=0.046, pad=0.04)
    if colorbar and not rgb and shared_scale and mappable is not None:
        fig.colorbar(mappable, ax=axes.ravel().tolist(), fraction=0.02, pad=0.02)
    if suptitle:
        fig.suptitle(suptitle, y=1.0, va="bottom")  # above the panels, clear of two-line panel titles
    return fig


def digit_gallery(
    images: np.ndarray,
    labels: np.ndarray,
    per_class: int = 10,
    classes: Sequence[int] = tuple(range(10)),
    seed: int = 0,
    suptitle: str | None = "Examples per class",
    panel_size: float = 0.9,
) -> Figure:
    """One row per class with ``per_class`` randomly chosen examples (seeded), the class on the left."""
    images = _as_displayable(images)
    per_class = checks.integer("per_class", per_class, 1)
    labels = np.asarray(labels)
    if len(images) != len(labels):
        raise ValueError(f"got {len(images)} images but {len(labels)} labels")
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(
        len(classes), per_class, figsize=(panel_size * per_class, panel_size * len(classes) + 0.4), squeeze=False
    )
    for row, cls in enumerate(classes):
        members = np.flatnonzero(labels == cls)
        if len(members) == 0:
            raise ValueError(f"class {cls} has no examples")
        chosen = rng.choice(members, size=min(per_class, len(members)), replace=False)
        for col, ax in enumerate(axes[row]):
            ax.set_xticks([])
            ax.set_yticks([])
            if col < len(chosen):
                ax.imshow(images[chosen[col]], cmap="gray_r")
            else:
                ax.axis("off")
        axes[row, 0].set_ylabel(str(cls), rotation=0, labelpad=12, fontsize=11, va="center")
    if suptitle:
        fig.suptitle(suptitle, y=1.0, va="bottom")  # above the panels, clear of two-line panel titles
    fig.tight_layout()
    return fig


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    title: str,
    xlabel: str = "epoch",
    ylabel: str = "",
    logy: bool = False,
    x: Sequence[float] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Several named curves on one labelled axes (x defaults to 1..len)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in curves.items():
        xs = x if x is not None else np.arange(1, len(values) + 1)
        ax.plot(xs, values, label=name, marker="o" if len(values) <= 30 else None, ms=3)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if len(curves) > 1:
        ax.legend()
    return ax


def tile_maps(maps: np.ndarray, ncols: int = 16, gap: int = 1) -> np.ndarray:
    """Arrange the maps of one layer side by side in a single 2-D mosaic (e.g. an activation pattern).

    Args:
        maps: ``(h, w, n_maps)`` (channels last, as Keras returns them), e.g. ``(3, 3, 128)``.
        ncols: maps per row; map ``i`` sits in row ``i // ncols``, column ``i % ncols``.
        gap: pixels of NaN (drawn as background) between the maps.

    Returns ``(rows * (h + gap) - gap, ncols * (w + gap) - gap)`` float array; e.g. (31, 63) for 128 maps
    of 3x3 in 16 columns.
    """
    maps = checks.finite_array("maps", np.asarray(maps, dtype=np.float64))
    if maps.ndim != 3:
        raise ValueError(f"expected maps of shape (h, w, n_maps), got {maps.shape}")
    ncols, gap = checks.integer("ncols", ncols, 1), checks.integer("gap", gap, 0)
    h, w, n = maps.shape
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    mosaic = np.full((nrows * (h + gap) - gap, ncols * (w + gap) - gap), np.nan)
    for i in range(n):
        r, c = divmod(i, ncols)
        mosaic[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = maps[:, :, i]
    return mosaic


def similarity_heatmap(
    matrix: np.ndarray,
    labels: Sequence[str] | None = None,
    title: str = "",
    ax: plt.Axes | None = None,
    vmin: float | None = None,
    vmax: float = 1.0,
    cmap: str = "viridis",
    annotate: bool = True,
    colorbar_label: str = "similarity",
) -> plt.Axes:
    """A square ``(k, k)`` matrix (similarity, correlation, confusion) as a labelled heat map; NaN entries (an
    undefined similarity) are drawn blank, infinite ones are refused.

    Args:
        labels: names of the rows and columns (default 0..k-1).
        vmin: lower end of the colour scale (default: the smallest finite value).
        annotate: write each value (2 decimals) into its cell; sensible for k <= 12.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"expected a square matrix (k, k), got shape {matrix.shape}")
    checks.finite_array("matrix (NaN allowed: an undefined value, drawn blank)", np.where(np.isnan(matrix), 0.0, matrix))
    vmin = None if vmin is None else checks.real("vmin", vmin)
    vmax = checks.real("vmax", vmax)
    k = len(matrix)
    labels = [str(i) for i in range(k)] if labels is None else [str(label) for label in labels]
    if len(labels) != k:
        raise ValueError(f"got {len(labels)} labels for a {k}x{k} matrix")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * k + 1.8, 0.5 * k + 1.2))
    finite = matrix[np.isfinite(matrix)]
    vmin = float(finite.min()) if vmin is None and finite.size else vmin
    shown = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_xticks(range(k), labels)
    ax.set_yticks(range(k), labels)
    if annotate:
        middle = (vmin + vmax) / 2 if vmin is not None else np.nanmean(finite)
        for i in range(k):
            for j in range(k):
                if np.isfinite(matrix[i, j]):
                    ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=7,
                            color="black" if matrix[i, j] > middle else "white")
    ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.04, label=colorbar_label)
    if title:
        ax.set_title(title)
    return ax


def save_figure(fig: Figure, path: str | Path, dpi: int = 100) -> Path:
    """Write ``fig`` to ``path`` atomically (:func:`helpers.files.atomic_write`: a temporary file in the same
    folder, then a rename), replacing an existing file.

    A crash never leaves a half-written picture; the format follows the suffix (``.png``, ``.svg``, ...).
    """
    return files.atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight"), overwrite=True)
