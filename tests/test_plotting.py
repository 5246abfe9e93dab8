"""helpers.plotting: figures are built with the right panels, contrast enhancement maps to 0..1."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_enhance_contrast_stretches_percentiles_per_image():
    rng = np.random.default_rng(0)
    batch = np.stack([rng.normal(0, 1, (28, 28)), rng.normal(100, 0.01, (28, 28))])
    out = plotting.enhance_contrast(batch, low=1, high=99)
    assert out.shape == batch.shape and out.min() == 0.0 and out.max() == 1.0
    for img in out:  # each image uses the full range on its own
        assert np.percentile(img, 1) < 0.01 and np.percentile(img, 99) > 0.99
    assert not plotting.enhance_contrast(np.full((5, 5), 3.0)).any()  # constant image -> zeros
    with pytest.raises(ValueError, match="low < high"):
        plotting.enhance_contrast(batch, low=50, high=10)


def test_image_grid_layout_titles_and_shared_colorbar():
    images = np.random.default_rng(1).random((10, 28, 28, 1))
    fig = plotting.image_grid(images, titles=[f"map {i}" for i in range(10)], ncols=4, suptitle="maps")
    image_axes = [ax for ax in fig.axes if ax.images]
    assert len(image_axes) == 10
    assert [ax.get_title() for ax in image_axes][:2] == ["map 0", "map 1"]
    assert len(fig.axes) == 3 * 4 + 1  # 3 rows of 4 panels (2 blank) + one shared colour bar
    lo, hi = image_axes[0].images[0].get_clim()
    assert lo == pytest.approx(images.min()) and hi == pytest.approx(images.max())
    assert fig._suptitle.get_text() == "maps"
    labelled = plotting.image_grid(images, colorbar_label="standardized pixel value")
    assert labelled.axes[-1].get_ylabel() == "standardized pixel value"
    per_panel = plotting.image_grid(images[:2], shared_scale=False, colorbar_label="activation")
    assert [ax.get_ylabel() for ax in per_panel.axes if not ax.images] == ["activation", "activation"]


def test_image_grid_per_panel_scale_and_errors():
    images = np.random.default_rng(2).random((3, 5, 5))
    fig = plotting.image_grid(images, shared_scale=False, colorbar=True)
    assert len(fig.axes) == 3 + 3  # a colour bar per panel
    with pytest.raises(ValueError, match="3 titles for 2 images|got 3 titles"):
        plotting.image_grid(images[:2], titles=["a", "b", "c"])
    with pytest.raises(ValueError, match="expected images of shape"):
        plotting.image_grid(np.zeros((28, 28)))


def test_digit_gallery_has_one_row_per_class():
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(10), 5)
    fig = plotting.digit_gallery(rng.random((50, 28, 28)), labels, per_class=4)
    assert len(fig.axes) == 40
    assert [fig.axes[4 * r].get_ylabel() for r in range(10)] == [str(c) for c in range(10)]
    with pytest.raises(ValueError, match="class 3 has no examples"):
        plotting.digit_gallery(rng.random((5, 28, 28)), np.array([0, 1, 2, 4, 5]), per_class=2, classes=[0, 3])


def test_plot_curves_labels():
    ax = plotting.plot_curves({"train": [1, 0.5, 0.2], "val": [1, 0.6, 0.4]}, title="loss", ylabel="loss", logy=True)
    assert ax.get_title() == "loss" and ax.get_yscale() == "log" and len(ax.lines) == 2


def test_tile_maps_places_each_map_with_nan_gaps():
    maps = np.arange(3 * 3 * 5, dtype=float).reshape(3, 3, 5)
    mosaic = plotting.tile_maps(maps, ncols=2, gap=1)
    assert mosaic.shape == (3 * 4 - 1, 2 * 4 - 1)  # 3 rows of 2 maps
    np.testing.assert_array_equal(mosaic[0:3, 4:7], maps[:, :, 1])
    np.testing.assert_array_equal(mosaic[8:11, 0:3], maps[:, :, 4])
    assert np.isnan(mosaic[3]).all() and np.isnan(mosaic[8:11, 4:7]).all()  # gap row, empty slot
    assert plotting.tile_maps(np.zeros((3, 3, 128))).shape == (31, 63)
    with pytest.raises(ValueError, match=r"\(h, w, n_maps\)"):
        plotting.tile_maps(np.zeros((3, 3)))


def test_similarity_heatmap_labels_annotations_and_errors():
    matrix = np.array([[1.0, 0.2], [0.2, 1.0]])
    ax = plotting.similarity_heatmap(matrix, labels=["a", "b"], title="sim")
    assert ax.get_title() == "sim" and [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert sorted(t.get_text() for t in ax.texts) == ["0.20", "0.20", "1.00", "1.00"]
    with pytest.raises(ValueError, match="square matrix"):
        plotting.similarity_heatmap(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="3 labels for a 2x2"):
        plotting.similarity_heatmap(matrix, labels=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"matrix \(NaN allowed: an undefined value, drawn blank\) holds 0 NaN and 1 "
                                         r"infinite value\(s\), the first at index \(0, 1\)"):
        plotting.similarity_heatmap(np.array([[1.0, np.inf], [0.2, 1.0]]))
    with pytest.raises(ValueError, match=r"vmin must be a finite number, got nan"):
        plotting.similarity_heatmap(matrix, vmin=float("nan"))
    undefined = plotting.similarity_heatmap(np.array([[1.0, np.nan], [np.nan, np.nan]]))  # e.g. a zero pattern
    assert sorted(t.get_text() for t in undefined.texts) == ["1.00"]


def test_save_figure_is_atomic_and_readable(tmp_path):
    fig = plotting.image_grid(np.random.default_rng(0).random((2, 5, 5)), suptitle="two")
    path = plotting.save_figure(fig, tmp_path / "sub" / "grid.png", dpi=40)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in path.parent.iterdir()] == ["grid.png"]  # no temporary file left behind
    assert path.stat().st_mode & 0o044  # readable by others, like any ordinary file


def test_nan_and_infinite_values_are_refused():
    images = np.random.default_rng(4).random((3, 5, 5))
    spotted = images.copy()
    spotted[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match=r"images \(NaN only as a whole blank panel\) holds 1 NaN"):
        plotting.image_grid(spotted)
    spotted[1, 2, 3] = np.inf
    with pytest.raises(ValueError, match=r"holds 0 NaN and 1 infinite value\(s\).*valid: finite numbers only"):
        plotting.image_grid(spotted)
    with pytest.raises(ValueError, match=r"images holds 0 NaN and 1 infinite"):
        plotting.enhance_contrast(spotted)
    with pytest.raises(ValueError, match=r"images holds 0 NaN and 1 infinite"):
        plotting.digit_gallery(spotted, np.array([0, 1, 2]), per_class=1, classes=[0])
    with pytest.raises(ValueError, match=r"maps holds 1 NaN and 0 infinite value\(s\), the first at index \(0, 1, 2\)"):
        plotting.tile_maps(np.where(np.arange(27).reshape(3, 3, 3) == 5, np.nan, 1.0))
    with pytest.raises(ValueError, match=r"low must be a finite number in 0\.\.100, got nan"):
        plotting.enhance_contrast(images, low=float("nan"))
    with pytest.raises(ValueError, match=r"vmax must be a finite number, got inf"):
        plotting.image_grid(images, vmax=float("inf"))
    with pytest.raises(ValueError, match=r"ncols must be an integer >= 1, got 2\.5"):
        plotting.image_grid(images, ncols=2.5)
    with pytest.raises(ValueError, match=r"ncols must be an integer >= 1, got 0"):
        plotting.tile_maps(np.zeros((3, 3, 4)), ncols=0)
    with pytest.raises(ValueError, match=r"gap must be an integer >= 0, got 0\.5"):
        plotting.tile_maps(np.zeros((3, 3, 4)), gap=0.5)


def test_a_panel_that_is_nan_everywhere_is_blank():
    images = np.random.default_rng(5).random((3, 5, 5))
    images[1] = np.nan  # e.g. a map without an OIP
    fig = plotting.image_grid(images)
    lo, hi = [ax for ax in fig.axes if ax.images][0].images[0].get_clim()
    assert lo == pytest.approx(np.nanmin(images)) and hi == pytest.approx(np.nanmax(images))  # blank does not count
    plotting.image_grid(images, shared_scale=False, colorbar=False)


def test_save_figure_goes_through_the_one_atomic_write_helper(tmp_path, monkeypatch):
    from helpers import files

    calls = []
    real = files.atomic_write

    def recording(path, write, overwrite=False, hint="pass overwrite=True"):
        calls.append((path, overwrite))
        return real(path, write, overwrite=overwrite, hint=hint)

    monkeypatch.setattr(files, "atomic_write", recording)
    fig = plotting.image_grid(np.zeros((1, 4, 4)))
    target = tmp_path / "a.svg"
    plotting.save_figure(fig, target)
    with pytest.raises(FileExistsError, match=r"a\.svg already exists; pass overwrite=True to replace it"):
        plotting.save_figure(fig, target)  # the save rule: never replaced unless asked
    plotting.save_figure(fig, target, overwrite=True)
    assert calls == [(target, False), (target, False), (target, True)]
    assert target.read_text().lstrip().startswith("<?xml")  # the format follows the suffix


# ---------------------------------------------------------------------------------------------- animations
# animate_frames() draws frames on one fixed colour scale; save_animation() writes GIF (Pillow) or MP4 (ffmpeg)
# atomically and refuses to overwrite. Frames are read back from the written file with Pillow.

import matplotlib.animation  # noqa: E402
from PIL import Image  # noqa: E402


def _growing_frames(n: int = 5) -> np.ndarray:
    """Frames whose range grows with the frame number (frame i spans about -(i+1)..(i+1))."""
    rng = np.random.default_rng(6)
    return rng.uniform(-1, 1, (n, 12, 10, 1)) * np.arange(1, n + 1)[:, None, None, None]


def _unshown(animation):
    """``animation``, marked as rendered: an animation never drawn warns when it is collected."""
    animation._draw_was_started = True
    return animation


def _drawn(animation, tmp_path) -> list[tuple]:
    """(colour limits, shown array, title) of every frame as the writer grabs it."""
    image = animation._fig.axes[0].images[0]
    title = animation._fig.axes[0].title
    seen = []
    animation.save(tmp_path / "drawn.gif", writer="pillow", dpi=20,
                   progress_callback=lambda i, n: seen.append((image.get_clim(), np.array(image.get_array()),
                                                               title.get_text())))
    return seen


def test_animate_frames_keeps_one_colour_scale_and_a_title_per_frame(tmp_path):
    frames = _growing_frames()
    animation = plotting.animate_frames(frames, titles=[f"step {10 * i}" for i in range(5)], fps=4,
                                        colorbar_label="pixel value (std units)")
    assert isinstance(animation, matplotlib.animation.FuncAnimation)
    fig = animation._fig
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "pixel value (std units)"  # image + colour bar
    assert fig not in [plt.figure(n) for n in plt.get_fignums()]  # not drawn a second time by a notebook
    seen = _drawn(animation, tmp_path)
    assert len(seen) == 5
    for i, (clim, shown, title) in enumerate(seen):
        assert clim == pytest.approx((frames.min(), frames.max()))  # the same for every frame
        np.testing.assert_array_equal(shown, frames[i, ..., 0])
        assert title == f"step {10 * i}"
    assert _unshown(plotting.animate_frames(frames[:, :, :, 0]))._fig.axes[0].get_title() == "frame 1 of 5"


def test_animate_frames_rgb_frames_share_one_stretch(tmp_path):
    frames = np.random.default_rng(7).uniform(0, 1, (3, 6, 6, 3)) * np.array([1.0, 2.0, 4.0])[:, None, None, None]
    animation = plotting.animate_frames(frames)
    assert len(animation._fig.axes) == 1  # no colour bar for RGB
    shown = [array for _, array, _ in _drawn(animation, tmp_path)]
    np.testing.assert_allclose(np.stack(shown), (frames - frames.min()) / (frames.max() - frames.min()))


def test_animate_frames_refuses_bad_frames():
    frames = _growing_frames(3)
    spotted = frames.copy()
    spotted[1, 2, 3, 0] = np.nan
    with pytest.raises(ValueError, match=r"frames holds 1 NaN and 0 infinite value\(s\), the first at index \(1, 2, 3\)"):
        plotting.animate_frames(spotted)
    spotted[1, 2, 3, 0] = -np.inf
    with pytest.raises(ValueError, match=r"frames holds 0 NaN and 1 infinite value\(s\)"):
        plotting.animate_frames(spotted)
    with pytest.raises(ValueError, match=r"frames is empty \(shape \(0, 12, 10\)\)"):
        plotting.animate_frames(frames[:0])
    with pytest.raises(ValueError, match=r"expected frames of shape \(n, h, w\), \(n, h, w, 1\) or \(n, h, w, 3\)"):
        plotting.animate_frames(frames[0, ..., 0])
    with pytest.raises(ValueError, match="got 2 titles for 3 frames"):
        plotting.animate_frames(frames, titles=["a", "b"])
    with pytest.raises(ValueError, match=r"fps must be a finite number > 0, got 0"):
        plotting.animate_frames(frames, fps=0)


def test_save_animation_writes_a_gif_with_every_frame(tmp_path):
    animation = plotting.animate_frames(_growing_frames(6), fps=5)
    path = plotting.save_animation(animation, tmp_path / "sub" / "ascent.gif", dpi=30)
    assert path == tmp_path / "sub" / "ascent.gif"
    assert [p.name for p in path.parent.iterdir()] == ["ascent.gif"]  # no temporary left behind
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 6
        assert gif.info["duration"] == 200  # ms per frame at the animation's 5 fps
        assert gif.size == (4 * 30, round(3.6 * 30))
    plotting.save_animation(animation, path, fps=10, overwrite=True)
    with Image.open(path) as gif:
        assert gif.n_frames == 6 and gif.info["duration"] == 100


def test_save_animation_refuses_to_overwrite(tmp_path):
    target = tmp_path / "ascent.gif"
    target.write_bytes(b"old")
    animation = plotting.animate_frames(_growing_frames(2))
    with pytest.raises(FileExistsError, match=r"ascent\.gif already exists; pass overwrite=True to replace it"):
        plotting.save_animation(animation, target)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["ascent.gif"]
    plotting.save_animation(animation, target, dpi=20, overwrite=True)
    assert target.read_bytes()[:6] == b"GIF89a"


def test_a_failed_save_leaves_no_file_and_no_temporary(tmp_path, monkeypatch):
    grabbed = []

    def failing_grab(self, **kwargs):
        grabbed.append(1)
        if len(grabbed) == 3:
            raise OSError("disk full")
        return real_grab(self, **kwargs)

    real_grab = matplotlib.animation.PillowWriter.grab_frame
    monkeypatch.setattr(matplotlib.animation.PillowWriter, "grab_frame", failing_grab)
    with pytest.raises(OSError, match="disk full"):
        plotting.save_animation(plotting.animate_frames(_growing_frames(5)), tmp_path / "ascent.gif", dpi=20)
    assert list(tmp_path.iterdir()) == []
    previous = tmp_path / "kept.gif"
    previous.write_bytes(b"previous")
    grabbed.clear()
    with pytest.raises(OSError, match="disk full"):
        plotting.save_animation(plotting.animate_frames(_growing_frames(5)), previous, dpi=20, overwrite=True)
    assert previous.read_bytes() == b"previous" and [p.name for p in tmp_path.iterdir()] == ["kept.gif"]


def test_save_animation_suffixes_and_missing_ffmpeg(tmp_path, monkeypatch):
    animation = _unshown(plotting.animate_frames(_growing_frames(2)))
    with pytest.raises(ValueError, match=r"suffix '\.png'; valid suffixes: \.gif, \.mp4"):
        plotting.save_animation(animation, tmp_path / "ascent.png")
    with pytest.raises(ValueError, match=r"suffix ''; valid suffixes: \.gif, \.mp4"):
        plotting.save_animation(animation, tmp_path / "ascent")
    with pytest.raises(ValueError, match="animation must be a matplotlib Animation"):
        plotting.save_animation(plt.figure(), tmp_path / "ascent.gif")
    monkeypatch.setattr(matplotlib.animation.writers, "is_available", lambda name: False)
    with pytest.raises(RuntimeError, match=r"needs ffmpeg.*install ffmpeg.*or save as \.gif"):
        plotting.save_animation(animation, tmp_path / "ascent.mp4")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not matplotlib.animation.writers.is_available("ffmpeg"), reason="ffmpeg is not installed")
def test_save_animation_writes_an_mp4_with_ffmpeg(tmp_path):
    path = plotting.save_animation(plotting.animate_frames(_growing_frames(4)), tmp_path / "ascent.mp4", dpi=40)
    assert path.read_bytes()[4:8] == b"ftyp" and [p.name for p in tmp_path.iterdir()] == ["ascent.mp4"]


def test_save_figure_needs_a_positive_resolution(tmp_path):
    fig, ax = plt.subplots(figsize=(1, 1))
    try:
        with pytest.raises(ValueError, match="dpi must be"):
            plotting.save_figure(fig, tmp_path / "zero.png", dpi=0)
        assert not (tmp_path / "zero.png").exists()
    finally:
        plt.close(fig)


def test_a_wrong_dtype_is_named_before_a_wrong_shape():
    for images in (np.array(["a", "b"]), np.array([1 + 2j, 3j])):
        with pytest.raises(TypeError, match=r"images must hold real numbers"):
            plotting.image_grid(images)


# ------------------------------------------------------------------------------ the series' figure style


def _texts(fig):
    """Every visible, non-empty text of a figure (titles, labels, tick labels, legends, colour-bar labels)."""
    fig.canvas.draw()
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]


FIGURES = {
    "image_grid": lambda: plotting.image_grid(np.random.default_rng(0).normal(size=(32, 28, 28)), ncols=16,
                                              titles=[f"map {i}" for i in range(32)], suptitle="32 maps",
                                              colorbar_label="activation"),
    "image_grid_per_panel_scale": lambda: plotting.image_grid(np.random.default_rng(0).normal(size=(8, 9, 9)),
                                                              shared_scale=False, colorbar_label="value"),
    "digit_gallery": lambda: plotting.digit_gallery(np.random.default_rng(0).integers(0, 255, (200, 28, 28)),
                                                    np.repeat(np.arange(10), 20), per_class=12),
    "plot_curves": lambda: plotting.plot_curves({"train": [0.9, 0.95, 0.97], "validation": [0.89, 0.93, 0.94]},
                                                "accuracy", ylabel="accuracy").figure,
    "similarity_heatmap": lambda: plotting.similarity_heatmap(np.eye(16), labels=[str(i) for i in range(16)],
                                                              title="similarity").figure,
    "animate_frames": lambda: plotting.animate_frames(np.zeros((2, 28, 28)), titles=["a", "b"])._fig,
}


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_function_fits_the_books_column_with_readable_text(name):
    """Drawn at the size it is shown (no wider than the book's column), so every text keeps its size on the page."""
    plotting.use_style()
    fig = FIGURES[name]()
    width = fig.get_size_inches()[0]
    assert width <= plotting.COLUMN_INCHES + 1e-9, f"{name}: {width:.2f} in wide"
    small = [(t.get_text(), t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() < plotting.MIN_FONT_PT]
    assert not small, f"{name}: text below {plotting.MIN_FONT_PT} pt: {small[:5]}"


def test_the_style_stores_figures_sharp_for_2x_screens():
    plotting.use_style()
    assert plt.rcParams["savefig.dpi"] == 2 * plt.rcParams["figure.dpi"] == 2 * plotting.SCREEN_DPI
    assert plt.rcParams["font.size"] >= plotting.MIN_FONT_PT and plt.rcParams["xtick.labelsize"] >= plotting.MIN_FONT_PT


def test_fit_width_scales_a_wide_figure_down_and_keeps_its_aspect():
    assert plotting.fit_width(15.6, 4.0) == pytest.approx((7.8, 2.0))
    assert plotting.fit_width(5.0, 4.0) == (5.0, 4.0)


@pytest.mark.parametrize("shape", ["rising", "falling", "crossing"])
def test_a_legend_never_covers_drawn_data(shape):
    """plot_curves places its legend where no drawn point lies (learning curves rise, losses fall, some cross)."""
    plotting.use_style()
    x = np.arange(1, 21)
    curves = {
        "rising": {"train": 1 - 0.5 / x, "validation": 0.98 - 0.5 / x},
        "falling": {"train": 0.5 / x, "validation": 0.02 + 0.5 / x},
        "crossing": {"a": x / 20.0, "b": 1 - x / 20.0},
    }[shape]
    ax = plotting.plot_curves(curves, shape)
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    covered = [(name, i) for name, line in zip(curves, ax.get_lines())
               for i, point in enumerate(ax.transData.transform(line.get_xydata())) if box.contains(*point)]
    assert not covered, f"the legend covers {len(covered)} drawn points, e.g. {covered[:3]}"


def test_attribution_table_draws_one_row_per_kind_with_its_colour_bar():
    plotting.use_style()
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 255, (6, 28, 28))
    signed = rng.normal(size=(6, 28, 28, 1))
    fig = plotting.attribution_table(digits, {"digit": (digits, "digit"), "gradient": (signed, "signed"),
                                              "Grad-CAM": (np.abs(signed), "overlay")}, [f"#{i}" for i in range(6)], "t")
    assert fig.get_size_inches()[0] <= plotting.COLUMN_INCHES + 1e-9
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(fig.axes) == 3 * 6 + 3 and len(bars) == 3
    assert [b.get_ylabel() for b in bars] == [plotting.ATTRIBUTION_KINDS[k][2] for k in ("digit", "signed", "overlay")]
    signed_panel = fig.axes[6].get_images()[0].get_array()
    assert signed_panel.min() >= -1 and signed_panel.max() <= 1  # divided by its own 99.5th percentile, clipped
    with pytest.raises(ValueError, match="row 'x' has 2 maps for 6 digits"):
        plotting.attribution_table(digits, {"x": (signed[:2], "signed")}, [""] * 6, "t")
    with pytest.raises(ValueError, match="the kind of row 'x'"):
        plotting.attribution_table(digits, {"x": (signed, "sgned")}, [""] * 6, "t")


def _free_space_above_titles(fig, ncols: int) -> float:
    """Points between the lowest image of a grid's first row and the highest title of its second row."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    grid = [ax for ax in fig.axes if ax.images]
    first_row_bottom = min(ax.images[0].get_window_extent(renderer).y0 for ax in grid[:ncols])
    second_row_titles_top = max(ax.title.get_window_extent(renderer).y1 for ax in grid[ncols : 2 * ncols])
    return (first_row_bottom - second_row_titles_top) / fig.dpi * 72


@pytest.mark.parametrize("n, ncols, panel_size, title, options", [
    (128, 16, 0.95, "{} —", {"shared_scale": False, "colorbar": False}),  # 09's grid of all maps
    (48, 16, 0.95, "{}", {}),
    (32, 8, 0.95, "{} P: +0.12", {"vmin": -1, "vmax": 1}),  # 04's kernels (their gap was 1.2 pt)
    (10, 5, 1.3, "node {}\nobj. 1.2", {}),  # two-line titles
])
def test_a_dense_titled_grid_leaves_room_for_its_titles_between_rows(n, ncols, panel_size, title, options):
    """Fitted to the book's column, a grid of small panels must keep each title clear of the image above it (at
    least 4 pt: the readers of the series saw map numbers sit on the panel above at about 1 pt)."""
    plotting.use_style()
    fig = plotting.image_grid(np.random.default_rng(0).normal(size=(n, 28, 28)),
                              titles=[title.format(i) for i in range(n)], ncols=ncols, panel_size=panel_size, **options)
    assert _free_space_above_titles(fig, ncols) >= 4


def test_titles_of_the_first_row_alone_add_no_room():
    plotting.use_style()
    titles = ["version 1"] * 8 + [""] * 32
    fig = plotting.image_grid(np.zeros((40, 28, 28)), titles=titles, ncols=8, panel_size=0.85)
    assert fig.axes[0].get_gridspec().hspace is None  # Matplotlib's default gap


def test_roomy_grids_keep_matplotlibs_gap():
    plotting.use_style()
    sparse = plotting.image_grid(np.zeros((4, 9, 9)), titles=["a"] * 4, ncols=4, panel_size=1.5)
    assert sparse.subplotpars.hspace == pytest.approx(plt.rcParams["figure.subplot.hspace"])  # untouched when roomy
