"""The HTML book (``make book``): built once per session into a temporary folder, then checked page by page.

Every notebook has a page, in reading order; the landing page is the README with its picture; every figure is
there byte for byte (full resolution) and linked to its file; no internal link or image is broken; nothing is
loaded from the network (MathJax is local); the search index covers every page; Sphinx reports no warnings.
"""

import base64
import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _load_build_module():
    spec = importlib.util.spec_from_file_location("book_build", ROOT / "docs" / "book" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


book_build = _load_build_module()


# ------------------------------------------------------------------------------------------ reading HTML


class Page(HTMLParser):
    """The parts of an HTML page the checks need: element ids, links and resources, images, the title."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.images: list[dict] = []
        self.title = ""
        self._stack: list[tuple[str, dict]] = []
        self._in_title = False
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "") for k, v in attrs}
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if key in attrs:
                self.refs.append((tag, key, attrs[key]))
        if tag == "img":
            parent = next((a for t, a in reversed(self._stack) if t == "a"), None)
            self.images.append({**attrs, "link": parent.get("href") if parent else None})
        if tag == "title":
            self._in_title = True
        if tag not in ("img", "meta", "link", "br", "hr", "input", "source"):
            self._stack.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc) or url.startswith("//")


def book_pages(book: Path) -> list[Path]:
    """The HTML pages of ``book`` (not the theme's template fragments under ``_static/``)."""
    return sorted(p for p in book.rglob("*.html") if "_static" not in p.relative_to(book).parts)


def broken_links(book: Path) -> list[str]:
    """Every relative href/src of every page of ``book`` whose file does not exist, or whose ``#fragment``
    names no element of the target page; as "page: url (why)"."""
    pages = {p.resolve(): Page(p) for p in book_pages(book)}
    problems = []
    for path, page in pages.items():
        for _, _, url in page.refs:
            if not url or is_external(url) or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            parts = urlsplit(url)
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(book.resolve())}: {url}"
            if not target.exists():
                problems.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else Page(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where} (no element with id {parts.fragment!r})")
    return problems


def notebook_figures(path: Path) -> list[bytes]:
    """The PNG bytes of every stored figure output of a notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [base64.b64decode("".join(out["data"]["image/png"]))
            for cell in nb["cells"] if cell["cell_type"] == "code"
            for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------------------- the checker


def test_broken_links_finds_missing_files_and_fragments(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "img.png").write_bytes(b"png")
    (tmp_path / "index.html").write_text(
        '<h1 id="top">t</h1><a href="sub/page.html#part">ok</a><a href="#top">ok</a><img src="img.png">'
        '<a href="https://example.org/x.html">external</a><a href="missing.html">bad</a>'
        '<img src="sub/none.png"><a href="sub/page.html#nowhere">bad fragment</a>')
    (tmp_path / "sub" / "page.html").write_text('<section id="part"><a href="../index.html#top">back</a></section>')
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "macros.html").write_text("<a href=\"{{ pathto('x') }}\">a template, not a page</a>")
    assert sorted(broken_links(tmp_path)) == [
        "index.html: missing.html (no such file)",
        "index.html: sub/none.png (no such file)",
        "index.html: sub/page.html#nowhere (no element with id 'nowhere')",
    ]


def test_staged_sources_mirror_the_repository(tmp_path):
    src = book_build.stage_sources(tmp_path)
    assert sorted(p.name for p in (src / "notebooks").iterdir()) == [p.name for p in NOTEBOOKS]
    for p in NOTEBOOKS:  # byte-for-byte copies: the pages show the committed outputs
        assert (src / "notebooks" / p.name).read_bytes() == p.read_bytes(), p.name
    assert (src / "docs/images/oip_conv2d_3_grid.png").read_bytes() == (ROOT / "docs/images/oip_conv2d_3_grid.png").read_bytes()
    index = (src / "index.md").read_text(encoding="utf-8")
    assert index.startswith((ROOT / "README.md").read_text(encoding="utf-8").rstrip())
    toc = index[index.index("```{toctree}"):].splitlines()
    assert [line for line in toc if line.startswith("notebooks/")] == [f"notebooks/{p.stem}" for p in NOTEBOOKS]
    with pytest.raises(FileNotFoundError, match=r"no notebooks matching notebooks/\[0-9\]\[0-9\]_\*\.ipynb"):
        book_build.stage_sources(tmp_path / "other", root=tmp_path)


# ----------------------------------------------------------------------------------------- the book


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """The book, built once for this module exactly as ``make book`` builds it (a fresh process)."""
    out = tmp_path_factory.mktemp("book") / "html"
    warnings, work = out.parent / "warnings.txt", out.parent / "work"
    run = subprocess.run([sys.executable, str(ROOT / "docs/book/build.py"), str(out), "--warnings", str(warnings),
                          "--work", str(work)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, f"make book failed:\n{run.stdout}\n{run.stderr}"
    # the notebooks exactly as built (the copies the build staged), for comparisons with the pages
    built = {p.name: p for p in (work / "src" / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    return {"out": out, "warnings": warnings.read_text() if warnings.exists() else "", "notebooks": built}


def test_sphinx_reports_no_warnings(book):
    assert book["warnings"].strip() == "", f"the book build warned (broken reference, bad markup?):\n{book['warnings']}"


def test_every_notebook_has_a_page_in_reading_order(book):
    out = book["out"]
    pages = [out / "notebooks" / f"{p.stem}.html" for p in NOTEBOOKS]
    assert all(p.exists() for p in pages), f"notebooks without a page: {[p.name for p in pages if not p.exists()]}"
    for nb_path, page_path in zip((book["notebooks"][p.name] for p in NOTEBOOKS), pages):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        heading = next(re.search(r"^# (.+)$", "".join(c["source"]), re.M) for c in nb["cells"]
                       if c["cell_type"] == "markdown" and re.search(r"^# ", "".join(c["source"]), re.M))
        title = Page(page_path).title
        assert re.sub(r"\W+", " ", heading.group(1)).strip() in re.sub(r"\W+", " ", title), (page_path.name, title)
    # the navigation lists the notebooks in order, and "next" leads from each page to the following one
    index = (out / "index.html").read_text(encoding="utf-8")
    nav = re.findall(r'href="(notebooks/\d\d_[a-z0-9_]+\.html)"', index[index.index("bd-docs-nav"):])
    assert list(dict.fromkeys(nav)) == [f"notebooks/{p.stem}.html" for p in NOTEBOOKS]
    for page, following in zip(pages, pages[1:]):
        assert re.search(rf'class="right-next"\s+href="{re.escape(following.name)}"', page.read_text(encoding="utf-8")), (
            f"{page.name} has no 'next' link to {following.name}")


def test_landing_page_is_the_readme_with_its_picture(book):
    out = book["out"]
    index = Page(out / "index.html")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    title = re.search(r"^# (.+)$", readme, re.M).group(1)
    assert title.split(" — ")[0] in index.title
    picture = sha((ROOT / "docs/images/oip_conv2d_3_grid.png").read_bytes())
    assert picture in {sha((out / unquote(img["src"])).read_bytes()) for img in index.images}
    html = (out / "index.html").read_text(encoding="utf-8")
    article = html[html.index('<article class="bd-article"'):html.index("</article>")]  # the page, not the sidebar
    for p in NOTEBOOKS:  # the README's table of contents (rendered as a table, not swallowed by a code block)
        assert f'href="notebooks/{p.stem}.html"' in article, f"the landing page's text does not link {p.stem}"
    assert "<table" in article and "```" not in article, "the README's markdown did not render (an unclosed fence?)"


def test_every_figure_is_on_its_page_at_full_resolution(book):
    out = book["out"]
    for nb_path in (book["notebooks"][p.name] for p in NOTEBOOKS):
        page = Page(out / "notebooks" / f"{nb_path.stem}.html")
        shown = {}
        for img in page.images:
            file = (page.path.parent / unquote(img["src"])).resolve()
            assert file.exists(), f"{page.path.name}: image {img['src']} is missing"
            shown[sha(file.read_bytes())] = img
        for i, figure in enumerate(notebook_figures(nb_path)):
            img = shown.get(sha(figure))
            assert img is not None, f"{nb_path.name}: figure {i} is not on its page byte for byte"
            assert img["link"] == img["src"], f"{nb_path.name}: figure {i} does not link to its full-resolution file"


def test_no_internal_link_is_broken(book):
    out = book["out"]
    problems = broken_links(out)
    assert not problems, "broken links in the book:\n" + "\n".join(problems[:30])
    # the notebooks' own cross-links (NN_topic.ipynb) became links between pages
    page_09 = Page(out / "notebooks" / "09_all_maps_of_conv2d_3.html")
    assert ("a", "href", "10_filling_the_gaps.html") in page_09.refs


def test_the_book_loads_nothing_from_the_network(book):
    out = book["out"]
    remote = []
    for path in book_pages(out):
        for tag, key, url in Page(path).refs:
            if is_external(url) and not (tag == "a" and key == "href"):
                remote.append(f"{path.relative_to(out)}: <{tag} {key}={url}>")
    assert not remote, "pages load resources from the network:\n" + "\n".join(remote[:20])
    page_11 = (out / "notebooks" / "11_common_patterns_of_nature.html").read_text(encoding="utf-8")
    mathjax = re.search(r'<script[^>]*src="([^"]*tex-chtml\.js)"', page_11)
    assert mathjax and (out / "notebooks" / mathjax.group(1)).resolve().is_file(), "MathJax is not bundled"
    assert page_11.count('class="math') >= 10, "the formulas of notebook 11 are not marked up as math"


def test_search_index_covers_every_page(book):
    out = book["out"]
    assert (out / "search.html").exists()
    index = (out / "searchindex.js").read_text(encoding="utf-8")
    for p in NOTEBOOKS:
        assert f'"notebooks/{p.stem}"' in index, f"{p.stem} is not in the search index"


def test_the_folder_can_be_published_as_it_is(book):
    out = book["out"]
    assert (out / ".nojekyll").exists(), "GitHub Pages would hide _static/ and _images/ without .nojekyll"
    assert (out / "index.html").exists() and (out / "_static").is_dir()


# ------------------------------------------------------------------------------- the JupyterLab start page


def test_lab_opens_on_a_start_page_that_links_every_notebook():
    start = ROOT / "notebooks" / "00_start_here.md"
    links = re.findall(r"\]\((\d\d_[a-z0-9_]+\.ipynb)\)", start.read_text(encoding="utf-8"))
    assert set(links) >= {p.name for p in NOTEBOOKS}, "the start page does not link every notebook"
    assert all((start.parent / link).exists() for link in links), "the start page links a missing notebook"
    assert links[0] == NOTEBOOKS[0].name, "the start page should first say where to begin: notebook 01"
    lab = re.search(r"^lab:.*?(?=^\S)", (ROOT / "Makefile").read_text() + "\nend", re.M | re.S).group(0)
    assert "notebooks/00_start_here.md" in lab and "docs/lab" in lab
    overrides = json.loads((ROOT / "docs/lab/overrides.json").read_text())
    assert overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["markdown"] == "Markdown Preview"
