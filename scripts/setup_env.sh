#!/bin/sh
# Make the project's environment ready (what every `make` target that runs Python does first).
#
# Usage: setup_env.sh PYTHON VENV EXPLICIT
#   PYTHON    the interpreter to build the environment with (make's PYTHON, default python3)
#   VENV      the environment's folder (.venv)
#   EXPLICIT  "yes" when the user named PYTHON (command line or environment), anything else otherwise
#
# 1. An existing environment is kept if its Python is supported and, when PYTHON was named, of the same version.
#    Otherwise it is rebuilt (the line printed says why): an environment that a failed or interrupted first
#    attempt left behind, or one made by an unsupported or another Python, never needs `make clean-venv`.
# 2. Before an environment is created, PYTHON is checked: outside the supported range the script stops with one
#    short message (the version found, the range, the ways out) and creates nothing.
# 3. The pinned packages are installed when the stamp ($VENV/.installed) is missing or older than
#    requirements.txt or pyproject.toml; the stamp is written only after every install step succeeded, so an
#    install that failed or was interrupted is simply resumed by the next `make`.
set -eu

PYTHON=$1
VENV=$2
EXPLICIT=${3:-}
STAMP="$VENV/.installed"
# Keep in step with requires-python in pyproject.toml (tests/test_setup_env.py checks that they agree).
SUPPORTED="3.11 3.12 3.13"
RANGE="3.11-3.13"

version_of() {  # "3.12", or nothing if $1 is not a working Python
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}

is_supported() {
    for v in $SUPPORTED; do [ "$1" = "$v" ] && return 0; done
    return 1
}

refuse() {  # $1: what is wrong with PYTHON
    echo "$1: this project needs Python $RANGE." >&2
    echo "Name a supported one, e.g. 'make run PYTHON=python3.12' (install one with pyenv, or 'uv python install 3.12'), or use conda: see the README's Quick start." >&2
    exit 2
}

wanted=$(version_of "$PYTHON")

if [ -e "$VENV" ]; then
    have=$(version_of "$VENV/bin/python")
    reason=""
    if [ -z "$have" ]; then
        reason="it has no working Python (an earlier attempt stopped half-way)"
    elif ! is_supported "$have"; then
        reason="it was made by Python $have, which is not supported"
    elif [ "$EXPLICIT" = yes ] && [ "$have" != "$wanted" ]; then
        reason="it was made by Python $have, but PYTHON=$PYTHON is Python ${wanted:-?}"
    fi
    if [ -n "$reason" ]; then
        if [ -z "$wanted" ]; then
            echo "$VENV must be rebuilt: $reason." >&2
            refuse "PYTHON=$PYTHON was not found (or does not run)"
        fi
        is_supported "$wanted" || { echo "$VENV must be rebuilt: $reason." >&2; refuse "PYTHON=$PYTHON is Python $wanted, which is not supported"; }
        echo "rebuilding $VENV with Python $wanted: $reason"
        rm -rf "$VENV"
    fi
fi

if [ ! -e "$VENV" ]; then
    [ -n "$wanted" ] || refuse "PYTHON=$PYTHON was not found (or does not run)"
    is_supported "$wanted" || refuse "PYTHON=$PYTHON is Python $wanted, which is not supported"
fi

if [ -f "$STAMP" ] && [ ! requirements.txt -nt "$STAMP" ] && [ ! pyproject.toml -nt "$STAMP" ]; then
    exit 0
fi

echo "installing the pinned environment into $VENV (once; about a minute)"
rm -f "$STAMP"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
touch "$STAMP"
