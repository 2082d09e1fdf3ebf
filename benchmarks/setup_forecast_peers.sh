#!/usr/bin/env bash
# The forecasting peers' own environment (benchmarks/.venv-agts): AutoGluon-TimeSeries is
# measured against Lepton's forecast kind but is never a project dependency (its pins clash
# with ours). Torch is pinned to the local CPU build first so no CUDA build is pulled in.
# Only AutoGluon's local models (Naive, SeasonalNaive, ETS, Theta, AutoARIMA) are run: the
# hub-based ones (Chronos and friends) need weights that cannot be downloaded here.
set -euo pipefail
cd "$(dirname "$0")"
python="${1:-python3}"
venv=.venv-agts
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "torch==2.13.0"
"$venv/bin/python" -m pip install --quiet "autogluon.timeseries>=1.4" "pandas<3"
"$venv/bin/python" -c "import autogluon.timeseries as t; print('forecast peers ready: autogluon.timeseries', t.__version__)"
