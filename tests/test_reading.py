"""What readers and instructors read: the reading table, the main-line budget, the navigation between notebooks,
the glossary links, and the version and license files the README names."""

import json
import re
import tomllib
from pathlib import Path

import pytest

from script_loader import load_script

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
START_PAGE = NB_DIR / "00_start_here.md"

reading_table = load_script("scripts/reading_table.py", "reading_table")

NOTEBOOKS = reading_table.notebooks(NB_DIR)
GLOSSARY = ("map node fcp oip objective react damping restandardization receptive-field linear-probe precursor-scan "
            "seed-spread check-line fast-path going-deeper").split()
WORD_BUDGET, WORD_BUDGET_OIP, CODE_LINES = 1500, 2000, 25
LINK = re.compile(r"\]\(([^)\s]+)\)")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def is_companion(path: Path) -> bool:
    return path.stem.endswith("_deeper")


def anchors(page: Path) -> set[str]:
    return set(re.findall(r'<a id="([^"]+)"></a>', page.read_text(encoding="utf-8")))


# ------------------------------------------------------------------------------------------- the reading table


def test_the_reading_table_is_current():
    assert reading_table.is_current(reading_table.PAGE, NB_DIR), (
        "the reading table of notebooks/00_for_instructors.md is stale: run "
        "`.venv/bin/python scripts/reading_table.py --write` and commit the page")


def _nb(*cells, run_seconds=None) -> dict:
    meta = {"mnist_oip": {"run_seconds": run_seconds}} if run_seconds is not None else {}
    return {"cells": list(cells), "metadata": meta}


def md(text):
    return {"cell_type": "markdown", "source": text}


def code(text, figures=0):
    return {"cell_type": "code", "source": text,
            "outputs": [{"output_type": "display_data", "data": {"image/png": "..."}}] * figures}


def test_main_line_ends_at_going_deeper_and_leaves_out_the_navigation_cell():
    nav = md("**Previous:** [01](01_a.ipynb) · [start](00_start_here.md) · **Next:** [03](03_c.ipynb)")
    nb = _nb(md("# 02 · Title\n\nOne two three."), code("x = 1\n", figures=2), md("## Summary\nfour five"),
             md("## Going deeper · extra\nsix seven eight"), code("y = 2"), nav)
    main, deeper = reading_table.split_cells(nb)
    assert [c["source"][:4] for c in main] == ["# 02", "x = ", "## S"]
    assert [c["source"][:4] for c in deeper] == ["## G", "y = "]
    assert reading_table.markdown_words(main) == 8 and reading_table.markdown_words(deeper) == 6
    assert reading_table.figures(main) == 2
    # no "Going deeper": all main line; a closing cell with a heading is not a navigation cell
    exercises = md("## Exercises\n1. Try it.\n\n**Next:** [03](03_c.ipynb)")
    assert reading_table.split_cells(_nb(md("# T"), exercises)) == ([md("# T"), exercises], [])
    assert reading_table.split_cells(_nb(md("# T"), nav)) == ([md("# T")], [])
    assert not reading_table.is_navigation(code("# [a](01_a.ipynb)"))


def test_words_leave_out_formulas_tags_link_targets_and_images():
    assert reading_table.count_words("A [linked word](https://x.org/a b) and $x^2 + y$ — done.") == 5
    assert reading_table.count_words('<a id="g-map"></a>**map** — one ![img](a.png) channel\n\n$$\nz = 1\n$$') == 3
    assert reading_table.count_words("") == 0


def test_reading_minutes_and_run_time():
    assert reading_table.reading_minutes(0, 0) == 1
    assert reading_table.reading_minutes(200, 0) == 1 and reading_table.reading_minutes(201, 0) == 2
    assert reading_table.reading_minutes(1000, 4) == 7  # 5 minutes of words + 4 x 0.5 for figures
    row = reading_table.Row("01_a.ipynb", "01 · A", 10, 12, 0, 1, 125)
    assert row.run_time == "2:05" and reading_table.Row("x", "x", 0, 0, 0, 1, None).run_time == "—"


def test_write_and_check_keep_the_page_around_the_markers(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "01_a.ipynb").write_text(json.dumps(_nb(md("# 01 · A | b\n\nsome words here"), run_seconds=61)))
    page = folder / "page.md"
    page.write_text(f"before\n\n{reading_table.START}\nold\n{reading_table.END}\n\nafter\n")
    assert not reading_table.is_current(page, folder)
    assert reading_table.write(page, folder) and reading_table.is_current(page, folder)
    text = page.read_text()
    assert text.startswith("before\n\n") and text.endswith("\n\nafter\n")
    assert "| [01 · A \\| b](01_a.ipynb) | 6 | 6 | 0 | 1 | 1:01 |" in text
    assert not reading_table.write(page, folder)
    with pytest.raises(ValueError, match="reading-table:start"):
        reading_table.with_table("no markers", "table")


def test_check_exits_non_zero_on_a_stale_page(tmp_path, capsys):
    page = tmp_path / "page.md"
    page.write_text(f"{reading_table.START}\nstale\n{reading_table.END}\n")
    assert reading_table.main(["--check", "--page", str(page)]) == 1
    assert "stale" in capsys.readouterr().err
    assert reading_table.main(["--write", "--page", str(page)]) == 0
    assert reading_table.main(["--check", "--page", str(page)]) == 0


# ------------------------------------------------------------------------------------------ the main line's budget


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not is_companion(p)], ids=lambda p: p.name)
def test_main_line_fits_its_budget(path):
    """At most 1,500 main-line words (2,000 for the OIP notebooks 07-10) and no main-line code cell over 25 lines;
    a deeper companion (NN_topic_deeper.ipynb) is all "going deeper" and exempt."""
    main = reading_table.main_line(load(path))
    budget = WORD_BUDGET_OIP if path.name[:2] in {"07", "08", "09", "10"} else WORD_BUDGET
    words = sum(len("".join(c["source"]).split()) for c in main if c["cell_type"] == "markdown")  # every token counts,
    # link targets and formulas included: the budget is the house rule's count, stricter than the reading table's
    assert words <= budget, f"{path.name}: the main line has {words} words (budget {budget}); move detail into 'Going deeper'"
    long = [(i, n) for i, c in enumerate(main) if c["cell_type"] == "code" and (n := reading_table.code_lines(c)) > CODE_LINES]
    assert not long, f"{path.name}: main-line code cells over {CODE_LINES} lines (cell index, lines): {long}"


# ----------------------------------------------------------------------------------------- navigation and links


def _neighbours(i: int, step: int, order: list[Path] = NOTEBOOKS) -> set[str]:
    """What the navigation of notebook i must link before (step -1) or after (step +1) it: the neighbour in reading
    order, or the start page beyond the ends; a neighbour that is a deeper companion may be skipped over."""
    def name(j):
        return order[j].name if 0 <= j < len(order) else "00_start_here.md"

    j = i + step
    return {name(j), name(j + step)} if 0 <= j < len(order) and is_companion(order[j]) else {name(j)}


def test_a_deeper_companion_may_be_skipped_in_the_navigation():
    order = [Path(n) for n in ("09_a.ipynb", "10_b.ipynb", "10_b_deeper.ipynb", "11_c.ipynb")]
    assert _neighbours(0, -1, order) == {"00_start_here.md"} and _neighbours(3, 1, order) == {"00_start_here.md"}
    assert _neighbours(1, 1, order) == {"10_b_deeper.ipynb", "11_c.ipynb"}
    assert _neighbours(2, -1, order) == {"10_b.ipynb"} and _neighbours(2, 1, order) == {"11_c.ipynb"}
    assert _neighbours(3, -1, order) == {"10_b_deeper.ipynb", "10_b.ipynb"}


@pytest.mark.parametrize("i", range(len(NOTEBOOKS)), ids=[p.name for p in NOTEBOOKS])
def test_last_cell_links_the_previous_and_next_notebook_and_the_start_page(i):
    path = NOTEBOOKS[i]
    last = load(path)["cells"][-1]
    assert last["cell_type"] == "markdown", f"{path.name}: the last cell is not a markdown navigation cell"
    targets = [t for t in LINK.findall("".join(last["source"])) if "://" not in t]
    files = {t.split("#", 1)[0] for t in targets}
    broken = sorted(t for t in files if not (NB_DIR / t).is_file())
    assert not broken, f"{path.name}: the navigation links files that do not exist: {broken}"
    assert "00_start_here.md" in files, f"{path.name}: the last cell does not link the start page"
    for step, word in ((-1, "previous"), (1, "next")):
        wanted = _neighbours(i, step)
        assert files & wanted, f"{path.name}: the last cell does not link the {word} notebook ({sorted(wanted)})"


def test_every_glossary_link_names_an_existing_anchor():
    existing = anchors(START_PAGE)
    bad = []
    for path in [*NOTEBOOKS, *NB_DIR.glob("*.md")]:
        text = path.read_text(encoding="utf-8")
        for anchor in re.findall(r"00_start_here\.md#(g-[A-Za-z0-9_-]+)", text):
            if anchor not in existing:
                bad.append(f"{path.name}: #{anchor}")
    assert not bad, f"links to glossary entries that do not exist: {bad} (existing: {sorted(existing)})"


def test_start_page_glossary_has_every_entry_once():
    text = START_PAGE.read_text(encoding="utf-8")
    for term in GLOSSARY:
        assert text.count(f'<a id="g-{term}"></a>') == 1, f"glossary anchor g-{term} missing or repeated"
    glossary = text[text.index("## Glossary"):]
    assert all(f'id="g-{term}"' in glossary for term in GLOSSARY), "every g- anchor belongs in the Glossary section"


def test_start_page_states_the_figure_convention_and_links_the_instructors_page():
    text = START_PAGE.read_text(encoding="utf-8")
    section = text[text.index("## How figures are drawn"):]
    for colour_map in ("gray_r", "viridis", "RdBu_r"):
        assert f"`{colour_map}`" in section, f"the start page's figure convention does not name {colour_map}"
    assert "](00_for_instructors.md)" in text and (NB_DIR / "00_for_instructors.md").is_file()
    assert "00_for_instructors.md" in (ROOT / "README.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------ version and licenses


def test_one_version_in_pyproject_helpers_readme_citation_and_changelog():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    import helpers

    assert helpers.__version__ == version
    assert f"version **{version}**" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf'^version: "{re.escape(version)}"$', (ROOT / "CITATION.cff").read_text(), re.M)
    assert re.search(rf"^## {re.escape(version)}\b", (ROOT / "CHANGELOG.md").read_text(), re.M)


def test_licenses_and_the_data_notice_are_where_the_readme_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## License and credits" in readme
    for name in ("LICENSE", "LICENSE-CONTENT.md", "data/mnist/NOTICE.md", "CITATION.cff", "CHANGELOG.md"):
        assert (ROOT / name).is_file() and f"`{name}`" in readme, name
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "creativecommons.org/licenses/by-sa/4.0" in (ROOT / "LICENSE-CONTENT.md").read_text()
    notice = (ROOT / "data/mnist/NOTICE.md").read_text()
    assert all(s in notice for s in ("LeCun", "Cortes", "Burges", "Special Database", "CC BY-SA 3.0"))
    cff = __import__("yaml").safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["license"] == ["MIT", "CC-BY-SA-4.0"]
