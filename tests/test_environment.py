"""The project's setup: one source of pins, the two commands, and no downloads at run time."""

import re
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([0-9][A-Za-z0-9.+\-]*)$")


def _requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = PIN.match(line)
            assert match, f"requirements.txt: {line!r} is not pinned as name==version"
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_every_requirement_is_pinned_and_includes_the_core_stack():
    pins = _requirements()
    assert pins["tensorflow"].startswith("2.21.") and pins["keras"].startswith("3.15.")
    for name in ("numpy", "matplotlib", "jupyterlab", "nbval", "scipy", "scikit-learn", "ipywidgets", "tqdm"):
        assert name in pins, f"{name} missing from requirements.txt"


def test_environment_yml_installs_exactly_the_requirements_file():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_deps = [d for d in env["dependencies"] if isinstance(d, str)]
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert sorted(re.split(r"[=<> ]", d)[0] for d in conda_deps) == ["pip", "python"], (
        "environment.yml may only bring python and pip; every other pin belongs in requirements.txt"
    )
    assert pip_sections == [["-r requirements.txt", "-e ."]]
    python = next(d for d in conda_deps if d.startswith("python"))
    minor = int(python.split("=")[1].split(".")[1])
    requires = (ROOT / "pyproject.toml").read_text()
    lo, hi = re.search(r'requires-python = ">=3\.(\d+),<3\.(\d+)"', requires).groups()
    assert int(lo) <= minor < int(hi), "environment.yml's Python is outside pyproject's requires-python"


def test_installed_versions_match_the_pins():
    drift = {}
    for name, version in _requirements().items():
        installed = metadata.version(name)
        if installed != version:
            drift[name] = (version, installed)
    assert not drift, f"installed packages differ from requirements.txt (pinned, installed): {drift}; run `make install`"


def quick_start_commands(readme: str) -> list[str]:
    """The commands of the first code block under the README's "## Quick start" heading (comments dropped)."""
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", readme, flags=re.S | re.M)
    assert section, 'README.md has no "## Quick start" section'
    block = re.search(r"^```(?:bash|sh|shell)?\n(.*?)^```", section.group(1), flags=re.S | re.M)
    assert block, "the Quick start section has no code block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.split("#", 1)[0].strip()]


def ci_commands(script: str) -> list[str]:
    """The commands a shell script runs (comments, blank lines and ``set``/``cd`` housekeeping dropped)."""
    lines = [line.split("#", 1)[0].strip() for line in script.splitlines()]
    return [line for line in lines if line and not line.startswith(("set ", "cd "))]


def test_readme_quick_start_is_exactly_the_run_and_test_commands_and_ci_runs_test_then_check():
    commands = quick_start_commands((ROOT / "README.md").read_text())
    assert commands == ["make run", "make test"], f"the README's quick-start block must be exactly these two: {commands}"
    assert ci_commands((ROOT / ".ci/run").read_text()) == [commands[1], "make check"], (
        ".ci/run must run the README's test command, then the full-path regression run"
    )
    targets = re.findall(r"^([A-Za-z_-]+):", (ROOT / "Makefile").read_text(), flags=re.M)
    assert {"run", "test", "check"} <= set(targets), "the Makefile must define the targets the README and CI name"
    assert "`make check`" in (ROOT / "README.md").read_text(), "the README must document the full-path run"


def test_the_quick_start_checks_can_fail():
    good = "## Quick start\n\nText.\n\n```bash\nmake run    # all\nmake test   # tests\n```\n\n## Next\n"
    assert quick_start_commands(good) == ["make run", "make test"]
    assert quick_start_commands(good.replace("make test", "make tests")) != ["make run", "make test"]
    assert quick_start_commands(good.replace("make run    # all\n", "")) == ["make test"]
    later = good.replace("## Next\n", "## Next\n\n```bash\nmake test\n```\n")
    assert quick_start_commands(later.replace("make test   # tests\n", "")) == ["make run"]  # only its own block
    assert ci_commands("#!/bin/bash\nset -e\ncd x\nmake test\n") == ["make test"]
    assert ci_commands("make test || true\n") != ["make test"]


def test_nothing_downloads_at_run_time():
    forbidden = re.compile(r"keras\.datasets|datasets\.mnist|get_file\(|urlopen|urlretrieve|requests\.get|tfds\.load")
    offenders = []
    for path in [*ROOT.glob("helpers/*.py"), *ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("benchmarks/*.py")]:
        if forbidden.search(path.read_text()):
            offenders.append(path.name)
    assert not offenders, f"these files fetch data or weights from the network: {offenders}"
