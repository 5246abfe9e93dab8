"""scripts/mutation_check.py: its tables follow the code, so that a moved or renamed target fails here, not months
later when someone runs the check (issue 26)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mutation_check_lists_mutants_of_every_module():
    done = subprocess.run([sys.executable, "scripts/mutation_check.py", "--list"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    counts = dict(item.rsplit(" ", 1) for item in done.stdout.splitlines()[-1].split(": ", 1)[1].split(", "))
    modules = {p.stem for pattern in ("*.py", "oip/*.py") for p in (ROOT / "helpers").glob(pattern)
               if p.name != "__init__.py"} | {"run_notebooks"}
    assert set(counts) == modules
    assert all(int(n) > 0 for n in counts.values()), counts
