#!/usr/bin/env python3
"""Write every figure of the series as a named PNG file (an animation: GIF), with a caption index (``make figures``), for slides.

The figures are taken from the *stored* outputs of the notebooks (nothing is executed) and written byte for byte
as stored (no resampling): ``build/figures/NN_caption_slug.png``, where NN is the notebook's number and the slug
comes from the figure's caption; names are unique. ``index.csv`` and ``index.md`` beside them list file,
notebook, caption, pixel size and the resolution (dpi) stored in the PNG.

The caption of a figure (also its alt text in the HTML book, see ``docs/book/conf.py``) is, in this order:

1. ``cell.metadata["mnist_oip"]["caption"]``: a string, or a list with one string per figure of the cell;
2. derived from the cell's source: the literal text of ``suptitle(...)`` or ``suptitle=...``, else of ``title=...``
   arguments, else of
   ``set_title(...)``/``plt.title(...)`` (f-strings included: names assigned a literal earlier in the notebook
   are filled in, other expressions become "…");
3. the nearest markdown heading above the cell.

Usage: export_figures.py [OUT_DIR] [--notebooks NB.ipynb ...]   (default OUT_DIR: build/figures)
"""

from __future__ import annotations

import argparse
import ast
import base64
import csv
import json
import re
import struct
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
METADATA_KEY = "mnist_oip"
PLACEHOLDER = "…"
FIGURE_TITLE_CALLS = {"suptitle"}
AXES_TITLE_CALLS = {"set_title", "title"}
NOT_A_FIGURE_TITLE = {"legend", "colorbar"}  # their title= names a legend, not the figure
SLUG_STOP_WORDS = {"a", "an", "and", "as", "at", "by", "each", "for", "from", "in", "its", "of", "on", "or", "the",
                   "to", "vs", "with"}
SLUG_WORDS = 7
IMAGE_TYPES = {"image/png": ".png", "image/gif": ".gif", "image/jpeg": ".jpg"}  # what myst-nb shows (PNG first)


@dataclass(frozen=True)
class Figure:
    """One stored figure output: where it is in its notebook, its caption and its PNG bytes."""

    cell: int
    output: int
    caption: str
    png: bytes  # the file's bytes: a PNG, or for an animation a GIF
    suffix: str = ".png"


# ------------------------------------------------------------------------------------------------ captions


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _python(source: str) -> ast.Module | None:
    """The cell's source as Python (IPython magics and shell lines blanked); None if it does not parse."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _literals(tree: ast.Module | None, known: dict) -> None:
    """Record in ``known`` the names that ``tree`` assigns a literal at its top level (``N_STEPS = 600``)."""
    for stmt in tree.body if tree is not None else []:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    known[target.id] = stmt.value.value
        elif isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:  # reassigned to something not literal: no longer known
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        known.pop(name.id, None)


def literal_text(node: ast.AST, known: dict | None = None) -> str | None:
    """The text of a string expression as far as it is literal: constants and implicit concatenation as they are,
    f-string fields filled in when they name a known literal, "…" for anything computed. None for a non-string."""
    known = known or {}
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name) and value.value.id in known:
                spec = literal_text(value.format_spec, known) if value.format_spec is not None else ""
                try:
                    parts.append(format(known[value.value.id], spec or ""))
                except (TypeError, ValueError):
                    parts.append(PLACEHOLDER)
            else:
                parts.append(PLACEHOLDER)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal_text(node.left, known), literal_text(node.right, known)
        if left is None and right is None:
            return None
        return (left or "") + (right if right is not None and right.strip(PLACEHOLDER + " ") else "")
    return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def clean_caption(text: str) -> str:
    """One line: whitespace collapsed, placeholders merged, no trailing colon."""
    text = re.sub(r"\s+", " ", text.replace("\\n", " ")).strip()
    text = re.sub(rf"{PLACEHOLDER}(\s*{PLACEHOLDER})+", PLACEHOLDER, text)
    return text.rstrip(" :;,")


def _useful(text: str) -> bool:
    """A caption says something when it has a word of three letters or more besides placeholders."""
    return re.search(r"[^\W\d_]{3,}", text) is not None


def source_titles(source: str, known: dict | None = None) -> tuple[list[str], list[str], list[str]]:
    """The literal titles in a cell's source, in source order: figure titles (``suptitle``), ``title=`` arguments,
    axes titles (``set_title``, ``plt.title``)."""
    tree = _python(source)
    figure, keyword, axes = [], [], []
    for node in sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)) if tree is not None else [],
                       key=lambda n: (n.lineno, n.col_offset)):
        name = _call_name(node)
        texts = []
        if name in FIGURE_TITLE_CALLS | AXES_TITLE_CALLS:
            args = node.args[:1] + [k.value for k in node.keywords if k.arg in ("t", "label")]
            texts = [(figure if name in FIGURE_TITLE_CALLS else axes, arg) for arg in args[:1]]
        elif name not in NOT_A_FIGURE_TITLE:  # helpers' suptitle=..., title=... arguments
            texts = [(figure if k.arg == "suptitle" else keyword, k.value) for k in node.keywords
                     if k.arg in ("suptitle", "title")]
        for bucket, arg in texts:
            text = literal_text(arg, known)
            if text is not None and _useful(clean_caption(text)):
                bucket.append(clean_caption(text))
    return figure, keyword, axes


def _heading_above(cells: list[dict], index: int) -> str | None:
    for cell in reversed(cells[:index]):
        if cell.get("cell_type") == "markdown":
            headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", _source(cell), re.M)
            if headings:
                return markdown_text(headings[-1])
    return None


def markdown_text(text: str) -> str:
    """Plain text of a line of markdown: links, emphasis and code marks removed."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    return clean_caption(text)


def _distinct(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(texts))


def cell_captions(cells: list[dict], index: int, count: int, known: dict | None = None) -> list[str]:
    """The captions of the ``count`` figures of cell ``index`` of a notebook's ``cells`` (see the module doc)."""
    cell = cells[index]
    given = cell.get("metadata", {}).get(METADATA_KEY, {}).get("caption")
    if isinstance(given, str) and given.strip():
        captions = [clean_caption(given)] * count
    elif isinstance(given, list) and len(given) == count and all(isinstance(c, str) and c.strip() for c in given):
        captions = [clean_caption(c) for c in given]
    else:
        captions = None
        for titles in source_titles(_source(cell), known):
            titles = _distinct(titles)
            if len(titles) == count > 1:  # one title per figure
                captions = titles
            elif titles:  # several panels of one figure: their titles together
                captions = ["; ".join(titles[:3]) + ("; …" if len(titles) > 3 else "")] * count
            if captions:
                break
        if captions is None:
            heading = _heading_above(cells, index) or "Figure"
            captions = [heading] * count
    if count > 1 and len(set(captions)) < count:  # the same words for several figures: number them
        captions = [f"{c} (figure {i + 1} of {count})" for i, c in enumerate(captions)]
    return captions


def figures(nb: dict) -> list[Figure]:
    """Every stored figure of a notebook (nbformat 4 as a dict), in order, with its caption: the PNGs, and the
    GIF or JPEG of an output that has no PNG (an animation)."""
    found, known = [], {}
    cells = nb.get("cells", [])
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        _literals(_python(_source(cell)), known)
        outputs = [(i, out, mime) for i, out in enumerate(cell.get("outputs", []))
                   for mime in [next((m for m in IMAGE_TYPES if m in out.get("data", {})), None)] if mime]
        if not outputs:
            continue
        captions = cell_captions(cells, index, len(outputs), known)
        for (i, out, mime), caption in zip(outputs, captions):
            data = out["data"][mime]
            found.append(Figure(index, i, caption, base64.b64decode("".join(data) if isinstance(data, list) else data),
                                IMAGE_TYPES[mime]))
    return found


def notebook_figures(path: str | Path) -> list[Figure]:
    return figures(json.loads(Path(path).read_text(encoding="utf-8")))


# ------------------------------------------------------------------------------------------------ files


def png_info(png: bytes) -> tuple[int, int, float | None]:
    """Width and height in pixels, and the resolution in dpi from the pHYs chunk (None if it has none); for a GIF
    its size and None."""
    if png[:6] in (b"GIF87a", b"GIF89a") and len(png) >= 10:
        return (*struct.unpack("<HH", png[6:10]), None)
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    pos, dpi = 8, None
    while pos + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        if kind == b"pHYs" and length >= 9 and pos + 17 <= len(png):
            x, _, unit = struct.unpack(">IIB", png[pos + 8:pos + 17])
            dpi = round(x * 0.0254, 1) if unit == 1 else None
            break
        if kind in (b"IDAT", b"IEND"):
            break
        pos += 12 + length
    return width, height, dpi


def slug(text: str, words: int = SLUG_WORDS) -> str:
    """A file-name slug: ascii, lower case, up to ``words`` words without the small ones, joined by ``_``."""
    text = re.sub(r"['’]", "", text.replace("ß", "ss"))
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    tokens = [t for t in re.findall(r"[a-z0-9]+", ascii_text.replace("_", "")) if t not in SLUG_STOP_WORDS]
    return "_".join(tokens[:words]) or "figure"


def unique_names(stems: list[str], suffix: str = ".png") -> list[str]:
    """``stems`` made unique by appending _2, _3, ... to the second and later uses of a stem."""
    names, seen = [], set()
    for stem in stems:
        name, n = f"{stem}{suffix}", 1
        while name in seen:
            n += 1
            name = f"{stem}_{n}{suffix}"
        seen.add(name)
        names.append(name)
    return names


def export(notebook_paths: list[Path], out_dir: Path) -> list[dict]:
    """Write every figure of ``notebook_paths`` and the index into ``out_dir``; returns the index rows."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for suffix in IMAGE_TYPES.values():  # figures of an earlier export (renamed or gone since)
        for old in out_dir.glob(f"[0-9][0-9]_*{suffix}"):
            old.unlink()
    entries = [(path, fig) for path in notebook_paths for fig in notebook_figures(path)]
    stems = [f"{path.name[:2]}_{slug(fig.caption)}" for path, fig in entries]
    rows = []
    names = unique_names(stems, "")
    for (path, fig), name in zip(entries, [f"{n}{fig.suffix}" for n, (_, fig) in zip(names, entries)]):
        (out_dir / name).write_bytes(fig.png)
        width, height, dpi = png_info(fig.png)
        rows.append({"file": name, "notebook": path.name, "cell": fig.cell, "caption": fig.caption,
                     "width_px": width, "height_px": height, "dpi": "" if dpi is None else f"{dpi:g}"})
    fields = ["file", "notebook", "cell", "caption", "width_px", "height_px", "dpi"]
    with open(out_dir / "index.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    lines = ["# Figures of the mnist-oip notebooks", "",
             "Written by `make figures` (scripts/export_figures.py) from the stored notebook outputs, byte for byte "
             "(no resampling). Size: pixels; dpi: the resolution stored in the PNG (at that dpi the figure prints "
             "at the size it was drawn). Code: MIT License; text and figures: CC BY-SA 4.0 (LICENSE-CONTENT.md).",
             "", "| file | notebook | caption | pixels | dpi |", "|---|---|---|---|---|"]
    for row in rows:
        caption = row["caption"].replace("|", "\\|")
        lines.append(f"| [{row['file']}]({row['file']}) | {row['notebook']} | {caption} "
                     f"| {row['width_px']} x {row['height_px']} | {row['dpi'] or '?'} |")
    (out_dir / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", default=str(ROOT / "build" / "figures"),
                        help="output folder (default build/figures)")
    parser.add_argument("--notebooks", nargs="+", default=None, help="notebooks to export (default: all, in order)")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] if args.notebooks else sorted((ROOT / "notebooks").glob(NOTEBOOK_GLOB))
    if not paths:
        print("figures: no notebooks found", file=sys.stderr)
        return 1
    rows = export(paths, Path(args.out_dir))
    dpis = sorted({row["dpi"] or "?" for row in rows})
    print(f"figures written: {len(rows)} files from {len(paths)} notebooks in {args.out_dir} "
          f"(dpi: {', '.join(dpis)}; captions in index.md and index.csv)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
