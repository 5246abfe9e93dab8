"""helpers.claims: a false claim stops a full run, is reported on the fast path, and prints one line."""

import numpy as np
import pytest

from helpers import claims


def test_a_true_claim_prints_one_line(capsys, monkeypatch):
    monkeypatch.delenv(claims.FAST_PATH_ENV, raising=False)
    result = claims.claim("pixel noise makes more maps react", np.int64(110) > 96, "110 vs 96 maps")
    assert result.holds and capsys.readouterr().out == "✓ pixel noise makes more maps react — 110 vs 96 maps\n"


def test_a_false_claim_stops_a_full_run_and_says_both_sides(capsys, monkeypatch):
    monkeypatch.delenv(claims.FAST_PATH_ENV, raising=False)
    with pytest.raises(claims.ClaimError, match="the text says: momentum reaches 99 % sooner; the run shows: 8 vs 4"):
        claims.claim("momentum reaches 99 % sooner", 8 < 4, "8 vs 4 epochs")
    assert capsys.readouterr().out == ""


def test_a_false_claim_on_the_fast_path_is_reported_not_raised(capsys, monkeypatch):
    monkeypatch.setenv(claims.FAST_PATH_ENV, "1")
    result = claims.claim("most maps react", False, "3 of 16 maps")
    assert not result.holds
    assert capsys.readouterr().out == "✗ (fast path, not checked) most maps react — 3 of 16 maps\n"
    with pytest.raises(claims.ClaimError):
        claims.claim("most maps react", False, "3 of 16 maps", strict=True)


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


def test_a_claim_as_the_last_expression_of_a_cell_displays_nothing_more(monkeypatch):
    """IPython calls _ipython_display_ instead of showing the repr, so the report line is not repeated."""
    monkeypatch.delenv(claims.FAST_PATH_ENV, raising=False)
    result = claims.claim("x", True, "y")
    assert result._ipython_display_() is None


def test_an_unchecked_false_claim_on_a_full_run_says_not_checked(capsys, monkeypatch):
    monkeypatch.delenv(claims.FAST_PATH_ENV, raising=False)
    claims.claim("most maps react", False, "3 of 16 maps", strict=False)
    assert capsys.readouterr().out == "✗ (not checked) most maps react — 3 of 16 maps\n"


def test_a_claim_renders_its_line_for_every_outcome():
    false = claims.Claim("most maps react", False, "3 of 16 maps")
    assert false.line() == "✗ most maps react — 3 of 16 maps"
    assert false.line(checked=False) == "✗ (not checked) most maps react — 3 of 16 maps"
    assert false.line(checked=False, fast_path=True) == "✗ (fast path, not checked) most maps react — 3 of 16 maps"
    assert claims.Claim("most maps react", True, "12 of 16").line(checked=False) == "✓ most maps react — 12 of 16"
