#!/usr/bin/env bash
# Inference throughput (forward only, logits of every position), batch 32 x context, verbo (ND4J) vs PyTorch eager
# (torch.no_grad), same architecture and thread settings as train.sh; engines alternate ROUNDS times, best round each.
# Env: PRESET (bench-7m), BATCH (32), STEPS (5), THREADS (nproc), ROUNDS (2), OUT (target/bench/infer),
#      JAVA_OPTS (extra options for verbo's JVM, e.g. -Dverbo.vectorKernels=false for the ND4J reference paths).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PRESET="${PRESET:-bench-7m}"
BATCH="${BATCH:-32}"
STEPS="${STEPS:-5}"
THREADS="${THREADS:-$(nproc)}"
ROUNDS="${ROUNDS:-2}"
OUT="${OUT:-target/bench/infer}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
PY=/usr/bin/python3
mkdir -p "$OUT"
# offline first (fast); a fresh machine with an empty local repository downloads once
{ mvn -B -q -o -pl models compile dependency:build-classpath -Dmdep.outputFile="$ROOT/$OUT/classpath.txt" || mvn -B -q -pl models compile dependency:build-classpath -Dmdep.outputFile="$ROOT/$OUT/classpath.txt"; } >&2
CP="$ROOT/models/target/classes:$(cat "$OUT/classpath.txt")"
for r in $(seq 1 "$ROUNDS"); do
  OMP_NUM_THREADS="$THREADS" java -Xmx4g --add-modules=jdk.incubator.vector ${JAVA_OPTS:-} -cp "$CP" org.verbo.models.bench.StepProfile infer --preset="$PRESET" \
    --batch="$BATCH" --steps="$STEPS" 2>&1 | grep '^forward' | tail -n +2 >"$OUT/java-r$r.txt"
  "$PY" "$ROOT/scripts/bench/train_torch.py" --infer --preset "$PRESET" --batch "$BATCH" --steps "$STEPS" \
    --threads "$THREADS" >"$OUT/torch-r$r.txt"
done
"$PY" - "$OUT" "$ROUNDS" "$PRESET" "$BATCH" <<'PYEOF'
import sys, os, statistics
out, rounds, preset, batch = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def best(prefix):
    meds = []
    for r in range(1, rounds + 1):
        tps = [float(l.split()[-2]) for l in open(os.path.join(out, f"{prefix}-r{r}.txt")) if l.strip()]
        meds.append(statistics.median(tps))
    return max(meds)
j, t = best("java"), best("torch")
text = (f"### Inference throughput: {preset}, forward only, batch {batch}, best of {rounds} alternating rounds "
        f"(median forward per round), OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}\n\n"
        f"| | verbo (ND4J) | PyTorch eager (no_grad) |\n|---|---:|---:|\n| tokens/s | {j:,.0f} | {t:,.0f} |\n\n"
        f"verbo / PyTorch: **{j / t:.2f}x**\n")
open(os.path.join(out, "summary.md"), "w").write(text)
print(text)
PYEOF
