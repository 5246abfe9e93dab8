"""``make figures`` (scripts/export_figures.py): every stored figure of the series as a named PNG with a caption
index, and the caption function that also gives the book's figures their alt text."""

import base64
import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from script_loader import load_script

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


ef = load_script("scripts/export_figures.py", "export_figures_under_test")


def png(width=8, height=4, dpi=None) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
    return buffer.getvalue()


def code(source: str, figures: int = 1, metadata: dict | None = None) -> dict:
    data = base64.b64encode(png()).decode()
    return {"cell_type": "code", "source": source, "metadata": metadata or {}, "execution_count": 1,
            "outputs": [{"output_type": "display_data", "data": {"image/png": data, "text/plain": "<Figure>"},
                         "metadata": {}} for _ in range(figures)]}


def md(source: str) -> dict:
    return {"cell_type": "markdown", "source": source, "metadata": {}}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def captions(*cells) -> list[str]:
    return [fig.caption for fig in ef.figures({"cells": list(cells)})]


# ------------------------------------------------------------------------------------------------ captions


def test_metadata_caption_comes_first():
    meta = {"mnist_oip": {"caption": "Map 120: its OIP"}}
    assert captions(code('fig.suptitle("something else")', metadata=meta)) == ["Map 120: its OIP"]
    per_figure = {"mnist_oip": {"caption": ["first", "second"]}}
    assert captions(code("show()", figures=2, metadata=per_figure)) == ["first", "second"]


def test_caption_from_the_source_suptitle_before_title_arguments_before_axes_titles():
    assert captions(code('ax.set_title("Panel")\nfig.suptitle("The whole figure")\nplot(title="Argument")')) == [
        "The whole figure"]
    assert captions(code('plotting.image_grid(x, suptitle="Grid of maps", title="no")')) == ["Grid of maps"]
    assert captions(code('plotting.curves(y, title="Loss per epoch", ax=a)\nplotting.curves(z, title="Accuracy")')) == [
        "Loss per epoch; Accuracy"]
    assert captions(code('ax.set_title("Class frequencies")\nax.legend(title="class")')) == ["Class frequencies"]
    assert captions(code('plt.title("A plain pyplot title")')) == ["A plain pyplot title"]


def test_caption_takes_the_literal_text_of_f_strings_and_known_constants():
    source = ('N_STEPS = 600\nm = pick()\n'
              'fig.suptitle(f"OIP of map {m} after {N_STEPS} steps, "\n'
              '             f"loss {loss:.2f}\\nsecond line")')
    assert captions(code(source)) == ["OIP of map … after 600 steps, loss … second line"]
    assert captions(code('SEEDS = 3', figures=0), code('ax.set_title(f"{SEEDS} seeds: spread")')) == ["3 seeds: spread"]
    # a loop's panel titles say nothing alone ("…, 26x26"): the heading above is used instead
    assert captions(md("## 2 · The maps of `Conv2D_1`"), code('ax.set_title(f"{name}, 26x26")')) == [
        "2 · The maps of Conv2D_1"]


def test_caption_falls_back_to_the_nearest_heading_and_numbers_figures_that_share_one():
    cells = [md("# Title\n\n## First section\ntext"), md("no heading here"), code("show(x)", figures=2),
             code("%matplotlib inline\nshow(y)")]
    assert captions(*cells) == ["First section (figure 1 of 2)", "First section (figure 2 of 2)", "First section"]
    assert captions(code("show(x)")) == ["Figure"]


# ------------------------------------------------------------------------------------------------ files


def test_png_info_reads_size_and_dpi():
    assert ef.png_info(png(30, 20, dpi=200)) == (30, 20, 200.0)
    assert ef.png_info(png(30, 20)) == (30, 20, None)
    assert ef.png_info(b"GIF89a\x40\x01\xf0\x00" + bytes(20)) == (320, 240, None)
    with pytest.raises(ValueError):
        ef.png_info(b"JFIF")


def test_slugs_and_unique_names():
    assert ef.slug("OIP of map 120 of Conv2D_3 (the blog's recipe)") == "oip_map_120_conv2d3_blogs_recipe"
    assert ef.slug("Größe: ±3 σ") == "grosse_3"
    assert ef.slug("…") == "figure"
    assert ef.unique_names(["07_a", "07_b", "07_a", "07_a"]) == ["07_a.png", "07_b.png", "07_a_2.png", "07_a_3.png"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    (out / "01_left_over_from_an_old_run.png").write_bytes(png())
    assert ef.main([str(out)]) == 0
    return out


def figure_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".png", ".gif", ".jpg"))


def test_every_stored_figure_is_written_as_stored_with_a_unique_name(exported):
    files = [p.name for p in figure_files(exported)]
    stored = [fig for nb in NOTEBOOKS for fig in ef.notebook_figures(nb)]
    assert len(files) == len(stored) > 50 and "01_left_over_from_an_old_run.png" not in files
    assert sorted(sha(p.read_bytes()) for p in figure_files(exported)) == sorted(sha(f.png) for f in stored)
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.(png|gif|jpg)", name) for name in files), files
    for path in figure_files(exported):  # the suffix says what the file is
        assert path.read_bytes().startswith({".png": b"\x89PNG", ".gif": b"GIF8", ".jpg": b"\xff\xd8\xff"}[path.suffix])


def test_the_index_lists_every_file_with_notebook_caption_and_dpi(exported):
    rows = list(csv.DictReader((exported / "index.csv").open(encoding="utf-8")))
    assert sorted(row["file"] for row in rows) == [p.name for p in figure_files(exported)]
    notebooks = {p.name for p in NOTEBOOKS}
    for row in rows:
        assert row["notebook"] in notebooks and row["file"][:2] == row["notebook"][:2]
        assert row["caption"].strip() and not re.search(r"\.(png|gif|jpg)$", row["caption"])
        width, height, dpi = ef.png_info((exported / row["file"]).read_bytes())
        assert (int(row["width_px"]), int(row["height_px"])) == (width, height)
        assert row["dpi"] == ("" if dpi is None else f"{dpi:g}")
    index_md = (exported / "index.md").read_text(encoding="utf-8")
    assert "dpi" in index_md
    for row in rows:
        assert f"[{row['file']}]({row['file']})" in index_md


def test_make_figures_runs_the_script():
    makefile = (ROOT / "Makefile").read_text()
    target = re.search(r"^figures:.*?(?=^\S|\Z)", makefile, re.M | re.S)
    assert target and "scripts/export_figures.py" in target.group(0) and "build/figures" in target.group(0)
    assert re.search(r"^\.PHONY:.*\bfigures\b", makefile, re.M)
