"""Figures shared by all notebooks: image grids, digit galleries, contrast enhancement, curves, animations.

Arrays in, Matplotlib figures (and animations) out; nothing here knows about models. Images may be ``(n, h, w)``,
``(n, h, w, 1)`` (shown with a colour map) or ``(n, h, w, 3)`` (shown as RGB).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation as mpl_animation
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


def _as_displayable(images: np.ndarray, blank_panels: bool = False, name: str = "images") -> np.ndarray:
    """``images`` as ``(n, h, w)`` or ``(n, h, w, 3)``; refuses NaN and infinite values, except that with
    ``blank_panels`` an image that is NaN everywhere is allowed (an empty panel). ``name`` names the argument in
    error messages."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError(f"expected {name} of shape (n, h, w), (n, h, w, 1) or (n, h, w, 3), got {images.shape}")
    if blank_panels and np.issubdtype(images.dtype, np.floating):
        blank = np.isnan(images).reshape(len(images), -1).all(axis=1)
        checks.finite_array(f"{name} (NaN only as a whole blank panel)", images[~blank])
    else:
        checks.finite_array(name, images)
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
    colorbar_label: str | None = None,
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
        colorbar_label: what the colour means, written beside the colour bar(s) (e.g. "standardized pixel value").
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
            fig.colorbar(mappable, ax=ax, fraction=0.046, pad=0.04, label=colorbar_label)
    if colorbar and not rgb and shared_scale and mappable is not None:
        fig.colorbar(mappable, ax=axes.ravel().tolist(), fraction=0.02, pad=0.02, label=colorbar_label)
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


# ---------------------------------------------------------------------------------------------- animations

ANIMATION_SUFFIXES = (".gif", ".mp4")


def _animation_frames(frames: np.ndarray) -> np.ndarray:
    """``frames`` checked and ready for ``imshow``: grey ``(n, h, w)`` as float, RGB ``(n, h, w, 3)`` as uint8 or
    stretched jointly (one min..max for all frames) to 0..1."""
    frames = _as_displayable(frames, name="frames")
    if len(frames) == 0 or 0 in frames.shape[1:3]:
        raise ValueError(f"frames is empty (shape {frames.shape}); need at least one frame of at least 1x1 pixels")
    if frames.ndim == 3:
        return frames.astype(np.float64, copy=False)
    if frames.dtype == np.uint8:
        return frames
    low, high = float(frames.min()), float(frames.max())
    return (frames - low) / (high - low) if high > low else np.zeros(frames.shape)


def animate_frames(
    frames: np.ndarray,
    titles: Sequence[str] | None = None,
    fps: float = 5.0,
    cmap: str = "gray",
    colorbar_label: str = "pixel value (standardized)",
    figsize: tuple[float, float] = (4.0, 3.6),
) -> mpl_animation.FuncAnimation:
    """An animation that shows ``frames`` one after another, e.g. the snapshots of one gradient ascent.

    Args:
        frames: ``(n, h, w)`` or ``(n, h, w, 1)`` grey images (drawn with ``cmap``) or ``(n, h, w, 3)`` RGB, finite,
            ``n >= 1``. All frames share one colour scale (the minimum to the maximum over all frames), so the
            viewer sees the pattern form rather than the scale change; RGB frames that are not uint8 are stretched
            jointly to 0..1 for the same reason.
        titles: one title per frame (default ``"frame i of n"``).
        fps: frames per second when played or saved.
        colorbar_label: label of the colour bar (grey frames only; RGB frames get none).
        figsize: (width, height) in inches.

    The figure is not registered with pyplot, so a notebook does not draw it a second time: show the animation
    with ``IPython.display.HTML(animation.to_jshtml())`` or write it with :func:`save_animation`.
    """
    frames = _animation_frames(frames)
    n = len(frames)
    titles = [f"frame {i + 1} of {n}" for i in range(n)] if titles is None else [str(t) for t in titles]
    if len(titles) != n:
        raise ValueError(f"got {len(titles)} titles for {n} frames")
    fps = checks.real("fps", fps, 0, open_low=True)
    fig = Figure(figsize=figsize)
    ax = fig.add_subplot()
    ax.set_xticks([])
    ax.set_yticks([])
    if frames.ndim == 3:
        shown = ax.imshow(frames[0], cmap=cmap, vmin=float(frames.min()), vmax=float(frames.max()))
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04, label=colorbar_label)
    else:
        shown = ax.imshow(frames[0])
    title = ax.set_title(titles[0])

    def draw(i: int):
        shown.set_data(frames[i])
        title.set_text(titles[i])
        return shown, title

    return mpl_animation.FuncAnimation(fig, draw, frames=n, interval=1000.0 / fps, repeat=True)


def _movie_writer(suffix: str, fps: float) -> mpl_animation.AbstractMovieWriter:
    """The writer for a file suffix: Pillow for ``.gif``, FFmpeg for ``.mp4`` (if installed)."""
    if suffix == ".gif":
        return mpl_animation.PillowWriter(fps=fps)
    if not mpl_animation.writers.is_available("ffmpeg"):
        raise RuntimeError("writing .mp4 needs ffmpeg, which was not found on this machine; install ffmpeg "
                           "(e.g. conda install ffmpeg, apt install ffmpeg) or save as .gif")
    return mpl_animation.FFMpegWriter(fps=fps)


def save_animation(
    animation: mpl_animation.Animation,
    path: str | Path,
    fps: float | None = None,
    dpi: int = 100,
    overwrite: bool = False,
) -> Path:
    """Write ``animation`` to ``path`` as a GIF (``.gif``, Pillow) or an MP4 video (``.mp4``, needs ffmpeg).

    Args:
        fps: frames per second (default: the animation's own rate).
        dpi: pixels per inch of the figure.
        overwrite: replace an existing file; otherwise an existing ``path`` raises :class:`FileExistsError`.

    Written atomically (:func:`helpers.files.atomic_write`): frames go to a temporary file in the same folder,
    which is renamed to ``path`` only when complete; a failure leaves neither a partial file nor the temporary.
    Raises ValueError for another suffix (listing the valid ones) and RuntimeError for ``.mp4`` without ffmpeg.
    Returns ``path``.
    """
    if not isinstance(animation, mpl_animation.Animation):
        raise ValueError(f"animation must be a matplotlib Animation (e.g. from animate_frames), got "
                         f"{type(animation).__name__}")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise ValueError(f"cannot tell the format of {path} from its suffix {path.suffix!r}; valid suffixes: "
                         f"{', '.join(ANIMATION_SUFFIXES)}")
    if fps is None:
        interval = getattr(animation, "_interval", None)  # ms between frames, set by every timed animation
        if not interval:
            raise ValueError("the animation has no frame rate of its own; pass fps")
        fps = 1000.0 / interval
    fps = checks.real("fps", fps, 0, open_low=True)
    dpi = checks.real("dpi", dpi, 0, open_low=True)
    writer = _movie_writer(suffix, fps)
    return files.atomic_write(path, lambda tmp: animation.save(tmp, writer=writer, dpi=dpi), overwrite=overwrite)
