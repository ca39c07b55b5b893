#!/usr/bin/env bash
# Training throughput: verbo (ND4J, CPU backend) vs PyTorch eager on CPU, same architecture (bench-7m), same
# batch (8 x 256 tokens), same blocks, AdamW; then SGD-SaI on the same data. Called by `scripts/bench.sh train`.
#
# Env: STEPS (timed steps, default 20), WARMUP (untimed steps, 3: the JIT and the ND4J workspace, which learns its
#      size in step 1 and allocates it in step 2, settle by step 3; PyTorch gets the same 3), BATCH (8), PRESET (bench-7m),
#      THREADS (CPU threads for both engines, default nproc), ROUNDS (2), OUT (default target/bench/train),
#      JAVA_OPTS (extra options for verbo's JVM, e.g. -Dverbo.vectorKernels=false for the ND4J reference paths),
#      verbo's JVM runs with -Xmx1g (the bench needs under 300 MB of heap; a 4 GB heap let G1 keep ~180 MB more
#      resident) and $NATIVE_TRIM (scripts/lib/native-trim.sh),
#      OMP_WAIT_POLICY (both engines, default PASSIVE: idle OpenMP workers sleep instead of spinning, so they do not
#      steal the cores OpenBLAS's own pthreads need for the next GEMM; docs/PERFORMANCE.md measures ~1.5x for each engine).
# The engines run alternately ROUNDS times and each engine's best round (by median step time) is reported, so a
# burst of other work on a shared machine does not decide the ratio.
# Writes $OUT/rN/{java,torch}.json, $OUT/optimizers.png and $OUT/summary.md (the table for docs/BENCHMARKS.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
STEPS="${STEPS:-20}"
WARMUP="${WARMUP:-3}"
BATCH="${BATCH:-8}"
PRESET="${PRESET:-bench-7m}"
THREADS="${THREADS:-$(nproc)}"
ROUNDS="${ROUNDS:-2}"
OUT="${OUT:-target/bench/train}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
mkdir -p "$OUT"
# shellcheck source=scripts/bench/torch-env.sh
source "$ROOT/scripts/bench/torch-env.sh"
# shellcheck source=scripts/lib/native-trim.sh
source "$ROOT/scripts/lib/native-trim.sh"

echo "building models ..." >&2
# offline first (fast); a fresh machine with an empty local repository downloads once
{ mvn -B -q -o -pl models compile dependency:build-classpath -Dmdep.outputFile="$ROOT/$OUT/classpath.txt" || mvn -B -q -pl models compile dependency:build-classpath -Dmdep.outputFile="$ROOT/$OUT/classpath.txt"; } >&2
CP="$ROOT/models/target/classes:$(cat "$OUT/classpath.txt")"

echo "== parity: verbo checkpoint loaded by HF names into the PyTorch twin, logits compared" >&2
java --add-modules=jdk.incubator.vector -cp "$CP" org.verbo.models.bench.ParityDump --preset="$PRESET" --out="$OUT/parity" 2>&1 | grep -v '^SLF4J' >&2
"$PY" "$ROOT/scripts/bench/train_torch.py" --parity "$OUT/parity" | tee "$OUT/parity.json" >&2

for r in $(seq 1 "$ROUNDS"); do
  mkdir -p "$OUT/r$r"
  curve=0; [ "$r" = 1 ] && curve=150   # the optimizer loss-curve comparison runs once
  echo "== round $r: verbo (ND4J) $PRESET batch $BATCH, $STEPS timed steps, $THREADS threads" >&2
  OMP_NUM_THREADS="$THREADS" java -Xmx1g $NATIVE_TRIM --add-modules=jdk.incubator.vector ${JAVA_OPTS:-} -cp "$CP" org.verbo.models.bench.TrainBench --preset="$PRESET" \
    --batch="$BATCH" --steps="$STEPS" --warmup="$WARMUP" --curve-steps="$curve" --out="$OUT/r$r" 2>&1 \
    | grep -v '^SLF4J' >"$OUT/r$r/java.log"
  grep -E ' step |^curve' "$OUT/r$r/java.log" >&2 || true
  echo "== round $r: PyTorch eager CPU, same data" >&2
  "$PY" "$ROOT/scripts/bench/train_torch.py" --data "$OUT/r$r/data.bin" --preset "$PRESET" --batch "$BATCH" \
    --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" --out "$OUT/r$r/torch.json" >/dev/null
done
cp "$OUT/r1/optimizers.png" "$OUT/optimizers.png"

"$PY" - "$OUT" "$ROUNDS" <<'PYEOF'
import json, os, platform, sys
out, rounds = sys.argv[1], int(sys.argv[2])
js = [json.load(open(os.path.join(out, f"r{r}", "java.json"))) for r in range(1, rounds + 1)]
ts = [json.load(open(os.path.join(out, f"r{r}", "torch.json"))) for r in range(1, rounds + 1)]
j = js[0]
best = lambda runs: max(runs, key=lambda x: x["tokens_per_s"])
a = best([x["adamw"] for x in js])
s = best([x["sgd-sai"] for x in js])
t = best(ts)
mib = lambda b: f"{b / 2**20:,.1f} MiB"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
rows = [
    ("median step time", f"{a['median_step_s']:.2f} s", f"{s['median_step_s']:.2f} s", f"{t['median_step_s']:.2f} s"),
    ("tokens/s (median step)", f"{a['tokens_per_s']:,.0f}", f"{s['tokens_per_s']:,.0f}", f"{t['tokens_per_s']:,.0f}"),
    ("tokens/s (mean over run)", f"{a['tokens_per_s_mean']:,.0f}", f"{s['tokens_per_s_mean']:,.0f}", f"{t['tokens_per_s_mean']:,.0f}"),
    ("achieved GFLOP/s (6 x all parameters + attention)", f"{a['gflops_per_s']:.1f}", f"{s['gflops_per_s']:.1f}", f"{t['gflops_per_s']:.1f}"),
    ("matrix-product GFLOP/s / share of this run's sgemm peak (MFU)",
     f"{a['matmul_gflops_per_s']:.1f} / {a['mfu_of_sgemm_peak']:.0%}", f"{s['matmul_gflops_per_s']:.1f} / {s['mfu_of_sgemm_peak']:.0%}",
     f"{t['tokens_per_s'] * j['matmul_flops_per_token'] / 1e9:.1f} / {t['tokens_per_s'] * j['matmul_flops_per_token'] / 1e9 / max(x['sgemm_peak_gflops'] for x in js):.0%} (of the highest peak)"),
    ("MFU step by step against the peak probe run right after each step (median)",
     f"{a['mfu_paired']:.0%} (probe median {a['peak_probe_median_gflops']:.0f})",
     f"{s['mfu_paired']:.0%} (probe median {s['peak_probe_median_gflops']:.0f})", "n/a"),
    ("first step / median step", f"{a['first_step_s']:.2f} s / {a['first_over_median']:.1f}x",
     f"{s['first_step_s']:.2f} s / {s['first_over_median']:.1f}x",
     f"{t['first_step_s']:.2f} s / {t['first_step_s'] / t['median_step_s']:.1f}x" if 'first_step_s' in t else "n/a"),
    ("peak heap", mib(a["peak_heap_bytes"]), mib(s["peak_heap_bytes"]), "n/a"),
    ("peak off-heap (ND4J workspaces + weights, grads, state)", mib(a["peak_offheap_bytes"]), mib(s["peak_offheap_bytes"]), "n/a"),
    ("peak RSS (high-water mark)", mib(a["peak_rss_bytes"]), mib(s["peak_rss_bytes"]), mib(t["peak_rss_bytes"])),
    ("optimizer state", mib(a["optimizer_state_bytes"]), mib(s["optimizer_state_bytes"]), mib(t["optimizer_state_bytes"])),
    ("loss after last step", f"{a['losses'][-1]:.4f}", f"{s['losses'][-1]:.4f}", f"{t['losses'][-1]:.4f}"),
]
lines = [
    f"### Training throughput: {j['preset']} ({j['parameters']:,} parameters), batch {j['batch']} x {j['context']} tokens, "
    f"{j['steps']} timed steps after {j['warmup_steps']} warm-up, best of {rounds} alternating rounds per engine",
    "",
    f"CPU: {cpu}, {os.cpu_count()} cores; {j['omp_threads']} threads for both engines, "
    f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}. "
    f"FLOPs/token = 6 x parameters + 12 x layers x context x hidden = {j['flops_per_token'] / 1e6:.1f} MFLOP; "
    f"matrix products only (q, k, v, o, gate, up, down, LM head; no embedding gather) = {j['matmul_flops_per_token'] / 1e6:.1f} MFLOP. "
    f"sgemm peak measured in each verbo JVM (cblas_sgemm 2048^3, and the packed GEMM at 2048 x 1536 x 2048 where it "
    "takes the products; best before and after its runs), round by round: "
    + " / ".join(f"{x['sgemm_peak_gflops']:.1f}" for x in js) + " GFLOP/s; verbo's MFU is against its own round's peak, "
    "round by round (AdamW): " + ", ".join(f"{x['adamw']['mfu_of_sgemm_peak']:.0%}" for x in js) + "; against the probe after each step "
    "(median of the step-by-step ratios), round by round (AdamW): "
    + ", ".join(f"{x['adamw']['mfu_paired']:.0%}" for x in js) + ".",
    "",
    "| | verbo AdamW | verbo SGD-SaI | PyTorch eager AdamW |",
    "|---|---:|---:|---:|",
] + [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |" for r in rows] + [
    "",
    f"verbo / PyTorch tokens/s (AdamW): **{a['tokens_per_s'] / t['tokens_per_s']:.2f}x** (best rounds); round by round "
    + ", ".join(f"{x['adamw']['tokens_per_s'] / y['tokens_per_s']:.2f}x" for x, y in zip(js, ts)) + ". "
    f"SGD-SaI / AdamW optimizer state: **{j['sgd_sai_over_adamw_state']:.3f}** (paper: about 0.5).",
    "",
    f"Engines: {j['engine']}; {t['engine']} (BLAS: libopenblas0-pthread).",
    "Parity: verbo's checkpoint loaded by its Hugging Face tensor names into the PyTorch implementation gives the same "
    "logits (" + ", ".join(f"{k} {v:.3g}" for k, v in json.load(open(os.path.join(out, "parity.json"))).items()) + ").",
]
c = j.get("curve")
if c:
    ca, cs = c["adamw"], c["sgd-sai"]
    pick = lambda l: " / ".join(f"{l[i]:.3f}" for i in (0, len(l) // 4, len(l) // 2, 3 * len(l) // 4, len(l) - 1))
    lines += [
        "",
        f"### AdamW vs SGD-SaI loss curves (same data, same initial weights; {c['parameters']:,}-parameter Llama, "
        f"batch {c['batch']} x {c['context']}, {c['steps']} steps, cosine to lr/10)",
        "",
        "| optimizer | peak lr | state | loss at step 1 / 25% / 50% / 75% / end |",
        "|---|---:|---:|---|",
        f"| AdamW | {ca['lr']} | {ca['optimizer_state_bytes']:,} B | {pick(ca['losses'])} |",
        f"| SGD-SaI | {cs['lr']} | {cs['optimizer_state_bytes']:,} B | {pick(cs['losses'])} |",
        "",
        "Plot: `optimizers.png`.",
    ]
text = "\n".join(lines) + "\n"
open(os.path.join(out, "summary.md"), "w").write(text)
print(text)
PYEOF
