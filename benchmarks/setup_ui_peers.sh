#!/usr/bin/env bash
# The dashboard benchmark's peer in its own environment (benchmarks/.venv-mlflow): MLflow's
# tracking server is measured against `lepton ui` but is never a project dependency.
# `benchmarks/ui.py --peer mlflow` runs this when the venv is missing.
set -euo pipefail
cd "$(dirname "$0")"
python="${1:-python3}"
venv=.venv-mlflow
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "mlflow"
"$venv/bin/python" -c "import mlflow; print('mlflow peer ready:', mlflow.__version__)"
