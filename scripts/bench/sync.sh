#!/usr/bin/env bash
# Distributed pretraining (pretrain --workers=N) against the single-JVM trainer, on embedded Spark (local[2]: two
# trainers on this machine's two cores). Called by `scripts/bench.sh sync [part ...]`; results in docs/BENCHMARKS.md.
#   loss    validation loss at equal training tokens (TOKENS, default 2^20 = 1,048,576): single JVM; 2 workers
#           averaging with H = 10 and 50; 2 workers DiLoCo with H = 10 and 50 (whole rounds: 2 x 250 steps of
#           8 x 256 tokens by default); DiLoCo H = 50 with fp32 and int8
#           deltas and with the inner optimizer state reset every round. PRESET (default tiny) on the sample corpus.
#   overhead  bench-7m (OVERHEAD_PRESET), 2 workers, DiLoCo: time in local training vs outside it per round at
#           H = 50 and H = 100 (AdamW), and H = 50 with SGD-SaI (half the inner state to store per round).
#   memory  200 rounds of H = 1 (tiny, 2 workers): executor off-heap bytes and RSS per round.
# Env: OUT (default target/bench/sync), PRESET, TOKENS (default 1,024,000), OVERHEAD_PRESET, MEMORY_ROUNDS (200).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${OUT:-target/bench/sync}"
PRESET="${PRESET:-tiny}"
TOKENS="${TOKENS:-1024000}"
OVERHEAD_PRESET="${OVERHEAD_PRESET:-bench-7m}"
MEMORY_ROUNDS="${MEMORY_ROUNDS:-200}"
PARTS=("$@"); [[ ${#PARTS[@]} -eq 0 ]] && PARTS=(loss overhead memory)
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
DEMO="$OUT/demo"
if [[ ! -f "$DEMO/shards/manifest.json" ]]; then
  echo "== shards: scripts/demo.sh $DEMO" >&2
  scripts/demo.sh "$DEMO" > "$OUT/demo.log" 2>&1
fi
SHARDS="$DEMO/shards"
CP="$ROOT/spark-jobs/target/verbo-spark-jobs.jar:$ROOT/spark-jobs/target/lib/*"
CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
MB=8
CTX=256
PER_STEP=$((MB * CTX))
COMMON=(--shards="$SHARDS" --conf=conf/demo.conf --overwrite=true --pretrain.micro_batch=$MB --pretrain.log_interval=50
  --pretrain.checkpoint_interval=0)

pretrain() {   # name, extra args...
  local name="$1"; shift
  echo "== $name: $*" >&2
  local t0=$SECONDS
  scripts/verbo pretrain "${COMMON[@]}" --out="$OUT/$name" "$@" > "$OUT/$name.log" 2>&1 || { tail -20 "$OUT/$name.log" >&2; exit 1; }
  echo "$((SECONDS - t0)) s" > "$OUT/$name.time"
  grep -E '^(final|round .*/.* \| step)' "$OUT/$name.log" | tail -2 >&2
}

for part in "${PARTS[@]}"; do
  case "$part" in
    loss)
      S1=$((TOKENS / PER_STEP)); S2=$((S1 / 2)); EV=$((S2 / 5))
      pretrain single --preset="$PRESET" --steps=$S1 --pretrain.eval_interval=$((EV * 2)) --pretrain.eval_batches=0
      for outer in average diloco; do
        for h in 10 50; do
          pretrain "$outer-h$h" --preset="$PRESET" --steps=$S2 --workers=2 --master='local[2]' --pretrain.sync.outer=$outer \
            --pretrain.sync.local_steps=$h --pretrain.eval_interval=$EV --pretrain.eval_batches=0
        done
      done
      for v in "delta=fp32" "delta=int8" "inner_state=reset"; do
        pretrain "diloco-h50-${v#*=}" --preset="$PRESET" --steps=$S2 --workers=2 --master='local[2]' \
          --pretrain.sync.local_steps=50 --pretrain.sync."$v" --pretrain.eval_interval=$EV --pretrain.eval_batches=0
      done
      {
        echo "CPU: $CPU; preset $PRESET; $TOKENS tokens; micro-batch $MB x $CTX; command: scripts/bench.sh sync loss"
        java -cp "$CP" org.verbo.jobs.train.SyncReport "$OUT/loss-vs-tokens.png" $PER_STEP "single JVM=$OUT/single:1" \
          "average H=10=$OUT/average-h10:2" "average H=50=$OUT/average-h50:2" "DiLoCo H=10=$OUT/diloco-h10:2" \
          "DiLoCo H=50=$OUT/diloco-h50:2" "DiLoCo H=50 fp32=$OUT/diloco-h50-fp32:2" \
          "DiLoCo H=50 int8=$OUT/diloco-h50-int8:2" "DiLoCo H=50 state reset=$OUT/diloco-h50-reset:2"
      } | tee "$OUT/loss.md"
      ;;
    overhead)
      for run in "adamw-h50 50 100 adamw" "adamw-h100 100 200 adamw" "sgdsai-h50 50 100 sgd-sai"; do
        read -r name h steps opt <<< "$run"
        lr=(); [[ "$opt" == sgd-sai ]] && lr=(--pretrain.lr=0.03 --pretrain.min_lr=0.003)
        pretrain "overhead-$name" --preset="$OVERHEAD_PRESET" --steps="$steps" --workers=2 --master='local[2]' \
          --pretrain.optimizer="$opt" "${lr[@]}" --pretrain.sync.local_steps="$h" --pretrain.eval_interval=0 \
          --pretrain.eval_batches=4
      done
      {
        echo "CPU: $CPU; preset $OVERHEAD_PRESET; 2 workers on local[2]; command: scripts/bench.sh sync overhead"
        echo
        echo "| run | round | train s | outside s | outside % (w/o final checkpoint) | checkpoint s | state s | MiB to+from driver | delta MiB | state MiB |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for name in adamw-h50 adamw-h100 sgdsai-h50; do
          python3 - "$OUT/overhead-$name/metrics.jsonl" "$name" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    out = r["outside_s"] - r["checkpoint_s"]
    print("| %s | %d | %.1f | %.2f | %.1f%% | %.2f | %.2f | %.1f | %.1f | %.1f |" % (sys.argv[2], r["round"], r["train_s"], out,
        100 * out / (r["train_s"] + out), r["checkpoint_s"], r["state_s"], (r["bytes_to_driver"] + r["bytes_from_driver"]) / 2**20,
        r["delta_bytes"] / 2**20, r["state_bytes"] / 2**20))
PY
        done
      } | tee "$OUT/overhead.md"
      ;;
    memory)
      pretrain memory --preset=tiny --steps="$MEMORY_ROUNDS" --workers=2 --master='local[2]' --pretrain.sync.local_steps=1 \
        --pretrain.eval_interval=0 --pretrain.eval_batches=1 --pretrain.log_interval=1
      python3 - "$OUT/memory/metrics.jsonl" "$CPU" <<'PY' | tee "$OUT/memory.md"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
off = [r["executor_offheap_bytes"] / 2**20 for r in rows]
rss = [r["executor_rss_bytes"] / 2**20 for r in rows]
print("CPU: %s; %d rounds of H=1, tiny, 2 workers on local[2]; command: scripts/bench.sh sync memory" % (sys.argv[2], len(rows)))
print()
print("| rounds | off-heap MiB (JavaCPP) first / round 10 / last / max | RSS MiB first / round 10 / last / max |")
print("|---:|---|---|")
print("| %d | %.1f / %.1f / %.1f / %.1f | %.0f / %.0f / %.0f / %.0f |" % (len(rows), off[0], off[min(9, len(off) - 1)], off[-1], max(off),
      rss[0], rss[min(9, len(rss) - 1)], rss[-1], max(rss)))
half = len(rss) // 2
print()
print("RSS growth over the second half: %+.1f MiB; off-heap growth: %+.2f MiB" % (rss[-1] - rss[half], off[-1] - off[half]))
PY
      ;;
    *) echo "unknown part '$part' (loss|overhead|memory)" >&2; exit 2 ;;
  esac
done
