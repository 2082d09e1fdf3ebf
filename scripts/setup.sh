#!/usr/bin/env bash
# Create the project's virtual environment and install Lepton with its dev tools into it.
# Torch is pinned to the CPU build that ships on these machines and must be installed before
# anything that depends on it (later issues add it here).
set -euo pipefail
python="${1:-python3}"
venv="${2:-.venv}"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[dev]"
