#!/usr/bin/env bash
# prepare throughput on the real Portuguese sample (scripts/fetch-sample.sh), embedded Spark local[*]:
#   A: one document per file (the demo's setting)
#   B: one document per paragraph, the sample given 4 times (many small documents; 3 of 4 copies are exact
#      duplicates, so every stage including both dedups does real work)
# Prints documents/s and MB/s per run from report.json (wall time of the whole job, Spark start excluded).
#   scripts/bench.sh prepare [OUT]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/bench-prepare}"
SAMPLE="$("$ROOT/scripts/fetch-sample.sh")"
rm -rf "$OUT"
mkdir -p "$OUT"
"$ROOT/scripts/verbo" prepare --input="$SAMPLE" --out="$OUT/a" > "$OUT/a.log"
"$ROOT/scripts/verbo" prepare --input="$SAMPLE" --input="$SAMPLE" --input="$SAMPLE" --input="$SAMPLE" \
  --out="$OUT/b" --prepare.reader.text_split=paragraph > "$OUT/b.log"
printf '%-34s %10s %10s %8s %12s %8s\n' run records kept seconds records/s MB/s
for r in a b; do
  python3 - "$OUT/$r/report.json" "$r" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
name = {"a": "A: document per file", "b": "B: paragraphs, sample x4"}[sys.argv[2]]
t = r["throughput"]
print(f"{name:<34} {r['input_records']:>10,} {r['kept']:>10,} {t['seconds']:>8.1f} {t['records_per_s']:>12,.0f} {t['mb_per_s']:>8.2f}")
PY
done
echo "cores: $(nproc); logs and reports under $OUT"
