"""Checked claims: a notebook states in code what its prose says, right after the numbers that back it.

``claim("pixel noise makes more maps react than multi-scale starts", noise > multi, f"{noise} vs {multi} maps")``
prints one line, ``✓ statement — evidence``. If the statement does not hold, a full run stops with
:class:`ClaimError` ("the text says …, the run shows …") so that no stored notebook can contradict its own
outputs; on the CI fast path (short runs, small data, where numbers legitimately differ) a false claim is
reported with ``✗ (fast path, not checked)`` and the run goes on. The fast-path switch is
:func:`helpers.device.is_fast_path`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers import checks
from helpers.device import FAST_PATH_ENV, is_fast_path

__all__ = ["ClaimError", "Claim", "claim"]


class ClaimError(AssertionError):
    """A sentence of the notebook's prose is contradicted by the numbers of this run."""


@dataclass(frozen=True)
class Claim:
    """One checked statement: what the text says, whether the run bears it out, and the numbers shown."""

    statement: str
    holds: bool
    evidence: str

    def line(self, checked: bool = True, fast_path: bool = False) -> str:
        """The one-line report: ``✓ statement — evidence`` (or ``✗ …`` with why it did not stop the run)."""
        checked, fast_path = checks.flag("checked", checked), checks.flag("fast_path", fast_path)
        if self.holds:
            mark = "✓"
        elif checked:
            mark = "✗"
        else:
            mark = "✗ (fast path, not checked)" if fast_path else "✗ (not checked)"
        return f"{mark} {self.statement} — {self.evidence}"

    def _ipython_display_(self) -> None:
        """Show nothing when a claim is a cell's last expression: :func:`claim` has printed its line already."""


def claim(statement: str, holds, evidence: str, strict: bool | None = None) -> Claim:
    """Check one statement of the prose against this run; print its one-line report and return it.

    Args:
        statement: the sentence (or its gist) as the markdown says it, e.g. "momentum reaches 99 % sooner".
        holds: whether the numbers bear it out (a bool or a NumPy bool; anything else is refused).
        evidence: the numbers that decide it, as the reader should see them, e.g. "4 vs 8 epochs".
        strict: raise :class:`ClaimError` if the statement does not hold (None: on a full run, not on the
            CI fast path).
    """
    checks.string("statement", statement)
    checks.string("evidence", evidence)
    if not isinstance(holds, (bool, np.bool_)):
        raise checks.WrongTypeError(
            f"holds must be True or False (the result of a comparison), got {holds!r} ({type(holds).__name__})"
        )
    strict = checks.flag("strict", strict, allow_none=True)
    result = Claim(statement.strip(), bool(holds), evidence.strip())
    checked = (not is_fast_path()) if strict is None else strict
    if not result.holds and checked:
        raise ClaimError(f"the text says: {result.statement}; the run shows: {result.evidence}")
    print(result.line(checked, fast_path=is_fast_path()), flush=True)
    return result
