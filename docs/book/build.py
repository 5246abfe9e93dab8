#!/usr/bin/env python3
"""Build the static HTML book of the executed notebooks (``make book``), offline, without running them.

The book's sources are staged in a work folder laid out like the repository, so that the README's and the
notebooks' relative links stay valid as they are:

    index.md                  the README (landing page) and the table of contents (start pages, then notebooks)
    notebooks/00_*.md         the start pages (00_start_here.md, 00_for_instructors.md, ...), before the notebooks
    notebooks/NN_topic.ipynb  copies of the committed, executed notebooks
    docs/images/...           every local file the README or a start page links or shows

Sphinx (configuration: ``docs/book/conf.py``) then writes the HTML into the output folder. Nothing is
downloaded: MathJax, the theme and the search index all come from the pinned packages.

Usage: build.py [OUT_DIR] [--work WORK_DIR] [--warnings FILE]   (default OUT_DIR: build/book)
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONF_DIR = Path(__file__).resolve().parent
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
START_PAGE_GLOB = "[0-9][0-9]_*.md"
FIRST_PAGE = "00_start_here.md"
LOCAL_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)\s]*)?\)")


def notebooks(root: Path = ROOT) -> list[Path]:
    """The series' notebooks (``notebooks/NN_topic.ipynb``), in reading order."""
    return sorted((root / "notebooks").glob(NOTEBOOK_GLOB))


def start_pages(root: Path = ROOT) -> list[Path]:
    """The start pages (``notebooks/00_start_here.md`` first, then the others, e.g. ``00_for_instructors.md``, by
    name): the book shows them before the notebooks."""
    return sorted((root / "notebooks").glob(START_PAGE_GLOB), key=lambda p: (p.name != FIRST_PAGE, p.name))


def landing_page(readme: str, docnames: list[str]) -> str:
    """The README as the book's landing page, followed by a hidden table of contents of ``docnames``."""
    toc = "\n".join(docnames)
    return f"{readme.rstrip()}\n\n```{{toctree}}\n:hidden:\n:caption: Notebooks\n:maxdepth: 1\n\n{toc}\n```\n"


def _copy_linked(text: str, folder: Path, src: Path, root: Path) -> None:
    """Copy every local file that the markdown ``text`` (a file in ``folder``) links or shows, except the pages
    of the book themselves (notebooks, start pages), into ``src`` at the same place."""
    for link in LOCAL_LINK.findall(text):
        target = (folder / link).resolve()
        if "://" not in link and target.is_file() and target.is_relative_to(root) and target.suffix != ".ipynb" \
                and not (target.parent == (root / "notebooks").resolve() and target.match(START_PAGE_GLOB)):
            _copy(target, src / target.relative_to(root))


def _copy(source: Path, target: Path) -> None:
    """Copy with the modification time kept (Sphinx then rebuilds only what changed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.stat().st_mtime != source.stat().st_mtime or target.read_bytes() != source.read_bytes():
        shutil.copy2(source, target)


def stage_sources(work: Path, root: Path = ROOT) -> Path:
    """Lay out the book's sources in ``work/src`` (see the module docstring); returns that folder."""
    src = work / "src"
    found = notebooks(root)
    if not found:
        raise FileNotFoundError(f"no notebooks matching notebooks/{NOTEBOOK_GLOB} under {root}")
    starts = start_pages(root)
    if src.exists():  # drop notebooks and start pages that were renamed or removed since the last build
        for stale in [*(src / "notebooks").glob(NOTEBOOK_GLOB), *(src / "notebooks").glob(START_PAGE_GLOB)]:
            if not (root / "notebooks" / stale.name).exists():
                stale.unlink()
    for path in [*starts, *found]:
        _copy(path, src / "notebooks" / path.name)
    readme = (root / "README.md").read_text(encoding="utf-8")
    _copy_linked(readme, root, src, root.resolve())
    for page in starts:
        _copy_linked(page.read_text(encoding="utf-8"), page.parent, src, root.resolve())
    index = landing_page(readme, [f"notebooks/{p.stem}" for p in [*starts, *found]])
    index_path = src / "index.md"
    if not index_path.exists() or index_path.read_text(encoding="utf-8") != index:
        index_path.write_text(index, encoding="utf-8")
    return src


def build_book(out_dir: str | Path, work_dir: str | Path | None = None, warnings_file: str | Path | None = None,
               quiet: bool = True, root: Path = ROOT) -> Path:
    """Stage the sources and run Sphinx's HTML builder into ``out_dir``; returns ``out_dir/index.html``.

    ``work_dir`` keeps the staged sources and Sphinx's cache between builds (default: a temporary folder,
    removed afterwards); ``warnings_file`` receives Sphinx's warnings. Raises RuntimeError if Sphinx fails.
    """
    from sphinx.cmd.build import build_main

    out_dir = Path(out_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="mnist-oip-book-") as tmp:
        work = Path(work_dir).resolve() if work_dir is not None else Path(tmp)
        src = stage_sources(work, root)
        html = work / "html"  # myst-nb keeps the notebooks' images beside it, in work/jupyter_execute
        args = ["-b", "html", "-c", str(CONF_DIR), "-d", str(work / "doctrees"), "-j", "1"]
        if quiet:
            args.append("-q")
        if warnings_file is not None:
            args += ["-w", str(Path(warnings_file).resolve())]
        status = build_main([*args, str(src), str(html)])
        if status != 0:
            raise RuntimeError(f"sphinx-build failed with status {status} (sources staged from {root})")
        publish(html, out_dir)
    return out_dir / "index.html"


def publish(html: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by a copy of ``html`` so that it never holds a half-written book: the copy is made
    beside it under a hidden name, then swapped in by renames."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    new = out_dir.with_name(f".{out_dir.name}.new")
    old = out_dir.with_name(f".{out_dir.name}.old")
    for leftover in (new, old):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        shutil.copytree(html, new)
        if out_dir.exists():
            out_dir.rename(old)
        new.rename(out_dir)
    finally:
        shutil.rmtree(new, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", default=str(ROOT / "build" / "book"), help="output folder (default build/book)")
    parser.add_argument("--work", default=None, help="folder for staged sources and Sphinx's cache (default: temporary)")
    parser.add_argument("--warnings", default=None, help="write Sphinx's warnings to this file")
    args = parser.parse_args(argv)
    try:
        index = build_book(args.out_dir, args.work, args.warnings)
    except (RuntimeError, FileNotFoundError) as e:
        print(f"book: {e}", file=sys.stderr)
        return 1
    print(f"book written: {index} (open it in a browser, or publish the folder {index.parent} as a static website)")
    print(f"full-text search needs a web server (opened as a file, it finds titles only): "
          f"{serve_command(index.parent)}  then open http://localhost:{PORT}/")
    return 0


PORT = 8000


def serve_command(folder: Path, cwd: Path | None = None) -> str:
    """The one-line command that serves ``folder`` at http://localhost:PORT/ with this Python, both paths given
    relative to ``cwd`` (default: the current folder) when they lie below it."""
    cwd = (cwd or Path.cwd()).resolve()

    def short(path: Path) -> str:
        path = Path(path).absolute()
        return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)

    python = Path(sys.executable)
    return f"{short(python) if python.is_absolute() else python} -m http.server --directory {short(folder)} {PORT}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
