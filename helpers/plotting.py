"""Figures shared by all notebooks: the series' figure style, image grids, digit galleries, contrast
enhancement, curves, animations.

**One visual convention** (stated for readers in ``notebooks/00_start_here.md``): digits and OIPs are input images,
drawn with ink dark on white paper (:data:`IMAGE_CMAP`); activation maps and other non-negative values use
:data:`ACTIVATION_CMAP`; signed values (attributions, differences) use :data:`SIGNED_CMAP`, centred on zero. Where
colour means a value, a colour bar says which. :func:`use_style` sets sizes so that a figure is drawn at the size
it is shown (at most :data:`COLUMN_INCHES` wide, the book's text column) with no text smaller than
:data:`MIN_FONT_PT`, and stored at twice the screen resolution so it stays sharp on a 2x screen.

Arrays in, Matplotlib figures (and animations) out; nothing here knows about models. Images may be ``(n, h, w)``,
``(n, h, w, 1)`` (shown with a colour map) or ``(n, h, w, 3)`` (shown as RGB).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation as mpl_animation
from matplotlib.figure import Figure

from helpers import checks, files

__all__ = [
    "IMAGE_CMAP", "ACTIVATION_CMAP", "SIGNED_CMAP", "COLUMN_INCHES", "MIN_FONT_PT", "STYLE", "use_style", "fit_width",
    "ATTRIBUTION_KINDS", "attribution_table",
    "enhance_contrast", "image_grid", "digit_gallery", "plot_curves", "tile_maps", "similarity_heatmap",
    "save_figure", "animate_frames", "save_animation",
]

IMAGE_CMAP = "gray_r"
"""Colour map of input images (digits, OIPs, receptive-field patches): ink dark, paper white."""
ACTIVATION_CMAP = "viridis"
"""Colour map of activation maps and other non-negative values (dark = low, yellow = high)."""
SIGNED_CMAP = "RdBu_r"
"""Colour map of signed values (attributions, differences): red positive, blue negative, white zero."""

SCREEN_DPI = 100
"""Pixels per inch of a figure on screen (JupyterLab and the book show figures at this size)."""
COLUMN_INCHES = 7.8
"""The widest figure, in inches: 780 px at :data:`SCREEN_DPI`, inside the book's text column (784 px at a 1,400 px
window) and a JupyterLab window, so no figure is shrunk where it is shown."""
MIN_FONT_PT = 7.0
"""The smallest text in a figure, in points: 9.7 px at :data:`SCREEN_DPI`, body text's small print."""

STYLE: dict[str, object] = {
    "figure.dpi": SCREEN_DPI,
    "savefig.dpi": 2 * SCREEN_DPI,
    "figure.figsize": (6.4, 4.0),
    "font.size": 10.0,
    "axes.titlesize": 10.5,
    "axes.labelsize": 9.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "legend.title_fontsize": 9.0,
    "figure.titlesize": 11.5,
    "legend.loc": "best",
    "legend.framealpha": 0.9,
    "image.cmap": ACTIVATION_CMAP,
    "image.interpolation": "nearest",
}
"""The series' Matplotlib settings (:func:`use_style` applies them)."""


def use_style() -> None:
    """Apply :data:`STYLE`; in IPython also store inline figures at 2x ("retina") so they stay sharp on high-density
    screens while shown at their natural size. Call it once, in a notebook's first cell."""
    plt.rcParams.update(STYLE)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    if get_ipython() is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("retina")


def fit_width(width: float, height: float) -> tuple[float, float]:
    """A figure size (inches) no wider than :data:`COLUMN_INCHES`: ``(width, height)`` scaled down, aspect kept."""
    width = checks.real("width (inches)", width, 0, MAX_INCHES, open_low=True)
    height = checks.real("height (inches)", height, 0, MAX_INCHES, open_low=True)
    scale = min(1.0, COLUMN_INCHES / width)
    return width * scale, height * scale


MAX_PANELS = 1_024
"""The most panels one figure draws (image grids, galleries): more take minutes to draw and cannot be told apart
on a screen."""
MAX_FRAMES = 10_000
"""The most frames of one animation (each frame is drawn once more for every loop of a saved file)."""
MAX_PER_CLASS = 100
"""The most examples per class :func:`digit_gallery` draws in a row."""
MAX_ANNOTATED = 40
"""The largest matrix (k x k) whose values :func:`similarity_heatmap` writes into the cells."""
MAX_INCHES = 200.0
"""The largest panel size or figure side in inches (Matplotlib refuses figures beyond 2**16 pixels)."""


MAX_VALUE = 1e38
"""The largest magnitude of a value drawn (Matplotlib resamples images in float32, whose largest number is 3.4e38)."""
DRAWN = "plotting.MAX_VALUE; Matplotlib draws in float32"


def _optional_string(name: str, value) -> str | None:
    return None if value is None else checks.string(name, value, allow_empty=True)


def _check_cmap(cmap) -> str:
    """``cmap`` if Matplotlib knows the colour map; ValueError naming a few valid ones otherwise."""
    import matplotlib

    checks.string("cmap", cmap)
    if cmap not in matplotlib.colormaps:
        raise ValueError(f"unknown cmap {cmap!r}; valid: a name in matplotlib.colormaps, e.g. gray, gray_r, viridis, "
                         "coolwarm")
    return cmap


def _scale_value(name: str, value) -> float:
    """An end of a colour scale: a finite number of at most :data:`MAX_VALUE` in magnitude."""
    value = checks.real(name, value)
    checks.real(f"the magnitude of {name}", abs(value), high=MAX_VALUE, why=DRAWN)
    return value


def _check_scale(vmin: float | None, vmax: float | None) -> None:
    if vmin is not None and vmax is not None and not vmin < vmax:
        raise ValueError(f"need vmin < vmax for the colour scale, got vmin={vmin:g}, vmax={vmax:g}")


def enhance_contrast(images: np.ndarray, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """Stretch each image so that its ``low``..``high`` percentiles map to 0..1 (clipped).

    Works per image on ``(h, w)``, ``(h, w, c)`` or batches ``(n, h, w[, c])`` with n > 1 when ndim >= 3
    and the last axis is not a channel axis of size 1 or 3. A constant image becomes all zeros.
    """
    low, high = checks.real("low", low, 0, 100), checks.real("high", high, 0, 100)
    if not low < high:
        raise ValueError(f"need 0 <= low < high <= 100, got low={low}, high={high}")
    images = checks.finite_array("images", images, dtype=np.float32, allow_empty=False)
    if images.ndim == 2 or (images.ndim == 3 and images.shape[-1] in (1, 3)):
        return _stretch(images, low, high)
    if images.ndim in (3, 4):
        return np.stack([_stretch(img, low, high) for img in images])
    raise ValueError(f"images must be an image (h, w[, c]) or a batch (n, h, w[, c]), got shape {images.shape}")


def _stretch(image: np.ndarray, low: float, high: float) -> np.ndarray:
    lo, hi = np.percentile(image, [low, high])
    if hi <= lo:
        return np.zeros_like(image)
    return np.clip((image - lo) / (hi - lo), 0.0, 1.0)


def _as_displayable(images: np.ndarray, blank_panels: bool = False, name: str = "images") -> np.ndarray:
    """``images`` as ``(n, h, w)`` or ``(n, h, w, 3)``; refuses NaN and infinite values, except that with
    ``blank_panels`` an image that is NaN everywhere is allowed (an empty panel). ``name`` names the argument in
    error messages."""
    if images is None or isinstance(images, (str, bytes)):
        raise checks.WrongTypeError(f"{name} must be an array of images, got {type(images).__name__} {images!r}")
    images = np.asarray(images)
    if images.dtype.kind not in "iufb":
        checks.finite_array(name, images)  # raises, naming the dtype (complex, strings, objects)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError(f"expected {name} of shape (n, h, w), (n, h, w, 1) or (n, h, w, 3), got {images.shape}")
    if len(images) == 0:
        raise ValueError(f"{name} is empty (shape {images.shape}); give at least one image")
    if blank_panels and np.issubdtype(images.dtype, np.floating):
        blank = np.isnan(images).reshape(len(images), -1).all(axis=1)
        checks.finite_array(f"{name} (NaN only as a whole blank panel)", images[~blank], max_abs=MAX_VALUE)
    else:
        checks.finite_array(name, images, allow_bool=True, max_abs=MAX_VALUE)
    return images


TITLE_LINE_INCHES = 0.13
"""Height of one line of an 8-pt panel title (inches)."""
TITLE_PAD_INCHES = 0.09
"""The gap between a panel and its title (Matplotlib's 6-pt title pad), in inches."""
TITLE_CLEARANCE_INCHES = 2 / 72
"""The least free space between a panel title's line (:data:`TITLE_LINE_INCHES` high, so its letters end lower)
and the image of the row above: 2 pt."""
DEFAULT_HSPACE = 0.2
"""Matplotlib's default gap between rows of panels, as a fraction of a panel's height."""


def _row_spacing(
    size: tuple[float, float], grid: tuple[int, int], aspect: float, width_share: float, title_lines: int,
    shown_panel: float,
) -> tuple[tuple[float, float], float | None]:
    """Figure size and ``hspace`` that leave room for ``title_lines`` lines of panel titles between rows.

    First estimate: titles higher than Matplotlib's default gap (a fifth of a panel ``shown_panel`` inches high)
    get a gap of their own height. Then the real geometry is checked: a panel's image is ``aspect`` (height / width)
    times as high as it is wide and, with equal axes, as large as its cell allows (``width_share`` of a cell's
    width is left to the panel, colour bars take the rest); if the space between a title and the image above is
    under :data:`TITLE_CLEARANCE_INCHES`, the rows become as high as their images and the gap fits the titles.
    Returns the size and ``hspace`` (a fraction of a row's height), ``None`` for Matplotlib's default.
    """
    (width, height), (nrows, ncols) = size, grid
    titles = title_lines * TITLE_LINE_INCHES + TITLE_PAD_INCHES if title_lines else 0.0
    hspace = DEFAULT_HSPACE
    if title_lines * TITLE_LINE_INCHES > DEFAULT_HSPACE * shown_panel:
        hspace = titles / shown_panel
        height += (nrows - 1) * (hspace - DEFAULT_HSPACE) * shown_panel
    params = plt.rcParams
    box_width = (params["figure.subplot.right"] - params["figure.subplot.left"]) * width * width_share / (
        ncols + (ncols - 1) * params["figure.subplot.wspace"])
    share_high = params["figure.subplot.top"] - params["figure.subplot.bottom"]
    box_height = share_high * height / (nrows + (nrows - 1) * hspace)
    free = hspace * box_height + (box_height - min(box_height, aspect * box_width)) - titles
    if nrows > 1 and free < TITLE_CLEARANCE_INCHES:
        image_height = aspect * box_width
        hspace = (titles + TITLE_CLEARANCE_INCHES) / image_height
        height = max(height, image_height * (nrows + (nrows - 1) * hspace) / share_high)
    return (width, height), (None if hspace == DEFAULT_HSPACE else hspace)


def image_grid(
    images: np.ndarray,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    cmap: str = IMAGE_CMAP,
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
        raise ValueError("images is empty; image_grid needs at least one image")
    checks.size("the number of images", n, MAX_PANELS, "plotting.MAX_PANELS; more take minutes to draw")
    if titles is not None:
        titles = checks.strings("titles", titles, count=n, of=f"{n} images")
    ncols = checks.integer("ncols", ncols, 1)
    _check_cmap(cmap)
    shared_scale, colorbar = checks.flag("shared_scale", shared_scale), checks.flag("colorbar", colorbar)
    vmin = None if vmin is None else _scale_value("vmin", vmin)
    vmax = None if vmax is None else _scale_value("vmax", vmax)
    suptitle, colorbar_label = _optional_string("suptitle", suptitle), _optional_string("colorbar_label", colorbar_label)
    panel_size = checks.real("panel_size (inches)", panel_size, 0, MAX_INCHES / max(1, min(ncols, n)), open_low=True)
    rgb = images.ndim == 4
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    given = vmin is not None or vmax is not None
    if given:
        shared_scale = True
    if shared_scale and not rgb and not np.isnan(images).all():
        vmin = float(np.nanmin(images)) if vmin is None else vmin  # blank (NaN) panels do not count
        vmax = float(np.nanmax(images)) if vmax is None else vmax
    if given and vmin is not None and vmax is not None:  # a scale the user set (in part): it must not be empty
        _check_scale(vmin, vmax)
    drawn_width = panel_size * ncols + (0.8 if colorbar else 0)
    width, height = fit_width(drawn_width, panel_size * nrows + 0.5)
    gridspec = None
    if titles is not None:  # room between rows for the panel titles once the grid is fitted to the column
        width_share = 1.0 if not colorbar or rgb else 0.96 if shared_scale else 0.914  # colour bars' fraction + pad
        below_first_row = [t for t in titles[ncols:] if t]  # only these can reach the row above
        lines = max((t.count("\n") + 1 for t in below_first_row), default=0)
        (width, height), hspace = _row_spacing((width, height), (nrows, ncols), images.shape[1] / images.shape[2],
                                               width_share, lines, panel_size * width / drawn_width)
        gridspec = None if hspace is None else {"hspace": hspace}
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False, gridspec_kw=gridspec)
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
    per_class = checks.size("per_class", per_class, MAX_PER_CLASS, "plotting.MAX_PER_CLASS; a longer row cannot be "
                            "read and takes minutes to draw")
    labels = checks.finite_array("labels", labels, ndim=1)
    if len(images) != len(labels):
        raise ValueError(f"got {len(images)} images but {len(labels)} labels")
    classes = checks.finite_array("classes", classes, ndim=1, allow_empty=False)
    checks.size("the number of classes", len(classes), MAX_PANELS // per_class, "plotting.MAX_PANELS panels in all")
    seed = checks.integer("seed", seed, 0, 2**63 - 1, "64-bit seeds")
    suptitle = _optional_string("suptitle", suptitle)
    panel_size = checks.real("panel_size (inches)", panel_size, 0, MAX_INCHES / per_class, open_low=True)
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(
        len(classes), per_class, figsize=fit_width(panel_size * per_class, panel_size * len(classes) + 0.4),
        squeeze=False,
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
                ax.imshow(images[chosen[col]], cmap=IMAGE_CMAP)
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
    """Several named curves on one labelled axes (x defaults to 1..len); values must be finite."""
    if not isinstance(curves, Mapping) or not curves:
        raise checks.WrongTypeError(f"curves must be a non-empty mapping {{name: values}}, got {type(curves).__name__} "
                                    f"{curves!r}")
    curves = {checks.string("each curve's name", name, allow_empty=True):
              checks.finite_array(f"curve {name!r}", values, ndim=1) for name, values in curves.items()}
    for name in ("title", "xlabel", "ylabel"):
        checks.string(name, locals()[name], allow_empty=True)
    logy = checks.flag("logy", logy)
    if x is not None:
        x = checks.finite_array("x", x, ndim=1)
        wrong = [name for name, values in curves.items() if len(values) != len(x)]
        if wrong:
            raise ValueError(f"x has {len(x)} values, but curve {wrong[0]!r} has {len(curves[wrong[0]])}")
    if logy and any((values <= 0).any() for values in curves.values()):
        raise ValueError("logy=True needs positive values; a curve holds values <= 0")
    if ax is not None and not isinstance(ax, plt.Axes):
        raise checks.WrongTypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
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
        ax.legend(loc="best")  # Matplotlib places it where it covers the fewest points
    return ax


ATTRIBUTION_KINDS: dict[str, tuple[str, tuple[float, float], str]] = {
    "digit": (IMAGE_CMAP, (0.0, 255.0), "ink (0-255)"),
    "oip": (IMAGE_CMAP, (0.0, 1.0), "ink, stretched"),
    "signed": (SIGNED_CMAP, (-1.0, 1.0), "scaled value"),
    "positive": (ACTIVATION_CMAP, (0.0, 1.0), "scaled value"),
    "overlay": (ACTIVATION_CMAP, (0.0, 1.0), "heat / max"),
}
"""Row kinds of :func:`attribution_table`: (colour map, colour range, colour-bar label). ``digit``: raw ink 0..255;
``oip``: contrast-stretched per panel (1st..99th percentile to 0..1); ``signed``: divided by the 99.5th percentile
of |value|, symmetric around 0; ``positive``: divided by its 99.5th percentile; ``overlay``: a non-negative heat map
divided by its maximum, drawn over the column's digit. The labels are short so that a row's label fits its height."""


def _scaled_panel(panel: np.ndarray, kind: str) -> np.ndarray:
    if kind == "oip":
        return enhance_contrast(panel)
    if kind == "signed":
        return np.clip(panel / (np.percentile(np.abs(panel), 99.5) or 1.0), -1, 1)
    if kind == "positive":
        return np.clip(panel / (np.percentile(panel, 99.5) or 1.0), 0, 1)
    if kind == "overlay":
        return panel / (panel.max() or 1.0)
    return panel


def attribution_table(
    digits: np.ndarray,
    rows: Mapping[str, tuple[np.ndarray, str]],
    column_titles: Sequence[str],
    suptitle: str,
    panel_size: float = 1.0,
) -> Figure:
    """A table of images: one column per digit, one row per kind of map, one labelled colour bar per row.

    Args:
        digits: ``(n, 28, 28)`` raw digits (0..255), drawn under ``overlay`` rows.
        rows: ``{row label: (maps, kind)}``; maps ``(n, h, w)`` or ``(n, h, w, 1)``, finite; kind one of
            :data:`ATTRIBUTION_KINDS`. Each panel is scaled on its own, so colours compare pixels *within* a panel.
        column_titles: one title per digit.
        suptitle: the figure's title.
        panel_size: inches per panel (the figure is fitted to :data:`COLUMN_INCHES`).
    """
    digits = _as_displayable(digits, name="digits")
    n = len(digits)
    if not isinstance(rows, Mapping) or not rows:
        raise checks.WrongTypeError(f"rows must be a non-empty mapping {{label: (maps, kind)}}, got {type(rows).__name__}")
    column_titles = checks.strings("column_titles", column_titles, count=n, of=f"{n} digits")
    suptitle = checks.string("suptitle", suptitle, allow_empty=True)
    panel_size = checks.real("panel_size (inches)", panel_size, 0, MAX_INCHES / max(1, n), open_low=True)
    checked = {}
    for label, entry in rows.items():
        if not isinstance(entry, tuple) or len(entry) != 2:
            raise checks.WrongTypeError(f"rows[{label!r}] must be a pair (maps, kind), got {type(entry).__name__}")
        maps, kind = entry
        kind = checks.choice(f"the kind of row {label!r}", kind, tuple(ATTRIBUTION_KINDS))
        maps = _as_displayable(maps, name=f"the maps of row {label!r}")
        if len(maps) != n:
            raise ValueError(f"row {label!r} has {len(maps)} maps for {n} digits; give one per digit")
        checked[checks.string("a row label", label)] = (maps, kind)
    fig, axes = plt.subplots(len(checked), n, squeeze=False, layout="constrained",
                             figsize=fit_width(panel_size * n + 1.4, panel_size * len(checked) + 0.8))
    for r, (label, (maps, kind)) in enumerate(checked.items()):
        cmap, (low, high), bar_label = ATTRIBUTION_KINDS[kind]
        for c, ax in enumerate(axes[r]):
            if kind == "overlay":
                ax.imshow(digits[c], cmap=IMAGE_CMAP)
            shown = ax.imshow(_scaled_panel(maps[c], kind), cmap=cmap, vmin=low, vmax=high,
                              alpha=0.55 if kind == "overlay" else None)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(column_titles[c], fontsize=7.5)
        axes[r, 0].set_ylabel(textwrap.fill(label, 13), fontsize=8)
        bar = fig.colorbar(shown, ax=axes[r, :].tolist(), fraction=0.02, pad=0.01)
        bar.set_label(bar_label, fontsize=7)
        bar.ax.tick_params(labelsize=7)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def tile_maps(maps: np.ndarray, ncols: int = 16, gap: int = 1) -> np.ndarray:
    """Arrange the maps of one layer side by side in a single 2-D mosaic (e.g. an activation pattern).

    Args:
        maps: ``(h, w, n_maps)`` (channels last, as Keras returns them), e.g. ``(3, 3, 128)``.
        ncols: maps per row; map ``i`` sits in row ``i // ncols``, column ``i % ncols``.
        gap: pixels of NaN (drawn as background) between the maps.

    Returns ``(rows * (h + gap) - gap, ncols * (w + gap) - gap)`` float array; e.g. (31, 63) for 128 maps
    of 3x3 in 16 columns.
    """
    maps = checks.finite_array("maps", maps, dtype=np.float64, allow_empty=False)
    if maps.ndim != 3:
        raise ValueError(f"expected maps of shape (h, w, n_maps), got {maps.shape}")
    ncols, gap = checks.integer("ncols", ncols, 1), checks.integer("gap", gap, 0, 1000, "pixels between the maps")
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
    name = "matrix (NaN allowed: an undefined value, drawn blank)"
    raw = checks.finite_array(name, np.where(np.isnan(matrix), 0.0, matrix) if _is_float(matrix) else matrix,
                              max_abs=MAX_VALUE)
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or not matrix.size:
        raise ValueError(f"expected a square matrix (k, k), got shape {raw.shape}")
    vmin = None if vmin is None else _scale_value("vmin", vmin)
    vmax = _scale_value("vmax", vmax)
    k = len(matrix)
    labels = [str(i) for i in range(k)] if labels is None else checks.strings("labels", labels, count=k, of=f"a {k}x{k} matrix")
    checks.string("title", title, allow_empty=True)
    _check_cmap(cmap)
    checks.string("colorbar_label", colorbar_label, allow_empty=True)
    annotate = checks.flag("annotate", annotate)
    checks.size("k (the matrix's side)", k, 10_000, "a larger matrix cannot be shown cell by cell")
    if annotate and k > MAX_ANNOTATED:
        raise ValueError(f"annotate=True writes all {k}x{k} values into the cells; at most {MAX_ANNOTATED}x"
                         f"{MAX_ANNOTATED} are readable (plotting.MAX_ANNOTATED): pass annotate=False")
    if ax is not None and not isinstance(ax, plt.Axes):
        raise checks.WrongTypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=fit_width(0.5 * k + 1.8, 0.5 * k + 1.2))
    finite = matrix[np.isfinite(matrix)]
    vmin = float(finite.min()) if vmin is None and finite.size else vmin
    if vmin is not None and not vmin < vmax and not (finite.size and finite.min() == finite.max() == vmax):
        _check_scale(vmin, vmax)
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


def _is_float(x) -> bool:
    try:
        return np.asarray(x).dtype.kind == "f"
    except (ValueError, TypeError):
        return False


def save_figure(fig: Figure, path: str | Path, dpi: int = 100, overwrite: bool = False) -> Path:
    """Write ``fig`` to ``path`` atomically (:func:`helpers.files.atomic_write`: a temporary file in the same
    folder, then a rename).

    A crash never leaves a half-written picture; the format follows the suffix (``.png``, ``.svg``, ...). An
    existing file is replaced only with ``overwrite=True`` (otherwise :class:`FileExistsError` naming it).
    """
    if not isinstance(fig, Figure):
        raise checks.WrongTypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    path = checks.file_path("path", path)
    dpi = checks.real("dpi", dpi, 10, 2400, why="larger pictures exhaust memory")
    overwrite = checks.flag("overwrite", overwrite)
    return files.atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight"), overwrite=overwrite)


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
    n = checks.size("the number of frames", len(frames), MAX_FRAMES, "plotting.MAX_FRAMES")
    titles = [f"frame {i + 1} of {n}" for i in range(n)] if titles is None else checks.strings("titles", titles, n, of=f"{n} frames")
    fps = checks.real("fps", fps, 0, 1000, open_low=True, why="faster than any screen")
    _check_cmap(cmap)
    checks.string("colorbar_label", colorbar_label, allow_empty=True)
    figsize = tuple(checks.finite_array("figsize (inches)", figsize, dtype=np.float64, ndim=1))
    if len(figsize) != 2 or not all(0 < side <= MAX_INCHES for side in figsize):
        raise ValueError(f"figsize must be (width, height) in inches, each in (0, {MAX_INCHES:g}], got {figsize}")
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
    path = checks.file_path("path", path)
    overwrite = checks.flag("overwrite", overwrite)
    suffix = path.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise ValueError(f"cannot tell the format of {path} from its suffix {path.suffix!r}; valid suffixes: "
                         f"{', '.join(ANIMATION_SUFFIXES)}")
    if fps is None:
        interval = getattr(animation, "_interval", None)  # ms between frames, set by every timed animation
        if not interval:
            raise ValueError("the animation has no frame rate of its own; pass fps")
        fps = 1000.0 / interval
    fps = checks.real("fps", fps, 0, 1000, open_low=True, why="faster than any screen")
    dpi = checks.real("dpi", dpi, 10, 2400, why="larger pictures exhaust memory")
    writer = _movie_writer(suffix, fps)
    return files.atomic_write(path, lambda tmp: animation.save(tmp, writer=writer, dpi=dpi), overwrite=overwrite)
