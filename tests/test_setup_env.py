"""scripts/setup_env.sh (what `make install` runs): the Python check, stale environments, resumable installs.

The interpreters are shims: small shell scripts that answer the version query with a chosen version, create a
fake environment for ``-m venv`` and log ``-m pip`` calls (failing them on request), so every case runs offline
in milliseconds in a temporary folder.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "setup_env.sh"

SHIM = """#!/bin/sh
# a fake Python {version}
case "$1" in
  -c) echo "{version}" ;;
  -m) case "$2" in
        venv) mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
        pip) echo "pip $*" >> "$PIP_LOG"; [ -e "$PIP_FAIL" ] && exit 1; exit 0 ;;
      esac ;;
esac
"""


def shim(folder: Path, name: str, version: str) -> Path:
    path = folder / name
    path.write_text(SHIM.format(version=version))
    path.chmod(0o755)
    return path


@pytest.fixture()
def project(tmp_path):
    """A folder with the files the script reads (requirements.txt, pyproject.toml) and a bin/ for shims."""
    for name in ("requirements.txt", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "bin").mkdir()
    return tmp_path


def setup_env(project: Path, python: str, named: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PIP_LOG=str(project / "pip.log"), PIP_FAIL=str(project / "pip.fail"))
    return subprocess.run(
        ["sh", str(SCRIPT), python, ".venv", "yes" if named else "no"],
        cwd=project, env=env, capture_output=True, text=True, timeout=60,
    )


def pip_calls(project: Path) -> int:
    log = project / "pip.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_supported_range_agrees_with_pyproject():
    low, high = re.search(r'requires-python = ">=3\.(\d+),<3\.(\d+)"', (ROOT / "pyproject.toml").read_text()).groups()
    supported = re.search(r'^SUPPORTED="([^"]*)"', SCRIPT.read_text(), flags=re.M).group(1).split()
    assert supported == [f"3.{m}" for m in range(int(low), int(high))]
    assert f'RANGE="3.{low}-3.{int(high) - 1}"' in SCRIPT.read_text()


@pytest.mark.parametrize("version", ["3.10", "3.14"])
def test_unsupported_python_gets_one_message_and_no_environment(project, version):
    python = shim(project / "bin", f"python{version}", version)
    result = setup_env(project, str(python))
    assert result.returncode == 2
    assert not (project / ".venv").exists()
    assert pip_calls(project) == 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert f"is Python {version}, which is not supported" in lines[0] and "3.11-3.13" in lines[0]
    assert "PYTHON=python3.12" in lines[1] and "pyenv" in lines[1] and "conda" in lines[1]


def test_missing_python_is_named(project):
    result = setup_env(project, str(project / "bin" / "python3.99"))
    assert result.returncode == 2 and "was not found" in result.stderr
    assert not (project / ".venv").exists()


def test_supported_python_creates_installs_and_stamps_once(project):
    python = shim(project / "bin", "python3.12", "3.12")
    first = setup_env(project, str(python))
    assert first.returncode == 0, first.stderr
    assert (project / ".venv" / ".installed").exists()
    assert pip_calls(project) == 3  # pip itself, the pins, the project
    again = setup_env(project, str(python))
    assert again.returncode == 0 and again.stdout == ""
    assert pip_calls(project) == 3, "an up-to-date environment was installed again"


def test_changed_requirements_reinstall(project):
    python = shim(project / "bin", "python3.12", "3.12")
    assert setup_env(project, str(python)).returncode == 0
    stamp = project / ".venv" / ".installed"
    os.utime(stamp, (1, 1))  # older than requirements.txt
    assert setup_env(project, str(python)).returncode == 0
    assert pip_calls(project) == 6


def test_failed_install_leaves_no_stamp_and_the_next_run_resumes(project):
    python = shim(project / "bin", "python3.12", "3.12")
    (project / "pip.fail").touch()
    failed = setup_env(project, str(python))
    assert failed.returncode != 0
    assert (project / ".venv" / "bin" / "python").exists()
    assert not (project / ".venv" / ".installed").exists()
    (project / "pip.fail").unlink()
    resumed = setup_env(project, str(python))
    assert resumed.returncode == 0, resumed.stderr
    assert "rebuilding" not in resumed.stdout, "a good half-made environment should be resumed, not rebuilt"
    assert (project / ".venv" / ".installed").exists()


def test_environment_of_an_unsupported_python_is_rebuilt(project):
    old = shim(project / "bin", "python3.10", "3.10")
    (project / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(old, project / ".venv" / "bin" / "python")  # what a failed attempt with 3.10 leaves behind
    python = shim(project / "bin", "python3.12", "3.12")
    result = setup_env(project, str(python), named=False)
    assert result.returncode == 0, result.stderr
    assert "rebuilding .venv with Python 3.12: it was made by Python 3.10, which is not supported" in result.stdout
    assert (project / ".venv" / ".installed").exists()
    assert "3.12" in subprocess.run([project / ".venv" / "bin" / "python", "-c", ""], capture_output=True,
                                    text=True).stdout


def test_environment_of_an_unsupported_python_and_no_supported_one(project):
    old = shim(project / "bin", "python3.10", "3.10")
    (project / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(old, project / ".venv" / "bin" / "python")
    result = setup_env(project, str(old), named=False)
    assert result.returncode == 2
    assert ".venv must be rebuilt: it was made by Python 3.10" in result.stderr
    assert (project / ".venv").exists(), "nothing is deleted when nothing better can be built"


def test_environment_of_another_named_python_is_rebuilt(project):
    assert setup_env(project, str(shim(project / "bin", "python3.11", "3.11"))).returncode == 0
    result = setup_env(project, str(shim(project / "bin", "python3.13", "3.13")))
    assert result.returncode == 0, result.stderr
    assert "it was made by Python 3.11, but PYTHON=" in result.stdout and "is Python 3.13" in result.stdout


def test_a_good_environment_is_kept_when_python_is_not_named(project):
    """`make run PYTHON=python3.12` once, then plain `make test` on a system whose python3 is 3.10: keep it."""
    assert setup_env(project, str(shim(project / "bin", "python3.12", "3.12"))).returncode == 0
    result = setup_env(project, str(shim(project / "bin", "python3", "3.10")), named=False)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""


def test_environment_without_a_working_python_is_rebuilt(project):
    (project / ".venv").mkdir()  # an interrupted `python -m venv`
    result = setup_env(project, str(shim(project / "bin", "python3.12", "3.12")), named=False)
    assert result.returncode == 0, result.stderr
    assert "it has no working Python" in result.stdout
