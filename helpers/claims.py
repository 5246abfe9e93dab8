"""Checked claims: a notebook states in code what its prose says, right after the numbers that back it.

``claim("pixel noise makes more maps react than multi-scale starts", noise > multi, f"{noise} vs {multi} maps")``
prints one line, ``✓ statement — evidence``. What happens when a statement does *not* hold depends on where the
notebook runs:

- where the text is produced or verified (``make run``, ``make retrain``, ``make check`` and CI set
  ``MNIST_OIP_STRICT=1``, see :func:`helpers.device.is_strict_run`), the run stops with :class:`ClaimError`
  ("the text says …, the run shows …"), so no stored notebook can contradict its own outputs;
- everywhere else (JupyterLab, a script, a reader who changed a parameter) it prints a friendly ``✗`` line: the text
  describes the committed run and this run differs, which is expected after a change; the run goes on;
- on the CI fast path (short runs, small data, where numbers legitimately differ) the line says
  ``✗ (fast path, not checked)``.

Claims that back one section are grouped with :func:`section`: the reader sees one short line,
``✓ 7 statements of this section hold``, that unfolds to the list (an HTML ``<details>`` element in JupyterLab and
the book; the plain-text form lists every line).
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from helpers import checks
from helpers.device import FAST_PATH_ENV, STRICT_CLAIMS_ENV, is_fast_path, is_strict_run

__all__ = ["ClaimError", "Claim", "Checks", "claim", "section", "FAST_PATH_ENV", "STRICT_CLAIMS_ENV"]

DIFFERS = "the text describes the committed run; this run differs (expected if you changed something)"
"""What a false claim says outside a strict run."""


class ClaimError(AssertionError):
    """A sentence of the notebook's prose is contradicted by the numbers of this run."""


@dataclass(frozen=True)
class Claim:
    """One checked statement: what the text says, whether the run bears it out, and the numbers shown."""

    statement: str
    holds: bool
    evidence: str

    def line(self, checked: bool = True, fast_path: bool = False) -> str:
        """The one-line report: ``✓ statement — evidence``, or ``✗ …`` saying why it did not stop the run."""
        checked, fast_path = checks.flag("checked", checked), checks.flag("fast_path", fast_path)
        if self.holds:
            return f"✓ {self.statement} — {self.evidence}"
        if fast_path:
            return f"✗ (fast path, not checked) {self.statement} — {self.evidence}"
        if checked:
            return f"✗ {self.statement} — {self.evidence}"
        return f"✗ {self.statement} — {self.evidence} ({DIFFERS})"

    def _ipython_display_(self) -> None:
        """Show nothing when a claim is a cell's last expression: its line has been reported already."""


@dataclass
class Checks:
    """The claims of one section (:func:`section`), shown as one line that unfolds to the list."""

    title: str | None = None
    lines: list[str] = field(default_factory=list)
    failed: int = 0

    def summary(self) -> str:
        """``✓ N statements of this section hold`` (or how many do not hold in this run)."""
        n = len(self.lines)
        what = f"of {self.title}" if self.title else "of this section"
        if self.failed == 0:
            return f"✓ {n} statement{'s' if n != 1 else ''} {what} hold{'s' if n == 1 else ''}"
        return f"✗ {self.failed} of {n} statement{'s' if n != 1 else ''} {what} do{'es' if self.failed == 1 else ''} not hold in this run"

    def text(self) -> str:
        """The plain-text form: the summary, then every line indented."""
        return "\n".join([self.summary() + ":", *(f"  {line}" for line in self.lines)])

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.lines)
        opened = " open" if self.failed else ""
        return (f"<details{opened} class=\"mnist-oip-checks\"><summary>{html.escape(self.summary())}</summary>"
                f"<ul style=\"margin: 0.3em 0 0.3em 1.2em; padding: 0\">{items}</ul></details>")


_OPEN: list[Checks] = []
"""The sections being collected (innermost last)."""


def _show(checks_: Checks) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(checks_)
    else:
        print(checks_.text(), flush=True)


@contextlib.contextmanager
def section(title: str | None = None) -> Iterator[Checks]:
    """Collect the claims made inside the block and show them as one line that unfolds to the list.

    ``title``: what the checks are of (default "this section"). A claim that stops a strict run still stops it
    at once; the lines collected before it are printed first, so the reader sees what held.
    """
    title = checks.string("title", title) if title is not None else None
    collected = Checks(title)
    _OPEN.append(collected)
    try:
        yield collected
    except BaseException:
        _OPEN.remove(collected)
        if collected.lines:
            print(collected.text(), flush=True)
        raise
    _OPEN.remove(collected)
    if collected.lines:
        _show(collected)


def claim(statement: str, holds, evidence: str, strict: bool | None = None) -> Claim:
    """Check one statement of the prose against this run; report its line and return it.

    Args:
        statement: the sentence (or its gist) as the markdown says it, e.g. "momentum reaches 99 % sooner".
        holds: whether the numbers bear it out (a bool or a NumPy bool; anything else is refused).
        evidence: the numbers that decide it, as the reader should see them, e.g. "4 vs 8 epochs".
        strict: raise :class:`ClaimError` if the statement does not hold (None: where the text is produced or
            verified, :func:`helpers.device.is_strict_run`; elsewhere a ✗ line says this run differs).

    Inside :func:`section` the line is collected; otherwise it is printed.
    """
    checks.string("statement", statement)
    checks.string("evidence", evidence)
    if not isinstance(holds, (bool, np.bool_)):
        raise checks.WrongTypeError(
            f"holds must be True or False (the result of a comparison), got {holds!r} ({type(holds).__name__})"
        )
    strict = checks.flag("strict", strict, allow_none=True)
    result = Claim(statement.strip(), bool(holds), evidence.strip())
    fast = is_fast_path()
    checked = (is_strict_run() and not fast) if strict is None else strict
    if not result.holds and checked:
        raise ClaimError(f"the text says: {result.statement}; the run shows: {result.evidence}")
    line = result.line(checked, fast_path=fast)
    if _OPEN:
        _OPEN[-1].lines.append(line)
        _OPEN[-1].failed += 0 if result.holds else 1
    else:
        print(line, flush=True)
    return result
