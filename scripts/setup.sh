#!/usr/bin/env bash
# Create the project's virtual environment and install Lepton with its dev tools (and the
# [ray] extra the cluster tests need) into it.
# Torch is pinned to the CPU build that ships on these machines and must be installed before
# anything that depends on it.
set -euo pipefail
python="${1:-python3}"
venv="${2:-.venv}"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
# torch first, pinned: the CPU build on local disk, so nothing later pulls a CUDA build
"$venv/bin/python" -m pip install --quiet "torch==2.13.0"
# dev tools and the [ray] extra: tests/cluster start a real Ray cluster on loopback
"$venv/bin/python" -m pip install --quiet -e ".[dev,ray]"
