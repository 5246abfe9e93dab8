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
    plotting.save_figure(fig, target)  # replacing an existing picture is allowed
    assert calls == [(target, True), (target, True)]
    assert target.read_text().lstrip().startswith("<?xml")  # the format follows the suffix
