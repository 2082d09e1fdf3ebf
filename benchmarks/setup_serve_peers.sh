#!/usr/bin/env bash
# Serving peers' own environments (never project dependencies): BentoML (adaptive batching)
# and the Lepton AI SDK's Photon (leptonai==0.27.3, the last release with Photon). Each gets
# Lepton itself too, so every server loads the very same registered model package.
set -euo pipefail
cd "$(dirname "$0")"
python="${1:-python3}"
for peer in bentoml leptonai; do
    venv=".venv-serve-$peer"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "torch==2.13.0"
    if [ "$peer" = bentoml ]; then
        "$venv/bin/python" -m pip install --quiet -e .. "bentoml>=1.3"
    else
        # fastapi pinned: newer releases break leptonai 0.27.3's metrics middleware
        "$venv/bin/python" -m pip install --quiet -e .. "leptonai==0.27.3" "fastapi==0.115.12"
    fi
done
echo "serving peers ready"
