"""The HTML book (``make book``): built once per session into a temporary folder, then checked page by page.

Every notebook has a page, in reading order; the landing page is the README with its picture; every figure is
there byte for byte (full resolution) and linked to its file; no internal link or image is broken; nothing is
loaded from the network (MathJax is local); the search index covers every page; Sphinx reports no warnings.
"""

import base64
import hashlib
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from script_loader import load_script

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


book_build = load_script("docs/book/build.py", "book_build")
START_PAGES = book_build.start_pages()  # 00_start_here.md first, then e.g. 00_for_instructors.md
PAGES = [*START_PAGES, *NOTEBOOKS]  # the book's pages after the landing page, in reading order


export_figures = load_script("scripts/export_figures.py", "book_export_figures")


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
    assert sorted(p.name for p in (src / "notebooks").iterdir()) == sorted(p.name for p in PAGES)
    for p in PAGES:  # byte-for-byte copies: the pages show the committed outputs
        assert (src / "notebooks" / p.name).read_bytes() == p.read_bytes(), p.name
    assert (src / "docs/images/oip_conv2d_3_grid.png").read_bytes() == (ROOT / "docs/images/oip_conv2d_3_grid.png").read_bytes()
    index = (src / "index.md").read_text(encoding="utf-8")
    assert index.startswith((ROOT / "README.md").read_text(encoding="utf-8").rstrip())
    toc = index[index.index("```{toctree}"):].splitlines()
    assert [line for line in toc if line.startswith("notebooks/")] == [f"notebooks/{p.stem}" for p in PAGES]
    assert START_PAGES and START_PAGES[0].name == "00_start_here.md"
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
    return {"out": out, "warnings": warnings.read_text() if warnings.exists() else "", "notebooks": built,
            "stdout": run.stdout}


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
    # the navigation lists the start pages, then the notebooks, in order; "next" leads from each page to the following
    index = (out / "index.html").read_text(encoding="utf-8")
    nav = re.findall(r'href="(notebooks/\d\d_[a-z0-9_]+\.html)"', index[index.index("bd-docs-nav"):])
    assert list(dict.fromkeys(nav)) == [f"notebooks/{p.stem}.html" for p in PAGES]
    pages = [out / "notebooks" / f"{p.stem}.html" for p in PAGES]
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


def test_make_book_says_how_to_serve_it_for_search(book):
    # opened as a file, the search finds titles only (the browser refuses the snippet requests): serve it
    line = next((line for line in book["stdout"].splitlines() if "http.server" in line), "")
    assert f"-m http.server --directory {book['out']} 8000" in line and "http://localhost:8000/" in line, book["stdout"]
    assert book_build.serve_command(ROOT / "build" / "book", cwd=ROOT).endswith(
        "-m http.server --directory build/book 8000")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Read it as a book"):]
    section = section[:section.find("\n## ", 3)]
    assert "http.server --directory build/book 8000" in section and "make book-serve" in section


def test_start_pages_come_before_the_notebooks_and_their_links_work(book):
    out = book["out"]
    for p in START_PAGES:
        assert (out / "notebooks" / f"{p.stem}.html").exists(), f"{p.name} has no page in the book"
    start = Page(out / "notebooks" / "00_start_here.html")
    linked = {unquote(url).split("#")[0] for tag, key, url in start.refs if tag == "a" and not is_external(url)}
    assert {f"{p.stem}.html" for p in NOTEBOOKS} <= linked, "the start page's links to the notebooks are not pages"
    # its glossary anchors are link targets of the book too (no warning, and broken_links checks the fragments)
    assert {"g-oip", "the-glossary"} <= start.ids


def test_no_test_markers_in_the_book(book):
    out = book["out"]
    found = [str(p.relative_to(out)) for p in [*book_pages(out), out / "searchindex.js"]
             if "NBVAL" in p.read_text(encoding="utf-8")]
    assert not found, f"test markers (NBVAL...) show in the book: {found}"


def test_footer_names_the_licenses_the_version_and_the_data(book):
    out = book["out"]
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    for path in book_pages(out):
        html = path.read_text(encoding="utf-8")
        footer = html[html.index('<footer class="bd-footer-content"'):]
        footer = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", footer[:footer.index("</footer>")]))
        for words in ("Code: MIT License", "text and figures: CC BY-SA 4.0", "Y. LeCun, C. Cortes and C. J. C. Burges",
                      f"version {version}"):
            assert words in footer, f"{path.relative_to(out)}: the footer does not say {words!r}: {footer}"
    index = Page(out / "index.html")
    for name in ("LICENSE", "LICENSE-CONTENT.md"):
        if (ROOT / name).exists():  # linked, and copied into the book (broken_links checks the file)
            assert ("a", "href", name) in index.refs and (out / name).read_bytes() == (ROOT / name).read_bytes()


def test_every_image_has_its_caption_as_alt_text(book):
    out = book["out"]
    for path in book_pages(out):
        for img in Page(path).images:
            alt, src = img.get("alt", "").strip(), unquote(img["src"])
            assert alt and alt != src and Path(alt).name != Path(src).name, f"{path.name}: {src} has alt {alt!r}"
            assert not re.search(r"\.(png|jpe?g|gif|svg)$", alt, re.I), f"{path.name}: alt text is a file name: {alt}"
    for nb_path in (book["notebooks"][p.name] for p in NOTEBOOKS):  # the figures: the same captions as make figures
        page = Page(out / "notebooks" / f"{nb_path.stem}.html")
        alts = {sha((page.path.parent / unquote(img["src"])).read_bytes()): img["alt"] for img in page.images}
        captions = {}
        for fig in export_figures.notebook_figures(nb_path):
            captions.setdefault(sha(fig.png), fig.caption)  # a figure shown twice: its first caption
        for digest, caption in captions.items():
            assert alts[digest] == caption, f"{nb_path.name}: alt {alts[digest]!r} instead of the caption {caption!r}"


# --- code and outputs in the text column. The layout at a 1,400 px window, as measured in Chromium: the primary
# sidebar takes 20 %, the article 2 rem of padding on each side, and a cell's <pre> 36 px (padding, borders); the
# secondary ("contents") sidebar, 17 rem, is gone from the notebook pages. Monospace fonts advance about 0.6 em a
# character (DejaVu Sans Mono, Menlo: 0.602 em).
WINDOW, PRIMARY, ARTICLE_PADDING, PRE_CHROME, SECONDARY, CHAR_EM = 1400, 0.20, 2 * 2 * 16, 36, 17 * 16, 0.602


def css_rules(css: str) -> list[tuple[str, str]]:
    """(selector list, declarations) of every rule of a stylesheet, media queries flattened."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return [(sel.strip(), body) for sel, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)]


def column_capacity(css: str, sidebar_secondary: bool) -> int:
    """Characters of cell code that fit one line of the text column at a 1,400 px window."""
    size = next(float(m.group(1)) * 16 for sel, body in css_rules(css) if "div.cell pre" in sel
                for m in [re.search(r"font-size:\s*([\d.]+)rem", body)] if m)
    column = WINDOW * (1 - PRIMARY) - (SECONDARY if sidebar_secondary else 0) - ARTICLE_PADDING
    return int((column - PRE_CHROME) // (CHAR_EM * size))


def test_code_and_outputs_fit_the_column_without_sideways_scrolling(book):
    out = book["out"]
    css = (out / "_static" / "book.css").read_text(encoding="utf-8")
    rules = css_rules(css)
    # long lines wrap (at a space, else anywhere) in every <pre> of the article: cell code, outputs, code blocks
    assert any(sel == ".bd-article pre" and re.search(r"white-space:\s*pre-wrap", body)
               and re.search(r"overflow-wrap:\s*anywhere", body) for sel, body in rules), "no wrapping rule for <pre>"
    # pages without the secondary sidebar give its room to the text column
    assert any(":not(:has(> .bd-sidebar-secondary)) > .bd-article-container" in sel
               and re.search(r"max-width:\s*100%", body) for sel, body in rules)
    capacity = column_capacity(css, sidebar_secondary=False)
    assert capacity >= 125, f"the notebook column holds only {capacity} characters of code at 1,400 px"
    lines, long_lines = 0, []
    for nb in NOTEBOOKS:
        html = (out / "notebooks" / f"{nb.stem}.html").read_text(encoding="utf-8")
        assert "bd-sidebar-secondary" not in html, f"{nb.name}: the page still has the secondary sidebar"
        article = html[html.index('<article class="bd-article"'):html.index("</article>")]
        pres = re.findall(r"<pre\b[^>]*>(.*?)</pre>", article, re.S)
        assert len(pres) == len(re.findall(r"<pre\b", html)), f"{nb.name}: a <pre> outside the article (not wrapped)"
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                for line in "".join(cell["source"]).splitlines():
                    lines += 1
                    if len(line) > capacity:
                        long_lines.append(f"{nb.name}: {len(line)} characters: {line.strip()[:60]}")
    # the column is sized for the code as written: a rare longer line wraps once, none needs three rows
    assert len(long_lines) <= lines // 100, "code lines wider than the column:\n" + "\n".join(long_lines)
    assert not [line for line in long_lines if int(line.split(": ")[1].split()[0]) > 2 * capacity]


def test_the_browser_shows_no_sideways_scrolling_at_1400_px(book, tmp_path):
    """The same in a real browser, where one is installed: no <pre>, image or table of pages 01 and 09 (and the
    landing page) is wider than its box or the article."""
    import shutil

    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no Chromium installed")
    probe = """<script>(function(){const a=document.querySelector('.bd-article'),r=a.getBoundingClientRect(),bad=[];
    for(const e of a.querySelectorAll('pre,img,table,div.cell_output')){const b=e.getBoundingClientRect();
    if(e.scrollWidth>e.clientWidth+1&&getComputedStyle(e).overflowX!=='visible')bad.push(e.tagName+' scrolls '+e.scrollWidth+'>'+e.clientWidth);
    if(b.right>r.right+1)bad.push(e.tagName+' sticks out');}
    document.body.setAttribute('data-probe',JSON.stringify({width:innerWidth,bad:bad}));})();</script>"""
    for name in ("notebooks/01_mnist_and_cnn_basics.html", "notebooks/09_all_maps_of_conv2d_3.html", "index.html"):
        page = book["out"] / name
        probed = page.with_name(f"_probe_{page.name}")
        probed.write_text(page.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8")
        try:
            run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                  "--window-size=1400,1000", "--dump-dom", probed.as_uri()],
                                 capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            pytest.skip("Chromium did not answer in time")
        finally:
            probed.unlink()
        found = re.search(r'data-probe="([^"]*)"', run.stdout)
        if found is None:
            pytest.skip(f"Chromium gave no page ({run.returncode}): {run.stderr[-300:]}")
        import html as html_module

        result = json.loads(html_module.unescape(found.group(1)))
        assert result["width"] == 1400 and not result["bad"], f"{name} at 1,400 px: {result['bad'][:10]}"


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


# ------------------------------------------------------------------------- a synthetic notebook, built as a book


def _png(width: int, height: int, dpi: int | None = None) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def synthetic_book(tmp_path_factory):
    """A one-notebook book made with the real configuration: a solution cell tagged hide-input, a retina figure
    (2x pixels, output metadata width/height), a 200-dpi PNG without metadata, a 100-dpi one."""
    root = tmp_path_factory.mktemp("synthetic")
    (root / "notebooks").mkdir()
    (root / "README.md").write_text("# Synthetic\n\nA test book.\n", encoding="utf-8")
    (root / "notebooks" / "00_start_here.md").write_text("# Start\n\nSee [the notebook](01_synthetic.ipynb).\n")

    def image(data: bytes, metadata: dict | None = None) -> dict:
        return {"output_type": "display_data", "metadata": {"image/png": metadata} if metadata else {},
                "data": {"image/png": base64.b64encode(data).decode(), "text/plain": "<Figure>"}}

    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# 01 · Synthetic\n\n## Exercise"},
        {"cell_type": "code", "execution_count": 1, "metadata": {"tags": ["hide-input"], "jupyter": {"source_hidden": True}},
         "source": "SOLUTION_MARKER = 42\nprint(SOLUTION_MARKER)",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "42\n"}]},
        {"cell_type": "code", "execution_count": 2, "metadata": {},
         "source": 'fig.suptitle("A retina figure")', "outputs": [image(_png(640, 320, 200), {"width": 320, "height": 160})]},
        {"cell_type": "code", "execution_count": 3, "metadata": {},
         "source": 'ax.set_title("A 2x figure without metadata")', "outputs": [image(_png(600, 200, 200))]},
        {"cell_type": "code", "execution_count": 4, "metadata": {"mnist_oip": {"caption": "Given caption"}},
         "source": "show()", "outputs": [image(_png(300, 100, 100))]},
    ]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                                       "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    (root / "notebooks" / "01_synthetic.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    out = root / "html"
    book_build.build_book(out, root / "work", root / "warnings.txt", root=root)
    return {"out": out, "warnings": (root / "warnings.txt").read_text()}


def test_synthetic_book_folds_solutions_and_shows_retina_figures_at_their_drawn_width(synthetic_book):
    out = synthetic_book["out"]
    assert synthetic_book["warnings"].strip() == ""
    html = (out / "notebooks" / "01_synthetic.html").read_text(encoding="utf-8")
    # the hide-input cell's code is folded behind a toggle (its output stays visible)
    fold = re.search(r'<details class="[^"]*hide[^"]*above-input[^"]*">(.*?)</details>', html, re.S)
    assert fold and "SOLUTION_MARKER" in fold.group(1), "the hide-input cell is not folded"
    images = {img["alt"]: img for img in Page(out / "notebooks" / "01_synthetic.html").images}
    assert set(images) == {"A retina figure", "A 2x figure without metadata", "Given caption"}
    style = {alt: re.sub(r"\s+", "", img.get("style", "")) for alt, img in images.items()}
    assert style["A retina figure"] == "width:320px;"  # the metadata width; the height follows (book.css)
    assert style["A 2x figure without metadata"] == "width:300px;"  # 600 px at 200 dpi: half
    assert style["Given caption"] == "width:300px;"  # 100 dpi: as many CSS px as pixels
    assert all(img["link"] == img["src"] for img in images.values())  # a click opens the full-resolution file
