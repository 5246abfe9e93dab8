#!/usr/bin/env python3
"""The reading table of the instructor's page: words, reading time and run time per notebook, computed.

For every notebook ``notebooks/NN_topic.ipynb`` (in reading order):

- **main line**: the cells before the markdown cell whose first line starts with ``## Going deeper`` (a notebook
  without one is all main line), without the final navigation cell (a last markdown cell without a heading
  that links other notebooks or the start page);
- **words**: the words of the markdown cells, of the main line and of the whole notebook (navigation cell left
  out). Formulas (``$...$``), HTML tags, link targets and images are not words; a word is a run of
  non-space characters that holds a letter or a digit;
- **figures**: the images (PNG, GIF or JPEG outputs) of the main line's code cells;
- **reading time**: main-line words at 200 words a minute, plus half a minute per main-line figure, rounded up to
  whole minutes (``reading_minutes``);
- **run time**: ``metadata["mnist_oip"]["run_seconds"]``, written by ``make run`` (from the last full run on two
  CPU cores; "—" where a notebook has none yet).

The table is stored in ``notebooks/00_for_instructors.md`` between the markers ``<!-- reading-table:start -->``
and ``<!-- reading-table:end -->``.

Usage: reading_table.py [--write | --check] [--page PATH]
    (no option) print the table; --write: store it in the page; --check: exit 1 if the stored table is stale.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
PAGE = NOTEBOOKS_DIR / "00_for_instructors.md"
START, END = "<!-- reading-table:start -->", "<!-- reading-table:end -->"
WORDS_PER_MINUTE = 200
MINUTES_PER_FIGURE = 0.5
DEEPER = re.compile(r"^##\s+Going deeper\b")
NAV_LINK = re.compile(r"\]\((?:\./)?(?:\d\d_[A-Za-z0-9_]+\.ipynb|00_start_here\.md)(?:#[^)]*)?\)")
FIGURE_TYPES = ("image/png", "image/gif", "image/jpeg")


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def notebooks(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The series' notebooks in reading order (a deeper companion ``10_x_deeper`` right after ``10_x``)."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def is_navigation(cell: dict) -> bool:
    """A markdown cell without a heading that links another notebook or the start page (the closing navigation
    cell; a summary or exercise cell that ends with a "Next" link has a heading and is no navigation cell)."""
    text = _source(cell)
    return (cell.get("cell_type") == "markdown" and bool(NAV_LINK.search(text))
            and not re.search(r"^\s*#", text, re.M))


def split_cells(nb: dict) -> tuple[list[dict], list[dict]]:
    """(main line, everything after it): the cells before the first ``## Going deeper`` markdown cell, and the
    rest; the final navigation cell is in neither."""
    cells = list(nb.get("cells", []))
    if cells and is_navigation(cells[-1]):
        cells = cells[:-1]
    for i, cell in enumerate(cells):
        lines = _source(cell).lstrip().splitlines()
        if cell.get("cell_type") == "markdown" and lines and DEEPER.match(lines[0]):
            return cells[:i], cells[i:]
    return cells, []


def main_line(nb: dict) -> list[dict]:
    """The cells of the notebook's main line (see the module docstring)."""
    return split_cells(nb)[0]


def count_words(markdown: str) -> int:
    """Words of a markdown text as a reader reads them (formulas, tags, link targets and images left out)."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", " ", markdown, flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>\n]+>", " ", text)
    return sum(1 for token in text.split() if re.search(r"\w", token))


def markdown_words(cells: list[dict]) -> int:
    return sum(count_words(_source(c)) for c in cells if c.get("cell_type") == "markdown")


def figures(cells: list[dict]) -> int:
    return sum(1 for c in cells if c.get("cell_type") == "code" for o in c.get("outputs", [])
               if any(t in o.get("data", {}) for t in FIGURE_TYPES))


def reading_minutes(words: int, n_figures: int) -> int:
    """Main-line words at WORDS_PER_MINUTE plus MINUTES_PER_FIGURE per figure, rounded up (at least 1)."""
    return max(1, math.ceil(words / WORDS_PER_MINUTE + MINUTES_PER_FIGURE * n_figures))


def code_lines(cell: dict) -> int:
    """Lines of a code cell (trailing blank lines not counted)."""
    return len(_source(cell).rstrip().splitlines())


@dataclass(frozen=True)
class Row:
    name: str  # file name, e.g. 01_mnist_and_cnn_basics.ipynb
    title: str  # the notebook's "# " heading
    main_words: int
    total_words: int
    main_figures: int
    reading_minutes: int
    run_seconds: int | None

    @property
    def run_time(self) -> str:
        if self.run_seconds is None:
            return "—"
        minutes, seconds = divmod(int(round(self.run_seconds)), 60)
        return f"{minutes}:{seconds:02d}"


def title_of(nb: dict, fallback: str) -> str:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            found = re.search(r"^# (.+)$", _source(cell), re.M)
            if found:
                return found.group(1).strip()
    return fallback


def row(path: Path) -> Row:
    nb = json.loads(path.read_text(encoding="utf-8"))
    main, deeper = split_cells(nb)
    main_words = markdown_words(main)
    n_fig = figures(main)
    run = nb.get("metadata", {}).get("mnist_oip", {}).get("run_seconds")
    return Row(path.name, title_of(nb, path.stem), main_words, main_words + markdown_words(deeper), n_fig,
               reading_minutes(main_words, n_fig), run if isinstance(run, (int, float)) else None)


def rows(folder: Path = NOTEBOOKS_DIR) -> list[Row]:
    return [row(p) for p in notebooks(folder)]


def render(table_rows: list[Row]) -> str:
    """The markdown table (without the markers)."""
    lines = [
        "| notebook | main-line words | all words | main-line figures | reading (min) | run time (m:ss) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in table_rows:
        title = r.title.replace("|", "\\|")
        lines.append(f"| [{title}]({r.name}) | {r.main_words:,} | {r.total_words:,} | {r.main_figures} | "
                     f"{r.reading_minutes} | {r.run_time} |")
    known = [r.run_seconds for r in table_rows if r.run_seconds is not None]
    total_run = Row("", "", 0, 0, 0, 0, sum(known) if known else None).run_time
    lines.append(f"| **all** | {sum(r.main_words for r in table_rows):,} | "
                 f"{sum(r.total_words for r in table_rows):,} | {sum(r.main_figures for r in table_rows)} | "
                 f"{sum(r.reading_minutes for r in table_rows)} | {total_run} |")
    return "\n".join(lines)


def with_table(page: str, table: str) -> str:
    """The page's text with the table between the markers replaced (ValueError if the markers are missing)."""
    if page.count(START) != 1 or page.count(END) != 1 or page.index(START) > page.index(END):
        raise ValueError(f"the page needs one {START} followed by one {END}")
    head, rest = page.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{table}\n{END}{tail}"


def is_current(page_path: Path = PAGE, folder: Path = NOTEBOOKS_DIR) -> bool:
    """Whether the stored table equals the one computed from the notebooks now."""
    page = page_path.read_text(encoding="utf-8")
    return with_table(page, render(rows(folder))) == page


def write(page_path: Path = PAGE, folder: Path = NOTEBOOKS_DIR) -> bool:
    """Store the current table in the page; returns whether anything changed."""
    page = page_path.read_text(encoding="utf-8")
    new = with_table(page, render(rows(folder)))
    if new != page:
        page_path.write_text(new, encoding="utf-8")
    return new != page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="store the table in the instructor's page")
    mode.add_argument("--check", action="store_true", help="exit 1 if the stored table is stale")
    parser.add_argument("--page", type=Path, default=PAGE, help="the page holding the table (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.write:
        changed = write(args.page)
        print(f"{args.page.name}: reading table {'updated' if changed else 'already current'}")
        return 0
    if args.check:
        if is_current(args.page):
            print(f"{args.page.name}: reading table current")
            return 0
        print(f"{args.page.name}: the reading table is stale; run `.venv/bin/python scripts/reading_table.py --write`",
              file=sys.stderr)
        return 1
    print(render(rows()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
