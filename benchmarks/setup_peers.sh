#!/usr/bin/env bash
# The peers' own environment (benchmarks/.venv-peers): FLAML and AutoGluon are measured
# against Lepton but are never project dependencies. Torch is pinned to the local CPU build
# first so AutoGluon's neural models do not pull a CUDA build.
set -euo pipefail
cd "$(dirname "$0")"
python="${1:-python3}"
venv=.venv-peers
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "torch==2.13.0"
"$venv/bin/python" -m pip install --quiet "flaml[automl]>=2.3" "autogluon.tabular[lightgbm,catboost,xgboost]>=1.4" "pandas<3"
"$venv/bin/python" -c "import flaml, autogluon.tabular; print('peers ready: flaml', flaml.__version__)"
