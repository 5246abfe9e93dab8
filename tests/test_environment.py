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


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make run" in readme
    ci = [ln.strip() for ln in (ROOT / ".ci/run").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert ci[-1] == "make test"


def test_nothing_downloads_at_run_time():
    forbidden = re.compile(r"keras\.datasets|datasets\.mnist|get_file\(|urlopen|urlretrieve|requests\.get|tfds\.load")
    offenders = []
    for path in [*ROOT.glob("helpers/*.py"), *ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("benchmarks/*.py")]:
        if forbidden.search(path.read_text()):
            offenders.append(path.name)
    assert not offenders, f"these files fetch data or weights from the network: {offenders}"
