"""helpers.claims: a false claim stops a strict run, teaches gently elsewhere, is reported on the fast path, and
the claims of a section fold into one line."""

import numpy as np
import pytest

from helpers import claims


@pytest.fixture
def strict(monkeypatch):
    """A run where the text is produced or verified (make run / make check / CI)."""
    monkeypatch.delenv(claims.FAST_PATH_ENV, raising=False)
    monkeypatch.setenv(claims.STRICT_CLAIMS_ENV, "1")


@pytest.fixture
def gentle(monkeypatch):
    """A run as JupyterLab or a script starts it: no switch set."""
    monkeypatch.delenv(claims.FAST_PATH_ENV, raising=False)
    monkeypatch.delenv(claims.STRICT_CLAIMS_ENV, raising=False)


def test_a_true_claim_prints_one_line(capsys, strict):
    result = claims.claim("pixel noise makes more maps react", np.int64(110) > 96, "110 vs 96 maps")
    assert result.holds and capsys.readouterr().out == "✓ pixel noise makes more maps react — 110 vs 96 maps\n"


def test_a_false_claim_stops_a_strict_run_and_says_both_sides(capsys, strict):
    with pytest.raises(claims.ClaimError, match="the text says: momentum reaches 99 % sooner; the run shows: 8 vs 4"):
        claims.claim("momentum reaches 99 % sooner", 8 < 4, "8 vs 4 epochs")
    assert capsys.readouterr().out == ""


def test_a_false_claim_outside_a_strict_run_only_says_this_run_differs(capsys, gentle):
    result = claims.claim("momentum reaches 99 % sooner", 8 < 4, "8 vs 4 epochs")
    assert not result.holds
    assert capsys.readouterr().out == (
        "✗ momentum reaches 99 % sooner — 8 vs 4 epochs (the text describes the committed run; this run differs "
        "(expected if you changed something))\n")


def test_strict_means_the_full_path_only(capsys, monkeypatch):
    monkeypatch.setenv(claims.STRICT_CLAIMS_ENV, "1")
    monkeypatch.setenv(claims.FAST_PATH_ENV, "1")
    claims.claim("most maps react", False, "3 of 16 maps")
    assert capsys.readouterr().out == "✗ (fast path, not checked) most maps react — 3 of 16 maps\n"


def test_a_false_claim_on_the_fast_path_is_reported_not_raised(capsys, monkeypatch):
    monkeypatch.setenv(claims.FAST_PATH_ENV, "1")
    result = claims.claim("most maps react", False, "3 of 16 maps")
    assert not result.holds
    assert capsys.readouterr().out == "✗ (fast path, not checked) most maps react — 3 of 16 maps\n"
    with pytest.raises(claims.ClaimError):
        claims.claim("most maps react", False, "3 of 16 maps", strict=True)


def test_strict_false_never_raises(capsys, strict):
    claims.claim("most maps react", False, "3 of 16 maps", strict=False)
    assert "this run differs" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (("", True, "x"), "statement must be a non-empty string"),
    (("s", True, ""), "evidence must be a non-empty string"),
    (("s", 1, "x"), "holds must be True or False"),
    (("s", np.array([True, False]), "x"), "holds must be True or False"),
    (("s", None, "x"), "holds must be True or False"),
])
def test_bad_arguments_are_refused(args, message):
    with pytest.raises(TypeError, match=message):
        claims.claim(*args)


def test_a_claim_as_the_last_expression_of_a_cell_displays_nothing_more(strict):
    """IPython calls _ipython_display_ instead of showing the repr, so the report line is not repeated."""
    result = claims.claim("x", True, "y")
    assert result._ipython_display_() is None


def test_a_claim_renders_its_line_for_every_outcome():
    false = claims.Claim("most maps react", False, "3 of 16 maps")
    assert false.line() == "✗ most maps react — 3 of 16 maps"
    assert false.line(checked=False) == f"✗ most maps react — 3 of 16 maps ({claims.DIFFERS})"
    assert false.line(checked=False, fast_path=True) == "✗ (fast path, not checked) most maps react — 3 of 16 maps"
    assert claims.Claim("most maps react", True, "12 of 16").line(checked=False) == "✓ most maps react — 12 of 16"


def test_a_section_folds_its_claims_into_one_line(capsys, strict):
    with claims.section() as shown:
        claims.claim("a", True, "1")
        claims.claim("b <c>", True, "2")
    assert shown.summary() == "✓ 2 statements of this section hold"
    assert capsys.readouterr().out == "✓ 2 statements of this section hold:\n  ✓ a — 1\n  ✓ b <c> — 2\n"
    page = shown._repr_html_()
    assert page.startswith("<details class=") and "<summary>✓ 2 statements of this section hold</summary>" in page
    assert "<li>✓ b &lt;c&gt; — 2</li>" in page and "open" not in page.split(">")[0]


def test_a_section_with_a_false_claim_opens_and_counts_it(capsys, gentle):
    with claims.section("the schedules") as shown:
        claims.claim("a", True, "1")
        claims.claim("b", False, "2")
    assert shown.summary() == "✗ 1 of 2 statements of the schedules does not hold in this run"
    assert shown._repr_html_().startswith("<details open")
    assert "this run differs" in capsys.readouterr().out


def test_a_section_of_one_claim_reads_in_the_singular(strict):
    with claims.section() as shown:
        claims.claim("a", True, "1")
    assert shown.summary() == "✓ 1 statement of this section holds"


def test_a_claim_that_stops_a_section_prints_what_held_first(capsys, strict):
    with pytest.raises(claims.ClaimError), claims.section():
        claims.claim("a", True, "1")
        claims.claim("b", False, "2")
    assert capsys.readouterr().out == "✓ 1 statement of this section holds:\n  ✓ a — 1\n"
    claims.claim("c", True, "3")  # the section is closed: lines print again
    assert capsys.readouterr().out == "✓ c — 3\n"


def test_a_section_in_ipython_displays_html_and_text(monkeypatch, strict):
    shown = []
    monkeypatch.setattr("IPython.get_ipython", lambda: object())
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    with claims.section():
        claims.claim("a", True, "1")
    assert len(shown) == 1 and repr(shown[0]) == "✓ 1 statement of this section holds:\n  ✓ a — 1"


@pytest.mark.parametrize("strict_run", [False, True], ids=["as JupyterLab starts a kernel", "under make run / CI"])
def test_a_false_claim_in_a_real_kernel_warns_in_lab_and_stops_a_strict_run(strict_run, monkeypatch):
    """A kernel started as JupyterLab starts it (no MNIST_OIP_STRICT, full path) prints a ✗ line and goes on; the same
    cell under make run / make check (MNIST_OIP_STRICT=1) stops with ClaimError."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    monkeypatch.delenv(claims.FAST_PATH_ENV, raising=False)
    if strict_run:
        monkeypatch.setenv(claims.STRICT_CLAIMS_ENV, "1")
    else:
        monkeypatch.delenv(claims.STRICT_CLAIMS_ENV, raising=False)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from helpers.claims import claim\nclaim('most maps react', 3 > 16, '3 of 16 maps')"),
        nbformat.v4.new_code_cell("print('the next cell ran')"),
    ])
    client = NotebookClient(nb, kernel_name="python3", timeout=120)
    if strict_run:
        with pytest.raises(CellExecutionError, match="ClaimError.*the text says: most maps react"):
            client.execute()
        return
    client.execute()
    first, second = ("".join(o.get("text", "") for o in c.outputs) for c in nb.cells)
    assert first.startswith("✗ most maps react — 3 of 16 maps") and "this run differs" in first
    assert second == "the next cell ran\n"
