"""Figures shared by all notebooks: image grids, digit galleries, contrast enhancement, curves.

Arrays in, Matplotlib figures out; nothing here knows about models. Images may be ``(n, h, w)``,
``(n, h, w, 1)`` (shown with a colour map) or ``(n, h, w, 3)`` (shown as RGB).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def enhance_contrast(images: np.ndarray, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """Stretch each image so that its ``low``..``high`` percentiles map to 0..1 (clipped).

    Works per image on ``(h, w)``, ``(h, w, c)`` or batches ``(n, h, w[, c])`` with n > 1 when ndim >= 3
    and the last axis is not a channel axis of size 1 or 3. A constant image becomes all zeros.
    """
    if not 0 <= low < high <= 100:
        raise ValueError(f"need 0 <= low < high <= 100, got low={low}, high={high}")
    images = np.asarray(images, dtype=np.float32)
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


def _as_displayable(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError(f"expected images of shape (n, h, w), (n, h, w, 1) or (n, h, w, 3), got {images.shape}")
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
        images: ``(n, h, w)``, ``(n, h, w, 1)`` or ``(n, h, w, 3)``.
        titles: one title per image.
        ncols: panels per row.
        shared_scale: one colour scale for all panels (so brightness compares across panels) with one
            colour bar; otherwise each panel is scaled (and, with ``colorbar``, labelled) on its own.
        vmin, vmax: fix the colour scale (implies a shared scale).
        suptitle: the figure's title.
        panel_size: inches per panel.
    """
    images = _as_displayable(images)
    n = len(images)
    if n == 0:
        raise ValueError("image_grid needs at least one image")
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {len(titles)} titles for {n} images")
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    rgb = images.ndim == 4
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    if vmin is not None or vmax is not None:
        shared_scale = True
    if shared_scale and not rgb:
        vmin = float(np.min(images)) if vmin is None else vmin
        vmax = float(np.max(images)) if vmax is None else vmax
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
        fig.suptitle(suptitle)
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
        fig.suptitle(suptitle)
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
