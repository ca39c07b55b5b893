#!/usr/bin/env bash
# Driver and executor memory of prepare → tokenizer → tokenize on a real standalone cluster on this machine (a Master,
# a Worker and two one-core executor JVMs; the driver in its own JVM with a 2 GB heap), so the driver's memory can be
# told apart from the executors' (embedded local[*] runs both in one JVM). Run it on corpora of different sizes: the
# driver's figures must not grow with the input.
#   scripts/bench.sh prepare-cluster INPUT_DIR [OUT] [extra prepare options...]
#   e.g. scripts/bench.sh prepare-cluster target/scale-gen/jsonl target/bench-cluster-1g --id-col=id
# Per stage: wall seconds; the driver's peak RSS (/usr/bin/time) and largest heap after a GC (-Xlog:gc); the same two
# for the executors (the largest of the executor JVMs, sampled every second from /proc, and their GC logs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INPUT="$(cd "${1:?usage: prepare-cluster INPUT_DIR [OUT] [options...]}" && pwd)"
OUT="$(mkdir -p "${2:-$ROOT/target/bench-cluster}" && cd "${2:-$ROOT/target/bench-cluster}" && pwd)"
shift $(( $# >= 2 ? 2 : 1 ))
cd "$ROOT"
[[ -f spark-jobs/target/verbo-spark-jobs.jar && -d spark-jobs/target/lib ]] || mvn -B -q -DskipTests package
[[ -f spark-jobs/target/verbo-spark-jobs-cluster.jar ]] || mvn -B -q -Pcluster -DskipTests package
MODULES="$(sed -n 's:.*<verbo.jvm.modules>\(.*\)</verbo.jvm.modules>.*:\1:p' pom.xml)"
export DJL_OFFLINE=true RUST_FLAVOR=cpu OMP_WAIT_POLICY=PASSIVE
rm -rf "$OUT/run" "$OUT"/gc-* "$OUT"/*.time "$OUT"/*.hwm
# shellcheck source=scripts/lib/standalone-cluster.sh
source "$ROOT/scripts/lib/standalone-cluster.sh"
standalone_cluster_start "$OUT" 2 8g

stage() {
  local name="$1"; shift
  # Executors: the largest VmHWM of any executor JVM, sampled every second while the stage runs.
  ( while :; do
      for p in $(pgrep -f CoarseGrainedExecutorBackend || true); do
        awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || true
      done
      sleep 1
    done > "$OUT/$name.hwm" ) &
  local sampler=$!
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %M" -o "$OUT/$name.time" java -Xmx2g $OPENS $MODULES -Xlog:gc:file="$OUT/gc-driver-$name.log" \
    -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.SparkSubmit --master "$MASTER_URL" \
    --conf spark.executor.memory=3g --conf spark.executor.cores=1 \
    --conf "spark.executor.extraJavaOptions=$MODULES -Xlog:gc:file=$OUT/gc-exec-$name-%p.log" \
    --conf spark.executorEnv.OMP_WAIT_POLICY=PASSIVE \
    --class org.verbo.jobs.cli.Verbo spark-jobs/target/verbo-spark-jobs-cluster.jar "$@" > "$OUT/$name.log" 2>&1
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
}
stage prepare prepare --input="$INPUT" --out="$OUT/run" "$@"
stage tokenizer tokenizer --corpus="$OUT/run/corpus" --out="$OUT/run"
stage tokenize tokenize --corpus="$OUT/run/corpus" --tokenizer="$OUT/run/tokenizer.json" --out="$OUT/run"

# Largest heap after a collection in a -Xlog:gc file: "... 812M->301M(2048M) ...".
after_gc() { cat "$@" 2>/dev/null | sed -n 's/.*->\([0-9]*\)M(.*/\1/p' | sort -n | tail -n 1; }
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; input $(du -sm "$INPUT" | cut -f1) MB"
printf '%-10s %8s %16s %22s %18s %24s\n' stage wall_s driver_rss_MB driver_heap_after_gc_MB executor_rss_MB executor_heap_after_gc_MB
for s in prepare tokenizer tokenize; do
  read -r wall rss < <(tail -n 1 "$OUT/$s.time")
  hwm="$(sort -n "$OUT/$s.hwm" 2>/dev/null | tail -n 1 || true)"
  printf '%-10s %8.1f %16d %22s %18s %24s\n' "$s" "$wall" $((rss / 1024)) "$(after_gc "$OUT/gc-driver-$s.log")" \
    "$(( ${hwm:-0} / 1024 ))" "$(after_gc "$OUT"/gc-exec-"$s"-*.log)"
done
grep -h '^\[' "$OUT/prepare.log" | tail -n 6
