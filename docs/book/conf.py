"""Sphinx configuration of the mnist-oip book (``make book``; sources are staged by ``docs/book/build.py``).

The book renders the committed, executed notebooks as they are (no re-execution) with myst-nb and the
sphinx-book-theme. Everything the pages need is copied into the output folder, MathJax included
(sphinx-mathjax-offline), so the book builds and reads without a network connection.
"""

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_export_figures():
    """scripts/export_figures.py: the one caption function for the figures (alt text here, file names there)."""
    spec = importlib.util.spec_from_file_location("mnist_oip_export_figures", ROOT / "scripts" / "export_figures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


export_figures = _load_export_figures()

project = "mnist-oip"
author = "the mnist-oip authors"
release = version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
copyright = "the mnist-oip authors; code: MIT License; text and figures: CC BY-SA 4.0"
# the license files, copied into the book's root folder and linked from every page's footer
LICENSE_FILES = {name: name for name in ("LICENSE", "LICENSE-CONTENT.md") if (ROOT / name).is_file()}
html_extra_path = [str(ROOT / name) for name in LICENSE_FILES]
html_title = "mnist-oip: how a simple CNN sees handwritten digits"

extensions = [
    "myst_nb",  # notebooks (.ipynb) and MyST markdown (the landing page)
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 files copied into _static/ instead of a CDN link
    "sphinx.ext.githubpages",  # writes .nojekyll, so GitHub Pages serves _static/ and _images/ as they are
]
root_doc = "index"
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["**.ipynb_checkpoints"]

# --- notebooks: show what is stored, never execute; no widget JavaScript from a CDN
nb_execution_mode = "off"
nb_ipywidgets_js = {}
nb_output_stderr = "show"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3  # `#some-heading` links inside and between pages

# --- HTML
html_theme = "sphinx_book_theme"
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,  # readers can download each page's .ipynb
    "use_fullscreen_button": False,
    "navigation_with_keys": True,
    # notebook pages: no "contents" sidebar on the right, so that the text column is wide enough for code and
    # outputs (book.css widens it); the landing page keeps it
    "secondary_sidebar_items": {"index": ["page-toc"], "notebooks/*": []},
    "footer_content_items": ["license.html"],  # _templates/license.html: licenses, version, MNIST credit
}
html_context = {"mnist_oip_license_files": LICENSE_FILES}
html_last_updated_fmt = None
html_show_sphinx = False
pygments_style = "default"


def _figure_captions(app, docname: str) -> dict[str, str]:
    """sha256 of each stored PNG figure of the page's notebook -> its caption (scripts/export_figures.py)."""
    import hashlib

    source = Path(app.env.doc2path(docname))
    if source.suffix != ".ipynb":
        return {}
    captions = {}
    for fig in export_figures.notebook_figures(source):
        captions.setdefault(hashlib.sha256(fig.png).hexdigest(), fig.caption)  # shown twice: the first caption
    return captions


def _is_file_name(alt: str, uri: str) -> bool:
    return not alt.strip() or alt == uri or Path(alt).name == Path(uri).name or Path(alt).suffix.lower() in (
        ".png", ".jpg", ".jpeg", ".gif", ".svg")


def _natural_width(app, doctree, docname) -> None:
    """Give each figure its caption as alt text, and its natural width: the width it was drawn at (output metadata
    of a retina figure; otherwise the pixel width, halved for a 2x PNG whose pHYs says 200 dpi), shown shrunk to
    the text column when it is wider and (Sphinx's ``html_scaled_image_link``) linked to the full-resolution file."""
    import hashlib

    from docutils import nodes
    from sphinx.util.images import get_image_size

    captions = None
    for node in doctree.findall(nodes.image):
        path = Path(app.srcdir, node["uri"])
        if _is_file_name(node.get("alt", ""), node["uri"]):
            if captions is None:
                captions = _figure_captions(app, docname)
            if path.is_file():
                caption = captions.get(hashlib.sha256(path.read_bytes()).hexdigest())
                if caption:
                    node["alt"] = caption
        if "scale" in node:
            continue
        if "width" in node:  # e.g. from a retina output's metadata: the height follows the width (book.css)
            node.attributes.pop("height", None)
            if re.fullmatch(r"\d+(\.\d+)?", str(node["width"])):  # myst-nb passes the metadata's number as it is
                node["width"] = f"{node['width']}px"
            continue
        if "height" in node:
            continue
        size = get_image_size(path)
        if size is not None:
            node["width"] = f"{natural_width(path, size[0])}px"


def natural_width(path: Path, pixels: int) -> int:
    """The CSS width of a PNG: its pixel width divided by the density its pHYs chunk gives (200 dpi: 2x) relative
    to Matplotlib's 100 dpi; other files and PNGs without pHYs: the pixel width."""
    if path.suffix.lower() != ".png":
        return pixels
    try:
        _, _, dpi = export_figures.png_info(path.read_bytes())
    except (OSError, ValueError):
        return pixels
    density = max(1, round(dpi / 100)) if dpi else 1
    return round(pixels / density)


RAW_ANCHOR = re.compile(r"""<a\s+(?:id|name)=["']([^"']+)["']\s*/?>""")  # MyST gives <a ...> and </a> apart


def _raw_anchors(app, doctree) -> None:
    """Make the start pages' HTML anchors (``<a id="g-oip"></a>``, the glossary's entries) link targets, so that
    ``[OIP](#g-oip)`` and ``[OIP](00_start_here.md#g-oip)`` resolve like links to headings."""
    from docutils import nodes

    std = app.env.domains.standard_domain if hasattr(app.env, "domains") else app.env.get_domain("std")
    for node in doctree.findall(nodes.raw):
        if "html" in node.get("format", "").split():
            for anchor in RAW_ANCHOR.findall(node.astext()):
                std.anonlabels[anchor] = (app.env.docname, anchor)


def setup(app):
    app.connect("doctree-read", _raw_anchors)
    app.connect("doctree-resolved", _natural_width)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
