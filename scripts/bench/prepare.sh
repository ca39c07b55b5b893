#!/usr/bin/env bash
# prepare throughput, embedded Spark local[*], per stage, on three corpora:
#   html   real HTML: 117 MB of Debian documentation pages, 2,575 files (scripts/fetch-bench-html.sh)
#   html-large (only when named) real HTML: 874 MB, 32,534 files, the html pages and seven more packages
#          (scripts/fetch-bench-html.sh --large): the fixed costs of a run (JVM and Spark start, the JIT, some twenty
#          small dedup jobs) weigh less, as on a real corpus
#   jsonl  generated JSONL: 100 MB, ~26,000 documents of sentences from the sample, 2% exact and 5% near
#          duplicates planted (scripts/bench/gen_corpus.py), ids from the "id" field
#   text   the same documents as plain text, one a line (--prepare.reader.text_split=line)
# Stage times come from prepare's progress lines ("[  12.3 s] ..."): list (until the file count), read +
# normalise + quality, dedup (exact + near, until connected components), write (corpus + rejected), report.
# "MB/s/core" is input MB / stage seconds / cores; "MB/cpu-s" is input MB / CPU seconds of the whole JVM
# (user + sys, JVM and Spark start included): on a shared machine the second is the steadier number.
#   scripts/bench.sh prepare [OUT] [corpora...]      e.g. scripts/bench.sh prepare target/bench-prepare html
# Environment: VERBO (launcher, default scripts/verbo; point it at another build to compare); REPORT_ONLY=1 prints
# the table of an earlier OUT without running.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/bench-prepare}"
shift || true
RUNS=("$@")
[[ ${#RUNS[@]} -eq 0 ]] && RUNS=(html jsonl text)
VERBO="${VERBO:-$ROOT/scripts/verbo}"
mkdir -p "$OUT"
# shellcheck source=scripts/lib/cds.sh
source "$ROOT/scripts/lib/cds.sh"
[[ "${REPORT_ONLY:-0}" == 1 ]] || verbo_cds_warm "$VERBO"
for r in "${RUNS[@]}"; do
  [[ "${REPORT_ONLY:-0}" == 1 ]] && break
  case "$r" in
    html) args=(--input="$("$ROOT/scripts/fetch-bench-html.sh")") ;;
    html-large) args=(--input="$("$ROOT/scripts/fetch-bench-html.sh" --large)") ;;
    jsonl|text)
      GEN="$ROOT/target/bench-gen"
      if [[ ! -f "$GEN/planted.tsv" ]]; then
        python3 "$ROOT/scripts/bench/gen_corpus.py" "$("$ROOT/scripts/fetch-sample.sh")" "$GEN" --mb 100 >&2
      fi
      if [[ "$r" == jsonl ]]; then
        args=(--input="$GEN/jsonl" --id-col=id)
      else
        args=(--input="$GEN/text" --prepare.reader.text_split=line)
      fi ;;
    *) echo "prepare bench: unknown corpus $r (html|html-large|jsonl|text)" >&2; exit 2 ;;
  esac
  rm -rf "$OUT/$r"
  /usr/bin/time -f "%U %S %e %M" -o "$OUT/$r.time" "$VERBO" prepare "${args[@]}" --out="$OUT/$r" > "$OUT/$r.log" 2>"$OUT/$r.err"
done
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %7s %8s %8s | %-34s | %8s %9s %8s\n' run MB records kept "seconds (MB/s/core): list read dedup write report" job_s MB/cpu-s peak_GB
for r in "${RUNS[@]}"; do
  python3 - "$OUT/$r" "$r" "$(nproc)" <<'PY'
import json, re, sys
out, name, cores = sys.argv[1], sys.argv[2], int(sys.argv[3])
rep = json.load(open(out + "/report.json"))
mb = rep["input"]["bytes"] / 1e6
marks = {}
for line in open(out + ".log"):
    m = re.match(r"\[\s*([\d.]+) s\] (.*)", line)
    if not m:
        continue
    t, what = float(m.group(1)), m.group(2)
    for key, prefix in [("list", "prepare:"), ("read", "read + normalise"), ("dedup", "connected components"),
                        ("dedup", "near-dup:"), ("write", "wrote rejected")]:
        if what.startswith(prefix):
            marks[key] = t
marks["report"] = rep["throughput"]["seconds"]
prev, cells = 0.0, []
for k in ["list", "read", "dedup", "write", "report"]:
    if k in marks:
        dt = marks[k] - prev
        cells.append("%.1f (%.1f)" % (dt, mb / dt / cores) if dt >= 0.05 else "%.1f (-)" % dt)
        prev = marks[k]
    else:
        cells.append("-")
user, sys_, wall, rss = open(out + ".time").read().split()[-4:]
cpu = float(user) + float(sys_)
print("%-6s %7.1f %8d %8d | %-34s | %8.1f %9.2f %8.2f" % (name, mb, rep["input_records"], rep["kept"], " ".join(cells),
      rep["throughput"]["seconds"], mb / cpu, int(rss) / 1e6))
PY
done
echo "logs and reports under $OUT"
