"""An interactive OIP explorer for JupyterLab, and the plain logic behind it.

The logic is ordinary, testable code; the widgets only read their values into an :class:`ExplorerSettings`
and call it::

    settings = ExplorerSettings("Conv2D_3", map_index=5, ascent=AscentSettings(n_steps=300, jitter=1))
    result = run_settings(model, settings, on_progress=lambda part: print(part.steps_run))
    fig = result_figure(result, standardizer, title=describe_target(model, settings))
    save_result_png(fig, "oip_conv2d_3_map5.png")

    oip_explorer(model, standardizer)          # the same, with widgets (last expression of a cell)

:func:`run_settings` is one direct call ``run_oip(..., x0=start_images(model, settings),
settings=settings.ascent.replace(early_stop=False, snapshot_steps=segment_ends(...)))``, random transformations
included; its ``on_block`` callback reports the images and the loss curve at the segment ends, so that a UI can
redraw the pattern while the ascent runs.
The ascent's options are one :class:`helpers.oip.AscentSettings`, the same object :func:`helpers.oip.run_oip` takes.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from helpers import checks, files, oip, plotting

if TYPE_CHECKING:
    import ipywidgets
    from matplotlib.figure import Figure

    from helpers.data import Standardizer

__all__ = [
    "AscentSettings", "LayerChoice", "layer_choices", "ExplorerSettings", "describe_target", "start_images",
    "segment_ends", "run_settings", "result_figure", "save_result_png", "figure_png", "OIPExplorer", "oip_explorer",
]

AscentSettings = oip.AscentSettings
_DEFAULTS = AscentSettings()
MAX_UPDATES = 1_000
"""The most progress reports :func:`run_settings` makes (each one is a separate compiled call and a redraw)."""

SCALE_CHOICES = oip.DEFAULT_SCALES
"""The length scales (grid sizes of the start's random fluctuations) the explorer offers, coarse to fine."""

VALID_KINDS = ("conv", "dense", "class")

OVERWRITE_HINT = "tick the 'overwrite' box"
"""How a widget user allows :meth:`OIPExplorer.save` to replace a file (part of its error message)."""

NODE_BOX_WIDTH = "130px"
"""Width of the explorer's row/col boxes, label included: room for three digits and the arrows."""

SCALE_BOX_MIN_WIDTH = "76px"
"""Least width of a start-scale checkbox: the box and the whole label, e.g. "28x28"."""

FIGURE_INCHES = (plotting.COLUMN_INCHES, 5.0)
"""Size of :func:`result_figure` (width, height in inches): the three images in one row, the objective curve below."""
INK_UNIT = "ink (0 paper, 255 full ink)"
"""Colour-bar label of :func:`result_figure`'s images with a standardizer: ink units, as in the MNIST files."""
STANDARDIZED_UNIT = "input value (standardized)"
"""Colour-bar label of :func:`result_figure`'s images without a standardizer (the series' convention)."""
OBJECTIVE_TITLE = "objective curve"
"""Title of :func:`result_figure`'s lower panel: the map's objective at every ascent step (the series' word)."""

EXPLORER_NOTE = "Run this cell to start the interactive explorer (it needs a running kernel)."
"""The plain-text form of the explorer (what a notebook stores and shows where no kernel runs its widgets)."""

NO_PATTERN = "no pattern:\nno reaction to this start\n(the objective stayed 0;\ntry another seed\nor other scales)"
"""What the pattern panels of :func:`result_figure` say when the target did not react (objective never > 0)."""


# ------------------------------------------------------------------------------------------------ layers


@dataclass(frozen=True)
class LayerChoice:
    """A layer an OIP can target: its maps (conv), units (dense) or classes (the logits layer)."""

    layer_name: str
    n_maps: int  # maps (conv), units (dense) or classes
    grid: tuple[int, ...]  # (rows, cols) of a map; () for dense layers
    kind: str  # "conv", "dense" or "class" (a linear dense layer with no conv/dense layer after it)

    @property
    def noun(self) -> str:
        """What one index addresses: "map", "unit" or "class"."""
        return {"conv": "map", "dense": "unit", "class": "class"}[self.kind]

    @property
    def label(self) -> str:
        """e.g. ``"Conv2D_3: 128 maps of 3x3"``, ``"Dense_2: 10 classes (logits)"``."""
        if self.kind == "conv":
            return f"{self.layer_name}: {self.n_maps} maps of {'x'.join(str(g) for g in self.grid)}"
        if self.kind == "class":
            return f"{self.layer_name}: {self.n_maps} classes (logits)"
        return f"{self.layer_name}: {self.n_maps} units"


def layer_choices(model) -> list[LayerChoice]:
    """The conv (``Conv2D``) and dense layers of ``model`` an OIP can target, in graph order.

    The last of them is a ``"class"`` layer when it is a dense layer without activation (the logits, e.g.
    ``Dense_2`` of the series' CNN, whose softmax is a separate layer).
    """
    import keras

    targets = [layer for layer in checks.keras_model("model", model).layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]
    choices = []
    for i, layer in enumerate(targets):
        try:
            info = oip.layer_info(model, layer.name)
        except ValueError:  # e.g. a dense layer on a sequence: not an image map or a unit vector
            continue
        if info.grid:
            kind = "conv"
        elif i == len(targets) - 1 and getattr(layer, "activation", None) is keras.activations.linear:
            kind = "class"
        else:
            kind = "dense"
        choices.append(LayerChoice(info.layer_name, info.n_maps, info.grid, kind))
    if not choices:
        raise ValueError(f"model {model.name!r} has no Conv2D or Dense layer to explore")
    return choices


def _choice(model, layer_name: str) -> LayerChoice:
    """The :class:`LayerChoice` of ``layer_name`` (any layer ``run_oip`` accepts; others count as conv/dense)."""
    for choice in layer_choices(model):
        if choice.layer_name == layer_name:
            return choice
    info = oip.layer_info(model, layer_name)
    return LayerChoice(info.layer_name, info.n_maps, info.grid, "conv" if info.grid else "dense")


# ---------------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class ExplorerSettings:
    """One OIP run: the target, the start (length scales and amplitudes) and the ascent's options.

    ``scales`` are grid sizes (rows, cols) of the start's random fluctuations, paired with ``amplitudes``
    (see :func:`helpers.oip.initial_images`); ``ascent`` holds every option of the gradient ascent
    (:class:`helpers.oip.AscentSettings`, checked there), its ``seed`` also seeds the start. Checks that need no
    model run on construction; :meth:`check` adds the model-dependent ones (layer name, index range, node).
    """

    layer_name: str
    map_index: int = 0
    node: tuple[int, int] | None = None
    scales: tuple[tuple[int, int], ...] = oip.DEFAULT_SCALES
    amplitudes: tuple[float, ...] = oip.DEFAULT_AMPLITUDES
    ascent: oip.AscentSettings = _DEFAULTS

    def __post_init__(self) -> None:
        checks.string("layer_name", self.layer_name)
        checks.integer("map_index", self.map_index, 0)
        if self.node is not None:
            node = self.node
            if isinstance(node, (str, bytes)) or np.ndim(node) != 1 or len(node) != 2 or not all(
                    checks.is_integer(v) for v in node):
                raise ValueError(f"node must be None or (row, col) integers, got {self.node!r}")
            object.__setattr__(self, "node", (int(node[0]), int(node[1])))
        if isinstance(self.scales, (str, bytes)) or not isinstance(self.scales, (tuple, list)):
            raise checks.WrongTypeError(f"scales must be (rows, cols) grid sizes >= 1, got {self.scales!r}")
        if not len(self.scales):
            raise ValueError(
                "no length scale selected; choose at least one, e.g. "
                + ", ".join(f"({r}, {c})" for r, c in SCALE_CHOICES)
            )
        scales = tuple(tuple(s) if isinstance(s, (tuple, list)) else (s,) for s in self.scales)
        if any(len(s) != 2 or not all(checks.is_integer(v) and 1 <= v <= 2**16 for v in s) for s in scales):
            raise ValueError(f"scales must be (rows, cols) grid sizes >= 1, got {self.scales}")
        amplitudes = tuple(float(a) for a in checks.finite_array("amplitudes", self.amplitudes, dtype=np.float64,
                                                                 ndim=1))
        if len(amplitudes) != len(scales):
            raise ValueError(f"got {len(amplitudes)} amplitudes for {len(scales)} scales; give one per scale")
        if not all(0 < a <= oip.MAX_FACTOR for a in amplitudes):
            raise ValueError(f"amplitudes must be finite and > 0, got {amplitudes}")
        object.__setattr__(self, "scales", tuple((int(r), int(c)) for r, c in scales))
        object.__setattr__(self, "amplitudes", amplitudes)
        if not isinstance(self.ascent, oip.AscentSettings):
            raise ValueError(f"ascent must be an AscentSettings (helpers.oip), got {type(self.ascent).__name__}")

    def check(self, model) -> oip.LayerInfo:
        """Check the settings against ``model``; returns the layer's :class:`helpers.oip.LayerInfo`.

        Raises ValueError for an unknown layer (listing the valid names), a map index out of range or a node
        outside the map (naming the valid ranges), a node on a dense layer, or a model without a fixed image size.
        """
        info = oip.layer_info(model, self.layer_name)  # checks the model too
        oip.check_targets(info, np.array([self.map_index]), self.node)
        self.ascent.check_image(oip.model_image_shape(model))
        return info


def describe_target(model, settings: ExplorerSettings) -> str:
    """A short title, e.g. ``"Conv2D_3, map 5"``, ``"Conv2D_3, map 5, node (1, 2)"``, ``"Dense_2, class 3"``."""
    _check_settings(settings)
    choice = _choice(model, settings.layer_name)
    text = f"{settings.layer_name}, {choice.noun} {settings.map_index}"
    return text if settings.node is None else f"{text}, node {settings.node}"


def start_images(model, settings: ExplorerSettings) -> np.ndarray:
    """The start image of ``settings`` for ``model``, ``(1, h, w, c)`` standardized (multi-scale, seeded)."""
    _check_settings(settings)
    return oip.initial_images(1, oip.model_image_shape(model), scales=settings.scales,
                              amplitudes=settings.amplitudes, seed=settings.ascent.seed)


# ------------------------------------------------------------------------------------------------- run


def segment_ends(n_steps: int, damping_every: int = 4, n_updates: int = 12) -> list[int]:
    """Steps after which :func:`run_settings` reports progress: doubling early (where the pattern changes
    fastest), then about ``n_updates`` evenly spaced; all are multiples of ``damping_every`` except ``n_steps``.

    E.g. ``segment_ends(600)`` -> ``[8, 16, 32, 52, 64, 104, 128, 156, ..., 520, 572, 600]``.
    """
    n_steps = checks.integer("n_steps", n_steps, 1, oip.MAX_STEPS)
    damping_every = checks.integer("damping_every", damping_every, 1, oip.MAX_STEPS)
    n_updates = checks.size("n_updates", n_updates, MAX_UPDATES, "explorer.MAX_UPDATES; each report is a "
                            "compiled call and a redraw")
    first = damping_every * math.ceil(8 / damping_every)
    doubling = oip.log_spaced_steps(n_steps, first=first)[:-1]
    stride = damping_every * max(1, math.ceil(n_steps / n_updates / damping_every))
    return sorted(set(doubling) | set(range(stride, n_steps, stride)) | {n_steps})


def run_settings(
    model,
    settings: ExplorerSettings,
    on_progress: Callable[[oip.OIPResult], None] | None = None,
    n_updates: int = 12,
) -> oip.OIPResult:
    """Run the OIP of ``settings`` in one :func:`helpers.oip.run_oip` call, reporting at each of
    :func:`segment_ends`.

    Args:
        model: any single-input Keras image model (weights unchanged).
        settings: what to run; checked against ``model`` first.
        on_progress: called at each segment end with the result so far (``steps_run`` of ``settings.ascent.n_steps``
            steps, the full loss curve up to it, the current image).
        n_updates: about how many evenly spaced reports besides the early doubling ones.

    The convergence criterion (``tolerance``, ``window`` of ``settings.ascent``) is reported in ``converged_at``;
    the explorer always runs all ``n_steps``.

    Returns:
        :class:`helpers.oip.OIPResult` for one image; equal to ``run_oip(model, layer_name, [map_index],
        x0=start_images(model, settings), node=..., settings=settings.ascent.replace(early_stop=False,
        snapshot_steps=segment_ends(...)))``, random transformations included.
    """
    _check_settings(settings)
    if on_progress is not None and not callable(on_progress):
        raise checks.WrongTypeError(f"on_progress must be a function of the result so far, or None, got "
                                    f"{type(on_progress).__name__}")
    n_updates = checks.size("n_updates", n_updates, MAX_UPDATES, "explorer.MAX_UPDATES")
    settings.check(model)
    ascent = settings.ascent
    x0 = start_images(model, settings)
    ends = segment_ends(ascent.n_steps, ascent.damping_every, n_updates)

    def on_block(images: np.ndarray, losses: np.ndarray, step: int) -> None:
        if on_progress is None or step not in ends or step == ascent.n_steps:  # the last report is the result
            return
        now = oip.objective_values(model, settings.layer_name, [settings.map_index], images, node=settings.node)
        curve = np.concatenate([losses, now[np.newaxis]])  # the loss curve so far, up to the current images
        on_progress(oip.OIPResult(
            layer_name=settings.layer_name, map_indices=np.array([settings.map_index]), node=settings.node,
            images=images, initial=x0, losses=curve, snapshots={}, steps_run=step,
            converged_at=oip.first_converged(curve, ascent.tolerance, ascent.window, ascent.window, step),
        ))

    result = oip.run_oip(model, settings.layer_name, [settings.map_index], x0=x0, node=settings.node,
                         settings=ascent.replace(early_stop=False, snapshot_steps=ends, progress=False),
                         on_block=on_block)
    if on_progress is not None:
        on_progress(result)
    return result


# ----------------------------------------------------------------------------------------------- figures


def _displayable(image: np.ndarray, standardizer: "Standardizer | None") -> tuple[np.ndarray, dict]:
    """One image (h, w, c) ready for imshow, and its imshow keywords (grey map for one channel)."""
    if standardizer is not None:
        image = standardizer.invert(image)
    if image.shape[-1] == 1:
        return image[..., 0], {"cmap": plotting.IMAGE_CMAP}
    low, high = float(image.min()), float(image.max())  # colour: stretch to 0..1 for RGB display
    return (image - low) / (high - low) if high > low else np.zeros_like(image), {}


def result_figure(
    result: oip.OIPResult,
    standardizer: "Standardizer | None" = None,
    title: str | None = None,
    n_steps: int | None = None,
    image_index: int = 0,
) -> "Figure":
    """Start, pattern (plain and contrast-enhanced) and objective curve of one OIP: three images above, the curve below.

    A map whose objective never became positive (``result.reacted`` is False) has no pattern: its image is the
    start, merely blurred by the damping. Its pattern panels then stay empty and say so (:data:`NO_PATTERN`),
    so that the start is never mistaken for a result.

    Args:
        result: from :func:`run_settings` (or :func:`helpers.oip.run_oip`; ``image_index`` picks the image).
        standardizer: show the start and the plain pattern in ink units (``standardizer.invert``: 0 = blank paper,
            255 = full ink; an OIP may go beyond both), colour bar :data:`INK_UNIT`; default: standardized input
            values, colour bar :data:`STANDARDIZED_UNIT`.
        title: the figure's title (default: layer, index and node); the steps and the final objective follow.
        n_steps: the planned number of steps: fixes the objective curve's x range while a run is in progress.

    Grey images are drawn as input images are throughout the series (:data:`helpers.plotting.IMAGE_CMAP`: ink dark
    on white). Returns a Matplotlib figure of :data:`FIGURE_INCHES` (as wide as the book's text column, no text
    below :data:`helpers.plotting.MIN_FONT_PT`); close it when done (``plt.close(fig)``).
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, oip.OIPResult):
        raise checks.WrongTypeError(f"result must be an OIPResult (from run_settings or run_oip), got "
                                    f"{type(result).__name__}")
    _check_standardizer(standardizer)
    if title is not None:
        checks.string("title", title, allow_empty=True)
    if n_steps is not None:
        checks.integer("n_steps", n_steps, 0, oip.MAX_STEPS)
    image_index = checks.integer("image_index", image_index, 0)
    if not 0 <= image_index < len(result.images):
        raise ValueError(f"image_index {image_index} is out of range for a result with {len(result.images)} images: "
                         f"valid 0..{len(result.images) - 1}")
    # what the colour bars show: standardizer.invert gives ink units (0 = blank paper, 255 = full ink; an OIP may go
    # beyond both ends), otherwise the standardized input the network sees
    unit = INK_UNIT if standardizer is not None else STANDARDIZED_UNIT
    map_index = int(result.map_indices[image_index])
    if title is None:
        title = f"{result.layer_name}, index {map_index}" + ("" if result.node is None else f", node {result.node}")
    curve = result.losses[:, image_index]
    reacted = bool(result.reacted[image_index])
    fig = plt.figure(figsize=FIGURE_INCHES)
    grid = fig.add_gridspec(2, 3, height_ratios=[1.15, 1])
    start_ax, plain_ax, enhanced_ax = (fig.add_subplot(grid[0, k]) for k in range(3))
    loss_ax = fig.add_subplot(grid[1, :])
    axes = [start_ax, plain_ax, enhanced_ax, loss_ax]
    panels = [(start_ax, result.initial[image_index], "start")]
    if reacted:
        panels.append((plain_ax, result.images[image_index], "pattern (plain)"))
    for ax, image, name in panels:
        shown, kwargs = _displayable(image, standardizer)
        mappable = ax.imshow(shown, **kwargs)
        if "cmap" in kwargs:
            fig.colorbar(mappable, ax=ax, fraction=0.046, pad=0.04, label=unit)
        ax.set_title(name, fontsize=10)
    if reacted:
        enhanced = plotting.enhance_contrast(result.images[image_index])
        enhanced_ax.imshow(enhanced[..., 0] if enhanced.shape[-1] == 1 else enhanced, cmap=plotting.IMAGE_CMAP,
                           vmin=0, vmax=1)
        enhanced_ax.set_title("pattern (contrast 1-99 %)", fontsize=10)
    else:
        plain_ax.set_title("pattern (plain)", fontsize=10)
        enhanced_ax.set_title("pattern (contrast 1-99 %)", fontsize=10)
        for ax in (plain_ax, enhanced_ax):
            ax.set_facecolor("#f2f2f2")
            ax.set_aspect("equal")
            ax.text(0.5, 0.5, NO_PATTERN, ha="center", va="center", fontsize=9, color="#a00000",
                    transform=ax.transAxes, wrap=True)
    for ax in axes[:3]:
        ax.set_xticks([])
        ax.set_yticks([])
    loss_ax.plot(np.arange(len(curve)), curve, lw=1.2)
    loss_ax.set_xlim(0, max(n_steps or 0, len(curve) - 1, 1))
    loss_ax.set_xlabel("ascent step")
    loss_ax.set_ylabel("objective (activation)")
    loss_ax.set_title(OBJECTIVE_TITLE, fontsize=10)
    loss_ax.grid(alpha=0.3)
    converged = result.converged_at[image_index] if len(result.converged_at) > image_index else -1
    if converged >= 0:
        loss_ax.axvline(converged, color="grey", ls=":", lw=1, label=f"stop rule held at step {converged}")
        loss_ax.legend(fontsize=8, loc="best")
    fig.suptitle(f"{title} — step {result.steps_run}"
                 + (f" of {n_steps}" if n_steps and n_steps != result.steps_run else "")
                 + f", objective {float(curve[-1]):.4g}" + ("" if reacted else " — no pattern found"))
    fig.tight_layout()
    return fig


def save_result_png(
    fig_or_result: "Figure | oip.OIPResult",
    path: str | Path,
    overwrite: bool = False,
    dpi: int = 100,
    hint: str = "pass overwrite=True",
    **figure_kwargs,
) -> Path:
    """Save a figure, or the :func:`result_figure` of a result, as a PNG, atomically.

    Args:
        fig_or_result: a Matplotlib figure, or an OIPResult (its figure is built with ``figure_kwargs``, e.g.
            ``standardizer=`` and ``title=``, saved and closed).
        path: the file; must end in ``.png``.
        overwrite: replace an existing file (otherwise FileExistsError naming it and ``hint``).
        hint: how the user allows replacing, for the error message (the widget: its checkbox).

    Returns the path written (:func:`helpers.files.atomic_write`: a temporary file, then a rename).
    """
    import matplotlib.pyplot as plt

    path = checks.file_path("path", path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"{path}: PNG files need the suffix .png, got {path.suffix or 'none'!r}")
    overwrite = checks.flag("overwrite", overwrite)
    dpi = checks.real("dpi", dpi, 10, 2400, why="larger pictures exhaust memory")
    if not isinstance(fig_or_result, oip.OIPResult) and not hasattr(fig_or_result, "savefig"):
        raise checks.WrongTypeError(f"fig_or_result must be a Matplotlib figure or an OIPResult, got "
                                    f"{type(fig_or_result).__name__}")
    if figure_kwargs and not isinstance(fig_or_result, oip.OIPResult):
        raise ValueError(f"figure keywords {sorted(figure_kwargs)} apply only when saving an OIPResult, not a figure")
    files.check_overwrite([path], overwrite, hint)

    def write(fig: "Figure") -> Path:
        return files.atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png"),
                                  overwrite=overwrite, hint=hint)

    if isinstance(fig_or_result, oip.OIPResult):
        fig = result_figure(fig_or_result, **figure_kwargs)
        try:
            return write(fig)
        finally:
            plt.close(fig)
    return write(fig_or_result)


def figure_png(fig: "Figure", dpi: int = 80) -> bytes:
    """The PNG bytes of ``fig`` (for an ``ipywidgets.Image``)."""
    if not hasattr(fig, "savefig"):
        raise checks.WrongTypeError(f"fig must be a Matplotlib figure, got {type(fig).__name__}")
    dpi = checks.real("dpi", dpi, 10, 2400, why="larger pictures exhaust memory")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


# ----------------------------------------------------------------------------------------------- widgets


class OIPExplorer:
    """The widgets of :func:`oip_explorer` and the last result; display ``.widget`` (or the explorer itself).

    Attributes worth knowing in tests and scripts: ``layer``, ``map_index``, ``use_node``, ``node_row``,
    ``node_col``, ``scale_boxes``, ``amplitude_boxes``, ``n_steps``, ``epsilon``, ``seed``, ``damping``, ``jitter``,
    ``tv_weight``, ``parameterization``,
    ``run_button``, ``progress``, ``status``, ``image``, ``filename``, ``overwrite``, ``save_button``;
    ``result`` (the last :class:`helpers.oip.OIPResult`) and ``settings()`` (the current
    :class:`ExplorerSettings`).
    """

    def __init__(self, model, standardizer: "Standardizer | None" = None) -> None:
        import ipywidgets as w

        checks.keras_model("model", model)
        _check_standardizer(standardizer)
        self.model, self.standardizer = model, standardizer
        self.result: oip.OIPResult | None = None
        self.result_settings: ExplorerSettings | None = None
        self.choices = layer_choices(model)
        oip.model_image_shape(self.model)
        style = {"description_width": "initial"}
        default = next((c for c in reversed(self.choices) if c.kind == "conv"), self.choices[0])
        self.layer = w.Dropdown(options=[(c.label, c.layer_name) for c in self.choices], value=default.layer_name,
                                description="layer", style=style)
        self.map_index = w.IntSlider(0, min=0, max=default.n_maps - 1, description="map", continuous_update=False,
                                     style=style)
        self.use_node = w.Checkbox(False, description="one node (row, col)", indent=False)
        # the description takes only the width it needs, so the number box keeps room for its digits
        self.node_row = w.BoundedIntText(0, min=0, max=0, description="row", style=style,
                                         layout=w.Layout(width=NODE_BOX_WIDTH))
        self.node_col = w.BoundedIntText(0, min=0, max=0, description="col", style=style,
                                         layout=w.Layout(width=NODE_BOX_WIDTH))
        self.scale_boxes = [w.Checkbox(True, description=f"{r}x{c}", indent=False,
                                       layout=w.Layout(width="auto", min_width=SCALE_BOX_MIN_WIDTH))
                            for r, c in SCALE_CHOICES]
        self.amplitude_boxes = [w.BoundedFloatText(a, min=0.01, max=10.0, step=0.05, layout=w.Layout(width="70px"))
                                for a in oip.DEFAULT_AMPLITUDES]
        self.n_steps = w.BoundedIntText(_DEFAULTS.n_steps, min=1, max=20000, description="ascent steps", style=style,
                                        layout=w.Layout(width="190px"))
        self.epsilon = w.BoundedFloatText(_DEFAULTS.epsilon, min=1e-4, max=1.0, step=0.005,
                                          description="epsilon", style=style, layout=w.Layout(width="160px"))
        self.seed = w.BoundedIntText(0, min=0, max=2**31 - 1, description="seed", style=style,
                                     layout=w.Layout(width="140px"))
        self.damping = w.Dropdown(options=[("blur", "blur"), ("Fourier", "fourier"), ("none", None)],
                                  value=_DEFAULTS.damping, description="damping", style=style,
                                  layout=w.Layout(width="180px"))
        self.jitter = w.BoundedIntText(_DEFAULTS.jitter, min=0, max=8, description="jitter (px)", style=style,
                                       layout=w.Layout(width="160px"))
        self.tv_weight = w.BoundedFloatText(_DEFAULTS.tv_weight, min=0.0, max=100.0, step=0.05,
                                            description="TV weight", style=style, layout=w.Layout(width="170px"))
        self.parameterization = w.Dropdown(options=[("pixels", "pixel"), ("Fourier 1/f", "fourier")],
                                           value=_DEFAULTS.parameterization, description="basis", style=style,
                                           layout=w.Layout(width="190px"))
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.progress = w.IntProgress(0, min=0, max=1, description="progress", style=style)
        self.status = w.HTML("choose a target and press Run")
        self.image = w.Image(format="png", layout=w.Layout(display="none"))  # shown with the first result
        self.filename = w.Text("oip.png", description="file", style=style)
        self.overwrite = w.Checkbox(False, description="overwrite", indent=False, layout=w.Layout(width="100px"))
        self.save_button = w.Button(description="Save PNG", icon="save", disabled=True)

        self.layer.observe(self._on_layer, names="value")
        self.run_button.on_click(lambda _: self._guarded(self.run))
        self.save_button.on_click(lambda _: self._guarded(self.save))
        self._on_layer({"new": self.layer.value})

        scales = w.HBox([w.Label("start scales:")] + [w.HBox([box, amp]) for box, amp in
                                                      zip(self.scale_boxes, self.amplitude_boxes)])
        self.widget = _explorer_box()([
            w.HBox([self.layer, self.map_index]),
            w.HBox([self.use_node, self.node_row, self.node_col]),
            scales,
            w.HBox([self.n_steps, self.epsilon, self.seed, self.damping]),
            w.HBox([self.jitter, self.tv_weight, self.parameterization]),
            w.HBox([self.run_button, self.progress]),
            self.status,
            self.image,
            w.HBox([self.filename, self.overwrite, self.save_button]),
        ])

    def _repr_mimebundle_(self, **kwargs):
        """The live widget view, with :data:`EXPLORER_NOTE` as its plain text (what a stored notebook keeps)."""
        return self.widget._repr_mimebundle_(**kwargs)

    def _on_layer(self, change: dict) -> None:
        """Fit the index slider and the node fields to the chosen layer."""
        choice = next(c for c in self.choices if c.layer_name == change["new"])
        self.map_index.max = choice.n_maps - 1  # the slider clips its value
        self.map_index.description = choice.noun
        conv = bool(choice.grid)
        self.use_node.disabled = not conv
        if not conv:
            self.use_node.value = False
        for box, size in ((self.node_row, choice.grid[0] if conv else 1), (self.node_col, choice.grid[1] if conv else 1)):
            box.max = size - 1
            box.disabled = not conv

    def settings(self) -> ExplorerSettings:
        """The settings the widgets show now (raises ValueError for invalid ones, e.g. no scale selected)."""
        chosen = [i for i, box in enumerate(self.scale_boxes) if box.value]
        return ExplorerSettings(
            layer_name=self.layer.value,
            map_index=int(self.map_index.value),
            node=(int(self.node_row.value), int(self.node_col.value)) if self.use_node.value else None,
            scales=tuple(SCALE_CHOICES[i] for i in chosen),
            amplitudes=tuple(float(self.amplitude_boxes[i].value) for i in chosen),
            ascent=_DEFAULTS.replace(
                n_steps=int(self.n_steps.value), epsilon=float(self.epsilon.value), seed=int(self.seed.value),
                damping=self.damping.value, jitter=int(self.jitter.value), tv_weight=float(self.tv_weight.value),
                parameterization=self.parameterization.value,
            ),
        )

    def _show(self, result: oip.OIPResult, settings: ExplorerSettings) -> None:
        import matplotlib.pyplot as plt

        fig = result_figure(result, self.standardizer, title=describe_target(self.model, settings),
                            n_steps=settings.ascent.n_steps)
        try:
            self.image.value = figure_png(fig)
        finally:
            plt.close(fig)
        self.image.layout.display = None

    def run(self) -> oip.OIPResult:
        """Run the current settings, updating the progress bar, the status line and the figure."""
        settings = self.settings()
        settings.check(self.model)
        self.run_button.disabled = self.save_button.disabled = True
        self.progress.max, self.progress.value = settings.ascent.n_steps, 0
        self.status.value = f"running {describe_target(self.model, settings)} ..."
        started = time.perf_counter()

        def on_progress(part: oip.OIPResult) -> None:
            self.progress.value = part.steps_run
            self._show(part, settings)

        try:
            result = run_settings(self.model, settings, on_progress=on_progress)
        finally:
            self.run_button.disabled = False
        self.result, self.result_settings = result, settings
        self.save_button.disabled = False
        reacted = "" if result.reacted[0] else " — the map did not react to this start (try another seed or scales)"
        self.status.value = (f"done: {result.steps_run} steps in {time.perf_counter() - started:.1f} s, objective "
                             f"{float(result.final_loss[0]):.4g}{reacted}")
        return result

    def save(self, path: str | Path | None = None) -> Path:
        """Save the last result's figure as a PNG (default: the file name field; ``overwrite`` box respected)."""
        if self.result is None:
            raise ValueError("nothing to save yet: press Run first")
        target = save_result_png(self.result, self.filename.value if path is None else path,
                                 overwrite=self.overwrite.value, hint=OVERWRITE_HINT, standardizer=self.standardizer,
                                 title=describe_target(self.model, self.result_settings))
        self.status.value = f"saved {target}"
        return target

    def _guarded(self, action: Callable[[], object]) -> None:
        """Run a button action; show a bad-input error in the status line (button errors are otherwise unseen)."""
        try:
            action()
        except (ValueError, OSError) as e:
            import html

            self.status.value = f"<span style='color: #b00'>error: {html.escape(str(e))}</span>"


_BOX_CLASS = None


def _explorer_box():
    """The explorer's top widget class: an ``ipywidgets.VBox`` whose plain-text form is :data:`EXPLORER_NOTE`.

    Jupyter shows the widget view where a kernel runs it; a stored notebook (no widget state) and plain-text
    front ends show the note instead of the default ``VBox(children=(HBox(...`` repr.
    """
    global _BOX_CLASS
    if _BOX_CLASS is None:
        import ipywidgets as w

        class ExplorerBox(w.VBox):
            def _repr_mimebundle_(self, **kwargs):
                bundle = super()._repr_mimebundle_(**kwargs)
                bundle["text/plain"] = EXPLORER_NOTE
                return bundle

        _BOX_CLASS = ExplorerBox
    return _BOX_CLASS


def oip_explorer(model, standardizer: "Standardizer | None" = None) -> OIPExplorer:
    """An interactive OIP explorer for ``model`` (display it: make it the last expression of a cell).

    Choose a layer and a map, unit or class (for conv layers optionally one node), the start's length scales and
    amplitudes, the number of steps, ``epsilon``, the seed and the damping; Run shows the pattern (plain and
    contrast-enhanced, in pixel units when a ``standardizer`` is given) and the loss curve while they evolve;
    Save PNG writes the figure. Returns an :class:`OIPExplorer` (its ``.widget`` is the ipywidgets box).
    """
    checks.keras_model("model", model)
    _check_standardizer(standardizer)
    return OIPExplorer(model, standardizer)


def _check_settings(settings) -> None:
    if not isinstance(settings, ExplorerSettings):
        raise checks.WrongTypeError(f"settings must be an ExplorerSettings, got {type(settings).__name__}")


def _check_standardizer(standardizer) -> None:
    from helpers.data import Standardizer

    if standardizer is not None and not isinstance(standardizer, Standardizer):
        raise checks.WrongTypeError(f"standardizer must be a data.Standardizer or None, got "
                                    f"{type(standardizer).__name__}")
