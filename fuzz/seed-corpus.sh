#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/*, not committed) from the repository: `compile` with
# spec/homelab.kdl and the spec of each test case, `manifest` with every YAML file of spec/ and
# of the test cases.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/corpus/compile
for spec in spec/homelab.kdl tests/cases/*/homelab.kdl; do
    [ -f "$spec" ] || continue
    name=$(echo "$spec" | tr '/' '_')
    cp "$spec" "fuzz/corpus/compile/$name"
done
mkdir -p fuzz/corpus/manifest
find spec tests/cases -name '*.yaml' | while read -r file; do
    cp "$file" "fuzz/corpus/manifest/$(echo "$file" | tr '/' '_')"
done
ls fuzz/corpus/compile | wc -l
ls fuzz/corpus/manifest | wc -l
