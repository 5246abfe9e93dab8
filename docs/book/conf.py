"""Sphinx configuration of the mnist-oip book (``make book``; sources are staged by ``docs/book/build.py``).

The book renders the committed, executed notebooks as they are (no re-execution) with myst-nb and the
sphinx-book-theme. Everything the pages need is copied into the output folder, MathJax included
(sphinx-mathjax-offline), so the book builds and reads without a network connection.
"""

project = "mnist-oip"
author = "the mnist-oip authors"
copyright = "the mnist-oip authors"
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
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,  # readers can download each page's .ipynb
    "use_fullscreen_button": False,
    "navigation_with_keys": True,
}
html_last_updated_fmt = None
html_show_sphinx = False
pygments_style = "default"



def _natural_width(app, doctree, docname) -> None:
    """Give every image its natural pixel width: shown shrunk to the text column when it is wider, and (Sphinx's
    ``html_scaled_image_link``) linked to the full-resolution file."""
    from pathlib import Path

    from docutils import nodes
    from sphinx.util.images import get_image_size

    for node in doctree.findall(nodes.image):
        if any(key in node for key in ("width", "height", "scale")):
            continue
        size = get_image_size(Path(app.srcdir, node["uri"]))
        if size is not None:
            node["width"] = f"{size[0]}px"


def setup(app):
    app.connect("doctree-resolved", _natural_width)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
