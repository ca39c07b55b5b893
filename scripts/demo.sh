#!/usr/bin/env bash
# The demo: fetches the Portuguese sample (scripts/fetch-sample.sh), then runs prepare → tokenizer →
# tokenize → pretrain → embed-train → embed → search on embedded Spark. Outputs under OUT (default target/demo).
#   scripts/demo.sh [OUT]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/target/demo}"
SAMPLE="$("$ROOT/scripts/fetch-sample.sh")"
echo "sample corpus: $SAMPLE ($(du -sh "$SAMPLE" | cut -f1))"
"$ROOT/scripts/verbo" demo --conf="$ROOT/conf/demo.conf" --input="$SAMPLE" --out="$OUT" "${@:2}"
