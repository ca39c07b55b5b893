#!/usr/bin/env bash
# Generation: autoregressive greedy decoding with the KV cache, batch 1, verbo (LlamaModel.forwardCached) vs the
# PyTorch eager twin (train_torch.py --generate: the same model with a hand-written static KV cache, torch.no_grad),
# same weights (verbo writes model.safetensors, PyTorch loads it by HF names), same prompt, same length.
# Called by `scripts/bench.sh generate`.
#
# Env: PRESET (bench-7m), PROMPT (prompt tokens, 64, seeded random ids), NEW (new tokens, 192), WARMUP (untimed whole
#      generations per engine and round, 3: C2 compiles the Vector API kernels), THREADS (both engines, nproc),
#      ROUNDS (3), OUT (target/bench/generate), JAVA_OPTS (extra options for verbo's JVM, e.g.
#      -Dverbo.vectorKernels=false for the ND4J reference path), OMP_WAIT_POLICY (both engines, PASSIVE).
# Prefill = one cached forward over the prompt + argmax (the first new token); decode = NEW-1 one-token steps, each a
# cached forward + argmax; decode tokens/s = (NEW-1) / decode time. The engines alternate ROUNDS times; the summary
# gives each engine's best round (highest decode tokens/s) and the median over rounds, and how many leading
# generated ids the engines share (greedy on the same weights: a late flip on a near-tie is reported, not hidden).
# Writes $OUT/rN/{java,torch}.json and $OUT/summary.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PRESET="${PRESET:-bench-7m}"
PROMPT="${PROMPT:-64}"
NEW="${NEW:-192}"
WARMUP="${WARMUP:-3}"
THREADS="${THREADS:-$(nproc)}"
ROUNDS="${ROUNDS:-3}"
OUT="${OUT:-target/bench/generate}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
mkdir -p "$OUT"
# shellcheck source=scripts/bench/torch-env.sh
source "$ROOT/scripts/bench/torch-env.sh"

echo "building models ..." >&2
# offline first (fast); a fresh machine with an empty local repository downloads once
{ mvn -B -q -o -pl models compile dependency:build-classpath -Dmdep.outputFile="$ROOT/$OUT/classpath.txt" || mvn -B -q -pl models compile dependency:build-classpath -Dmdep.outputFile="$ROOT/$OUT/classpath.txt"; } >&2
CP="$ROOT/models/target/classes:$(cat "$OUT/classpath.txt")"
JAVA=(java -Xmx2g --add-modules=jdk.incubator.vector ${JAVA_OPTS:-} -cp "$CP" org.verbo.models.bench.GenerateBench)

OMP_NUM_THREADS="$THREADS" "${JAVA[@]}" write --preset="$PRESET" --prompt="$PROMPT" --dir="$OUT/model" 2>&1 \
  | grep -v '^SLF4J' >&2
for r in $(seq 1 "$ROUNDS"); do
  mkdir -p "$OUT/r$r"
  echo "== round $r: verbo, $PRESET, prompt $PROMPT, $NEW new tokens, $THREADS threads" >&2
  OMP_NUM_THREADS="$THREADS" "${JAVA[@]}" run --dir="$OUT/model" --new="$NEW" --warmup="$WARMUP" 2>"$OUT/r$r/java.log" \
    | grep '^{' >"$OUT/r$r/java.json"
  echo "== round $r: PyTorch eager" >&2
  OMP_NUM_THREADS="$THREADS" "$PY" "$ROOT/scripts/bench/train_torch.py" --generate "$OUT/model" --new "$NEW" \
    --warmup "$WARMUP" --threads "$THREADS" >"$OUT/r$r/torch.json"
done

"$PY" - "$OUT" "$ROUNDS" "$PRESET" "$THREADS" <<'PYEOF'
import json, os, platform, statistics, sys
out, rounds, preset, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
load = lambda e: [json.load(open(os.path.join(out, f"r{r}", f"{e}.json"))) for r in range(1, rounds + 1)]
js, ts = load("java"), load("torch")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
best = lambda runs: max(runs, key=lambda x: x["decode_tokens_per_s"])
med = lambda runs, k: statistics.median(x[k] for x in runs)
jb, tb = best(js), best(ts)
def lead(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n
match = min(lead(j["tokens"], t["tokens"]) for j in js for t in ts)
same_runs = all(j["tokens"] == js[0]["tokens"] for j in js) and all(t["tokens"] == ts[0]["tokens"] for t in ts)
n = jb["new"]
rows = [
    ("prefill (ms), best round", f"{min(x['prefill_s'] for x in js) * 1e3:.1f}", f"{min(x['prefill_s'] for x in ts) * 1e3:.1f}"),
    ("prefill (ms), median", f"{med(js, 'prefill_s') * 1e3:.1f}", f"{med(ts, 'prefill_s') * 1e3:.1f}"),
    ("decode tokens/s, best round", f"{jb['decode_tokens_per_s']:,.0f}", f"{tb['decode_tokens_per_s']:,.0f}"),
    ("decode tokens/s, median", f"{med(js, 'decode_tokens_per_s'):,.0f}", f"{med(ts, 'decode_tokens_per_s'):,.0f}"),
    ("decode ms/token, best round", f"{1e3 / jb['decode_tokens_per_s']:.2f}", f"{1e3 / tb['decode_tokens_per_s']:.2f}"),
]
lines = [
    f"### Generation: {preset}, batch 1, prompt {jb['prompt']} tokens, {n} new tokens, greedy, KV cache, "
    f"{rounds} alternating rounds ({jb['warmup_generations']} untimed generations first in each)",
    "",
    f"CPU: {cpu}, {os.cpu_count()} cores; THREADS={threads} for both engines, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}.",
    "",
    "| | verbo | PyTorch eager (no_grad) |",
    "|---|---:|---:|",
] + [f"| {a} | {b} | {c} |" for a, b, c in rows] + [
    "",
    f"verbo / PyTorch decode tokens/s: **{jb['decode_tokens_per_s'] / tb['decode_tokens_per_s']:.2f}x** best round, "
    f"{med(js, 'decode_tokens_per_s') / med(ts, 'decode_tokens_per_s'):.2f}x median. "
    f"Prefill time PyTorch / verbo (best): {min(x['prefill_s'] for x in ts) / min(x['prefill_s'] for x in js):.2f}x.",
    "",
    f"Same generated ids: {match} of {n} leading tokens match between the engines"
    + ("" if same_runs else " (runs of one engine differ from each other!)") + ".",
    "",
    f"Engines: {jb['engine']}; {tb['engine']}.",
]
text = "\n".join(lines) + "\n"
open(os.path.join(out, "summary.md"), "w").write(text)
print(text)
PYEOF
