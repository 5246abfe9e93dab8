"""helpers.explorer: settings checks, segmented runs equal to one run_oip call, figures, PNGs, headless widgets."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import explorer, oip  # noqa: E402
from helpers.data import Standardizer  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _toy_model(seed: int = 0) -> keras.Model:
    """Conv 'conv_a' (5 maps) -> pool -> Conv 'conv_b' (3 maps of 3x3) -> Dense 'hidden' (4, ReLU) -> Dense 'logits' (2)."""
    init = keras.initializers.GlorotUniform
    inputs = keras.Input((12, 12, 1))
    x = keras.layers.Conv2D(5, 3, activation="relu", name="conv_a", kernel_initializer=init(seed))(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Conv2D(3, 3, activation="relu", name="conv_b", kernel_initializer=init(seed + 1))(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(4, activation="relu", name="hidden", kernel_initializer=init(seed + 2))(x)
    x = keras.layers.Dense(2, name="logits", kernel_initializer=init(seed + 3))(x)
    outputs = keras.layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name="toy_explorer")


@pytest.fixture(scope="module")
def toy():
    return _toy_model()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_layer_choices_lists_conv_and_dense_layers(toy):
    choices = explorer.layer_choices(toy)
    assert [(c.layer_name, c.n_maps, c.grid, c.kind) for c in choices] == [
        ("conv_a", 5, (10, 10), "conv"), ("conv_b", 3, (3, 3), "conv"), ("hidden", 4, (), "dense"),
        ("logits", 2, (), "class"),
    ]
    assert [c.label for c in choices] == [
        "conv_a: 5 maps of 10x10", "conv_b: 3 maps of 3x3", "hidden: 4 units", "logits: 2 classes (logits)"]
    assert explorer.describe_target(toy, explorer.ExplorerSettings("logits", map_index=1)) == "logits, class 1"
    assert (explorer.describe_target(toy, explorer.ExplorerSettings("conv_b", 2, node=(1, 0)))
            == "conv_b, map 2, node (1, 0)")


def test_settings_errors_name_what_is_valid(toy):
    settings = explorer.ExplorerSettings
    with pytest.raises(ValueError, match="has no layer 'Conv2D_9'; valid names: .*conv_a, .*logits"):
        settings("Conv2D_9").check(toy)
    with pytest.raises(ValueError, match=r"map_index 3 is out of range for layer 'conv_b' with 3 maps: valid 0..2"):
        settings("conv_b", map_index=3).check(toy)
    with pytest.raises(ValueError, match=r"map_index 4 is out of range for layer 'hidden' with 4 units"):
        settings("hidden", map_index=4).check(toy)
    with pytest.raises(ValueError, match=r"node \(3, 0\) is outside the 3x3 maps of layer 'conv_b'"):
        settings("conv_b", node=(3, 0)).check(toy)
    with pytest.raises(ValueError, match="'logits' is dense: it has no nodes"):
        settings("logits", node=(0, 0)).check(toy)
    with pytest.raises(ValueError, match=r"no length scale selected; choose at least one, e.g. \(3, 3\), \(7, 7\)"):
        settings("conv_b", scales=(), amplitudes=())
    with pytest.raises(ValueError, match="got 1 amplitudes for 2 scales"):
        settings("conv_b", scales=((3, 3), (7, 7)), amplitudes=(1.0,))
    with pytest.raises(ValueError, match="amplitudes must be finite and > 0"):
        settings("conv_b", scales=((3, 3),), amplitudes=(0.0,))
    with pytest.raises(ValueError, match="map_index must be an integer >= 0"):
        settings("conv_b", map_index=-1)
    with pytest.raises(ValueError, match="ascent must be an AscentSettings"):
        settings("conv_b", ascent={"n_steps": 10})
    with pytest.raises(ValueError, match="jitter of 6 pixels is too large for 12x12 images; valid: 0..5"):
        settings("conv_b", ascent=oip.AscentSettings(jitter=6)).check(toy)
    with pytest.raises(ValueError, match=r"node must be None or \(row, col\)"):
        settings("conv_b", node=(1,))
    good = settings("conv_b", map_index=np.int64(2), node=[1, 2], scales=[[3, 3]], amplitudes=[2])
    assert good.node == (1, 2) and good.scales == ((3, 3),) and good.amplitudes == (2.0,)
    assert good.check(toy) == oip.layer_info(toy, "conv_b")


def test_segment_ends_keep_the_damping_phase():
    ends = explorer.segment_ends(600)
    assert ends[:3] == [8, 16, 32] and ends[-1] == 600 and ends == sorted(set(ends))
    assert all(end % 4 == 0 for end in ends[:-1]) and 10 <= len(ends) <= 25
    assert all(e % 3 == 0 for e in explorer.segment_ends(100, damping_every=3)[:-1])
    assert explorer.segment_ends(5) == [4, 5] and explorer.segment_ends(1) == [1]
    with pytest.raises(ValueError, match=r"n_steps must be an integer in 1\.\.100000, got 0"):
        explorer.segment_ends(0)


@pytest.mark.parametrize("layer_name, map_index, node, damping, tricks", [
    ("conv_b", 1, None, "blur", {}), ("conv_b", 0, (1, 2), "fourier", {}), ("logits", 1, None, None, {}),
    ("conv_b", 1, None, "blur", {"jitter": 1, "rotate": 10.0, "scale": 0.1}),
    ("conv_b", 2, None, "blur", {"pre_activation_steps": 10, "coarse_to_fine": ((20, 0.3),), "tv_weight": 0.1,
                                 "parameterization": "fourier"})])
def test_explorer_run_equals_one_direct_run(toy, layer_name, map_index, node, damping, tricks):
    """One driver: the explorer's result is a direct run_oip call's, random transformations included."""
    settings = explorer.ExplorerSettings(layer_name, map_index, node=node, scales=((3, 3), (7, 7)),
                                         amplitudes=(1.0, 0.5),
                                         ascent=oip.AscentSettings(n_steps=90, epsilon=0.03, seed=2, damping=damping,
                                                                   tolerance=1e-3, **tricks))
    reports = []
    result = explorer.run_settings(toy, settings, on_progress=lambda part: reports.append(
        (part.steps_run, len(part.losses), part.images.copy())))
    steps = [s for s, _, _ in reports]
    assert steps == explorer.segment_ends(90) and steps[-1] == 90
    assert all(n == s + 1 for s, n, _ in reports)  # the loss curve so far, start included
    direct = oip.run_oip(toy, layer_name, [map_index], x0=explorer.start_images(toy, settings), node=node,
                         n_steps=90, epsilon=0.03, damping=damping, early_stop=False,
                         snapshot_steps=explorer.segment_ends(90), tolerance=1e-3, seed=2, **tricks)
    assert result.steps_run == direct.steps_run == 90 and result.losses.shape == (91, 1)
    np.testing.assert_array_equal(result.images, direct.images)
    np.testing.assert_array_equal(result.losses, direct.losses)
    np.testing.assert_array_equal(result.converged_at, direct.converged_at)
    assert sorted(result.snapshots) == sorted(direct.snapshots)
    for step in direct.snapshots:
        np.testing.assert_array_equal(result.snapshots[step], direct.snapshots[step])
    np.testing.assert_array_equal(reports[steps.index(32)][2], direct.snapshots[32])  # what a UI saw
    np.testing.assert_array_equal(result.initial, oip.initial_images(1, (12, 12, 1), scales=((3, 3), (7, 7)),
                                                                     amplitudes=(1.0, 0.5), seed=2))
    assert result.node == node and result.map_indices.tolist() == [map_index]


def test_convergence_is_reported_like_run_oip(toy):
    settings = explorer.ExplorerSettings("conv_b", 2, ascent=oip.AscentSettings(n_steps=300, epsilon=0.02,
                                                                                tolerance=1e-3))
    result = explorer.run_settings(toy, settings)
    direct = oip.run_oip(toy, "conv_b", [2], x0=explorer.start_images(toy, settings), n_steps=300, epsilon=0.02,
                         early_stop=False, tolerance=1e-3)
    assert direct.converged_at[0] >= 0  # the case is meaningful: the map converges
    np.testing.assert_array_equal(result.converged_at, direct.converged_at)


def test_result_figure_has_titled_panels(toy):
    settings = explorer.ExplorerSettings("conv_b", 1, ascent=oip.AscentSettings(n_steps=30, epsilon=0.05))
    result = explorer.run_settings(toy, settings)
    fig = explorer.result_figure(result, title=explorer.describe_target(toy, settings))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:4] == ["start", "pattern (plain)", "pattern (contrast 1-99 %)", "objective curve"]
    assert len(fig.axes) == 6  # four panels and two colour bars (start, plain pattern)
    assert result.reacted[0] and not fig.axes[1].texts and len(fig.axes[1].images) == 1  # a real pattern
    assert fig.axes[3].get_xlabel() == "ascent step" and fig.axes[3].get_ylabel() == "objective (activation)"
    np.testing.assert_allclose(fig.axes[3].lines[0].get_ydata(), result.losses[:, 0])
    assert fig._suptitle.get_text().startswith("conv_b, map 1 — step 30, objective ")
    assert fig.axes[4].get_ylabel() == "input value (standardized)"
    enhanced = fig.axes[2].images[0].get_array()
    assert enhanced.min() == 0 and enhanced.max() == 1

    pixels = explorer.result_figure(result, standardizer=Standardizer(33.3, 78.6), n_steps=100)
    assert pixels.axes[4].get_ylabel() == "ink (0 paper, 255 full ink)"
    np.testing.assert_allclose(pixels.axes[1].images[0].get_array(), result.images[0, ..., 0] * 78.6 + 33.3, rtol=1e-5)
    assert pixels.axes[3].get_xlim() == (0, 100) and "step 30 of 100" in pixels._suptitle.get_text()
    with pytest.raises(ValueError, match="image_index 1 is out of range .* valid 0..0"):
        explorer.result_figure(result, image_index=1)


def test_result_figure_fits_the_text_column_with_readable_text(toy):
    import matplotlib.text

    from helpers import plotting

    result = explorer.run_settings(toy, explorer.ExplorerSettings("conv_b", 1, ascent=oip.AscentSettings(n_steps=30)))
    for fig in (explorer.result_figure(result), explorer.result_figure(result, standardizer=Standardizer(33.3, 78.6)),
                explorer.result_figure(explorer.run_settings(_dead_map_model(), explorer.ExplorerSettings(
                    "conv_b", 0, ascent=oip.AscentSettings(n_steps=8))))):
        width, _ = fig.get_size_inches()
        assert width <= plotting.COLUMN_INCHES
        fig.canvas.draw()
        sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]
        assert sizes and min(sizes) >= plotting.MIN_FONT_PT
        start_ax, _, _, loss_ax = fig.axes[:4]
        assert start_ax.images[0].get_cmap().name == plotting.IMAGE_CMAP  # input images: ink dark on white
        plt.close(fig)


def test_save_result_png_is_atomic_and_refuses_to_overwrite(toy, tmp_path):
    result = explorer.run_settings(toy, explorer.ExplorerSettings("hidden", 0, ascent=oip.AscentSettings(n_steps=12)))
    path = explorer.save_result_png(result, tmp_path / "sub" / "oip.png", dpi=40, title="hidden, unit 0")
    assert path.read_bytes()[:8] == PNG
    assert [p.name for p in path.parent.iterdir()] == ["oip.png"]  # no temporary file left behind
    before = path.read_bytes()
    fig = explorer.result_figure(result)
    with pytest.raises(FileExistsError, match=r"oip\.png already exists; pass overwrite=True"):
        explorer.save_result_png(fig, path)
    with pytest.raises(FileExistsError, match=r"oip\.png already exists; tick the box to replace it"):
        explorer.save_result_png(result, path, hint="tick the box", title="refused before the figure is built")
    assert path.read_bytes() == before
    explorer.save_result_png(fig, path, overwrite=True, dpi=30)
    assert path.read_bytes() != before and path.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match=r"oip\.jpg: PNG files need the suffix \.png"):
        explorer.save_result_png(fig, tmp_path / "oip.jpg")
    with pytest.raises(ValueError, match="apply only when saving an OIPResult"):
        explorer.save_result_png(fig, tmp_path / "other.png", title="x")


# ------------------------------------------------------------------------------------------ headless widgets


def test_widget_is_built_from_the_layer_choices(toy):
    import ipywidgets

    ui = explorer.oip_explorer(toy)
    assert isinstance(ui.widget, ipywidgets.VBox)
    assert [value for _, value in ui.layer.options] == ["conv_a", "conv_b", "hidden", "logits"]
    assert ui.layer.value == "conv_b" and ui.map_index.max == 2 and not ui.use_node.disabled
    assert (ui.node_row.max, ui.node_col.max) == (2, 2)
    ui.layer.value = "conv_a"
    assert ui.map_index.max == 4 and ui.node_row.max == 9 and ui.map_index.description == "map"
    ui.map_index.value = 4
    ui.layer.value = "logits"
    assert ui.map_index.max == 1 and ui.map_index.value == 1 and ui.map_index.description == "class"
    assert ui.use_node.disabled and ui.node_row.disabled
    bundle = ui._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # the live view
    assert bundle["text/plain"] == explorer.EXPLORER_NOTE == ui.widget._repr_mimebundle_()["text/plain"]
    assert "VBox" not in bundle["text/plain"] and "kernel" in bundle["text/plain"]

    ui.layer.value = "conv_b"
    ui.use_node.value = True
    ui.node_row.value, ui.node_col.value = 2, 1
    ui.scale_boxes[1].value = ui.scale_boxes[3].value = False
    ui.amplitude_boxes[2].value = 0.5
    ui.n_steps.value, ui.epsilon.value, ui.seed.value, ui.damping.value = 40, 0.02, 7, None
    assert ui.settings() == explorer.ExplorerSettings("conv_b", 1, node=(2, 1), scales=((3, 3), (14, 14)),
                                                      amplitudes=(1.0, 0.5),
                                                      ascent=oip.AscentSettings(n_steps=40, epsilon=0.02, seed=7,
                                                                                damping=None))


def test_widget_run_and_save(toy, tmp_path):
    ui = explorer.oip_explorer(toy, standardizer=Standardizer(33.3, 78.6))
    assert ui.save_button.disabled  # nothing to save before a run
    ui.map_index.value, ui.n_steps.value, ui.epsilon.value = 2, 50, 0.05
    shown = []
    ui.image.observe(lambda change: shown.append(change["new"]), names="value")
    ui.run_button.click()
    assert ui.progress.max == 50 and ui.progress.value == 50
    assert len(shown) == len(explorer.segment_ends(50)) and bytes(ui.image.value)[:8] == PNG
    assert ui.status.value.startswith("done: 50 steps") and not ui.run_button.disabled and not ui.save_button.disabled
    direct = explorer.run_settings(toy, ui.settings())
    np.testing.assert_allclose(ui.result.images, direct.images, atol=1e-6)

    ui.filename.value = str(tmp_path / "explorer.png")
    ui.save_button.click()
    saved = tmp_path / "explorer.png"
    assert saved.read_bytes()[:8] == PNG and ui.status.value == f"saved {saved}"
    before = saved.read_bytes()
    ui.save_button.click()  # refused: shown in the status line, the file is unchanged
    assert "error:" in ui.status.value and "explorer.png already exists" in ui.status.value
    # the widget user is told about the checkbox, not about a keyword argument
    assert "tick the &#x27;overwrite&#x27; box to replace it" in ui.status.value
    assert "overwrite=True" not in ui.status.value
    assert saved.read_bytes() == before
    ui.overwrite.value = True
    ui.save_button.click()
    assert ui.status.value == f"saved {saved}"

    for box in ui.scale_boxes:
        box.value = False
    ui.run_button.click()  # bad input: an error message, no crash, the last result kept
    assert "no length scale selected" in ui.status.value and ui.result is not None and not ui.run_button.disabled


def _dead_map_model() -> keras.Model:
    """The toy model with map 0 of conv_b switched off (bias -100: its ReLU output is 0 for any input)."""
    model = _toy_model()
    kernel, bias = model.get_layer("conv_b").get_weights()
    bias[0] = -100.0
    model.get_layer("conv_b").set_weights([kernel, bias])
    return model


def test_a_target_that_did_not_react_shows_no_pattern():
    dead = _dead_map_model()
    result = explorer.run_settings(dead, explorer.ExplorerSettings("conv_b", 0, ascent=oip.AscentSettings(n_steps=12)))
    assert not result.reacted[0] and np.all(result.losses == 0)
    assert not np.allclose(result.images, result.initial)  # the damping blurred the start: it would pass for a result
    fig = explorer.result_figure(result, standardizer=Standardizer(33.3, 78.6))
    start_ax, plain_ax, enhanced_ax, loss_ax = fig.axes[:4]
    assert [ax.get_title() for ax in (start_ax, plain_ax, enhanced_ax, loss_ax)] == [
        "start", "pattern (plain)", "pattern (contrast 1-99 %)", "objective curve"]
    assert len(start_ax.images) == 1  # the start is still shown
    for ax in (plain_ax, enhanced_ax):  # no image in the pattern panels, but the reason
        assert not ax.images and [t.get_text() for t in ax.texts] == [explorer.NO_PATTERN]
    assert "no reaction to this start" in explorer.NO_PATTERN
    assert fig._suptitle.get_text().endswith("objective 0 — no pattern found")
    assert len(fig.axes) == 5  # four panels and the start's colour bar


def test_widget_layout_leaves_room_for_digits_and_labels(toy):
    ui = explorer.oip_explorer(toy)
    for box in (ui.node_row, ui.node_col):  # the label takes what it needs; the number box keeps the rest
        assert box.style.description_width == "initial" and box.layout.width == explorer.NODE_BOX_WIDTH
        assert int(box.layout.width.removesuffix("px")) >= 120
    for box in ui.scale_boxes:  # "14x14" and "28x28" whole: a check box (about 20 px) and ~9 px per character
        assert box.layout.width == "auto"
        assert int(box.layout.min_width.removesuffix("px")) >= 20 + 9 * len(box.description)
    assert [box.description for box in ui.scale_boxes] == ["3x3", "7x7", "14x14", "28x28"]


def test_widget_labels_name_one_thing_each(toy):
    """Two widgets never share a label (the steps to run and the progress bar were both called "steps")."""
    import ipywidgets

    ui = explorer.oip_explorer(toy)
    labels = [child.description for child in _all_widgets(ui.widget)
              if isinstance(child, ipywidgets.DOMWidget) and getattr(child, "description", "")]
    assert len(labels) == len(set(labels)), labels
    assert ui.n_steps.description == "ascent steps" and ui.progress.description == "progress"


def _all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _all_widgets(child)


def test_widget_shows_no_image_before_the_first_run():
    dead = _dead_map_model()
    ui = explorer.oip_explorer(dead)
    assert ui.image.layout.display == "none" and not ui.image.value  # no broken-image icon
    ui.layer.value, ui.map_index.value, ui.n_steps.value = "conv_b", 0, 12
    ui.run_button.click()
    assert ui.image.layout.display is None and bytes(ui.image.value)[:8] == PNG
    assert "did not react to this start" in ui.status.value


NOTEBOOK_12 = Path(__file__).resolve().parent.parent / "notebooks" / "12_two_trainings_same_maps.ipynb"


def _notebook_12_code_cells() -> tuple[list[dict], int]:
    """Notebook 12's code cells as stored, and the index (among them) of its one explorer cell."""
    stored = json.loads(NOTEBOOK_12.read_text(encoding="utf-8"))
    code = [c for c in stored["cells"] if c["cell_type"] == "code"]
    found = [i for i, c in enumerate(code) if "explorer.oip_explorer(" in "".join(c["source"])]
    assert len(found) == 1, "notebook 12 should have one explorer cell"
    return code, found[0]


def _run_fresh(sources: list[str]) -> list:
    """Execute ``sources`` as the cells of a new notebook in a fresh kernel (MNIST_OIP_FAST=1 is inherited from
    conftest.py); returns the executed cells. Fails on the first error."""
    import nbformat
    from nbclient import NotebookClient

    alone = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    NotebookClient(alone, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(NOTEBOOK_12.parent)}}).execute()
    return alone.cells


def test_notebook_12_explorer_cell_runs_alone_in_a_fresh_kernel():
    """Notebook 12 says "run the next cell yourself": that cell must work without the cells before it."""
    code, at = _notebook_12_code_cells()
    outputs = _run_fresh(["".join(code[at]["source"])])[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    shown = [o for o in outputs if o.output_type == "execute_result"]
    assert len(shown) == 1 and "application/vnd.jupyter.widget-view+json" in shown[0]["data"], outputs
    assert shown[0]["data"]["text/plain"] == explorer.EXPLORER_NOTE  # not the VBox(children=... repr
    assert not [o for o in outputs if o.get("name") == "stderr"], "the explorer cell writes to stderr"


def test_notebook_12_stores_a_note_not_the_widget_repr():
    code, at = _notebook_12_code_cells()
    results = [o for o in code[at]["outputs"] if o["output_type"] == "execute_result"]
    assert len(results) == 1
    assert "".join(results[0]["data"]["text/plain"]) == explorer.EXPLORER_NOTE


def test_notebook_12_cell_after_the_explorer_needs_only_setup_and_parameters():
    """The cell after the explorer says it needs only the setup and parameters cells: run just those, fresh."""
    code, at = _notebook_12_code_cells()
    assert "parameters" in code[1].get("metadata", {}).get("tags", [])
    after = "".join(code[at + 1]["source"])
    assert after.startswith("# needs: the setup and parameters cells")
    cells = _run_fresh(["".join(code[0]["source"]), "".join(code[1]["source"]), after])
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]


def test_notebook_12_going_deeper_runs_without_the_explorer_cells():
    """Going deeper says it needs sections 1-4, not the explorer: run those and it, leaving out section 5's cells."""
    code, at = _notebook_12_code_cells()
    stored = json.loads(NOTEBOOK_12.read_text(encoding="utf-8"))
    deeper = next(i for i, c in enumerate(stored["cells"])
                  if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## Going deeper"))
    after = [c for c in stored["cells"][deeper:] if c["cell_type"] == "code"]
    assert after, "notebook 12's Going deeper has no code"
    cells = _run_fresh(["".join(c["source"]) for c in code[:at]] + ["".join(c["source"]) for c in after])
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]


# ------------------------------------------------------------------------- the ascent's new options in the widget


def test_new_option_widgets_flow_into_the_settings_and_the_run(toy):
    ui = explorer.oip_explorer(toy)
    # the widgets start at the ascent's defaults
    assert (ui.jitter.value, ui.tv_weight.value, ui.parameterization.value) == (0, 0.0, "pixel")
    assert ui.settings().ascent == oip.AscentSettings()
    assert [value for _, value in ui.parameterization.options] == list(oip.VALID_PARAMETERIZATIONS)
    ui.jitter.value, ui.tv_weight.value, ui.parameterization.value = 2, 0.3, "fourier"
    ascent = ui.settings().ascent
    assert ascent == oip.AscentSettings(jitter=2, tv_weight=0.3, parameterization="fourier")
    assert type(ascent.jitter) is int and type(ascent.tv_weight) is float

    # a run uses them: the same as run_oip with these settings, and not the same as without them
    ui.jitter.value, ui.map_index.value, ui.n_steps.value, ui.epsilon.value = 0, 1, 24, 0.05
    ui.run_button.click()
    assert ui.status.value.startswith("done: 24 steps"), ui.status.value
    settings = ui.settings()
    assert (settings.ascent.tv_weight, settings.ascent.parameterization) == (0.3, "fourier")
    direct = oip.run_oip(toy, "conv_b", [1], x0=explorer.start_images(toy, settings),
                         settings=settings.ascent.replace(early_stop=False))
    np.testing.assert_allclose(ui.result.images, direct.images, atol=1e-5)
    plain = oip.run_oip(toy, "conv_b", [1], x0=explorer.start_images(toy, settings),
                        settings=settings.ascent.replace(early_stop=False, tv_weight=0.0, parameterization="pixel"))
    assert np.abs(plain.images - ui.result.images).max() > 1e-2

    # with jitter the run is reproducible
    ui.jitter.value = 2
    first = explorer.run_settings(toy, ui.settings())
    np.testing.assert_array_equal(explorer.run_settings(toy, ui.settings()).images, first.images)
    assert np.abs(first.images - ui.result.images).max() > 1e-2  # and differs from the run without jitter

    # a jitter the image size does not allow is reported in the status line; the last result is kept
    kept = ui.result
    ui.jitter.value = 6
    ui.run_button.click()
    assert "jitter of 6 pixels is too large for 12x12 images; valid: 0..5" in ui.status.value
    assert ui.result is kept and not ui.run_button.disabled


def _colour_result(image: np.ndarray) -> oip.OIPResult:
    """A finished one-image result of a colour model, built by hand (the figure needs no model)."""
    start = np.random.default_rng(1).normal(size=(1, 6, 6, 3)).astype(np.float32)
    return oip.OIPResult(layer_name="conv", map_indices=np.array([2]), node=None, images=image[np.newaxis],
                         initial=start, losses=np.array([[0.1], [0.5], [0.9]], np.float32),
                         converged_at=np.array([-1]), steps_run=2)


def test_a_colour_pattern_is_shown_stretched_to_the_display_range_without_a_colour_bar():
    image = np.random.default_rng(0).normal(size=(6, 6, 3)).astype(np.float32)
    fig = explorer.result_figure(_colour_result(image))
    assert len(fig.axes) == 4  # RGB panels have no colour bar
    shown = fig.axes[1].images[0].get_array()
    assert shown.shape == (6, 6, 3)
    np.testing.assert_allclose(shown, (image - image.min()) / (image.max() - image.min()), rtol=1e-5, atol=1e-6)
    flat = explorer.result_figure(_colour_result(np.full((6, 6, 3), 2.5, np.float32)))
    np.testing.assert_array_equal(flat.axes[1].images[0].get_array(), np.zeros((6, 6, 3)))  # constant: black
    pixels = explorer.result_figure(_colour_result(image), standardizer=Standardizer(33.3, 78.6))
    np.testing.assert_allclose(pixels.axes[1].images[0].get_array(), shown, rtol=1e-4, atol=1e-5)  # same stretch


def test_segment_ends_by_hand():
    # doubling from 8 (the first multiple of 4 from 8) below 600, then every 4 * ceil(600 / 12 / 4) = 52 steps
    assert explorer.segment_ends(600) == [8, 16, 32, 52, 64, 104, 128, 156, 208, 256, 260, 312, 364, 416, 468, 512,
                                          520, 572, 600]
    # damping every 3: doubling from 9; 5 updates: every 3 * ceil(100 / 5 / 3) = 21 steps
    assert explorer.segment_ends(100, damping_every=3, n_updates=5) == [9, 18, 21, 36, 42, 63, 72, 84, 100]
    assert explorer.segment_ends(40, damping_every=1, n_updates=40) == list(range(1, 41))  # a report per step


def test_save_result_png_accepts_up_to_2400_dpi(tmp_path):
    fig, _ = plt.subplots(figsize=(0.1, 0.1))
    assert explorer.save_result_png(fig, tmp_path / "fine.png", dpi=2400).read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="dpi must be"):
        explorer.save_result_png(fig, tmp_path / "huge.png", dpi=2400.5)
    assert not (tmp_path / "huge.png").exists()


def test_the_objective_curve_uses_the_series_words():
    # "objective" (not "loss"), "stop rule held at step N" (not "converged"): notebook 07 teaches both words
    result = _colour_result(np.zeros((6, 6, 3), np.float32))
    result.converged_at = np.array([1])
    fig = explorer.result_figure(result)
    assert fig.axes[3].get_title() == "objective curve"
    assert [t.get_text() for t in fig.axes[3].get_legend().get_texts()] == ["stop rule held at step 1"]
    assert "loss" not in " ".join(ax.get_title() + ax.get_ylabel() for ax in fig.axes)
