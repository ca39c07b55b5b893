#!/usr/bin/env bash
# Runs verbo on a real multi-process Spark standalone cluster on this machine (a Master, a Worker and two executor
# JVMs, started from the Spark jars Maven downloaded) through SparkSubmit with the cluster jar, and checks it against
# the embedded runs:
#   1. prepare → tokenizer → tokenize on the cluster vs scripts/demo.sh embedded: tokenizer.json and shards
#      byte-identical;
#   2. pretrain --workers=2 (DiLoCo, two rounds, inner optimizer states kept across rounds) on the cluster vs the same command embedded (local[2]): the final
#      checkpoint byte-identical (model, outer momentum, both workers' optimizer states, config, tokenizer; the
#      trainer_state.json without its elapsed time);
#   3. pretrain with executors whose ND4J cannot load fails within seconds with one line naming the executor.
#   scripts/standalone-check.sh [WORKDIR]        (default target/standalone-check)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mkdir -p "${1:-$ROOT/target/standalone-check}" && cd "${1:-$ROOT/target/standalone-check}" && pwd)"
cd "$ROOT"
# Whole-reactor builds: the spark-jobs module needs its siblings, which are in no repository on a fresh machine.
[[ -f spark-jobs/target/verbo-spark-jobs.jar && -d spark-jobs/target/lib ]] || mvn -B -q -DskipTests package
[[ -f spark-jobs/target/verbo-spark-jobs-cluster.jar ]] || mvn -B -q -Pcluster -DskipTests package
SAMPLE="$(scripts/fetch-sample.sh)"
MODULES="$(sed -n 's:.*<verbo.jvm.modules>\(.*\)</verbo.jvm.modules>.*:\1:p' pom.xml)"
export DJL_OFFLINE=true RUST_FLAVOR=cpu OMP_WAIT_POLICY=PASSIVE

rm -rf "$WORK/out-cluster" "$WORK/out-embedded" "$WORK/pretrain-cluster" "$WORK/pretrain-embedded" "$WORK/pretrain-broken"
# shellcheck source=scripts/lib/standalone-cluster.sh
source "$ROOT/scripts/lib/standalone-cluster.sh"
standalone_cluster_start "$WORK" 2 6g
PORT="${MASTER_URL##*:}"

submit() {
  # Client mode: the driver is this JVM. One core per executor, so the Worker starts two executor JVMs.
  # shellcheck disable=SC2086
  java $OPENS $MODULES -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.SparkSubmit --master "spark://127.0.0.1:$PORT" \
    --conf spark.executor.memory=1500m --conf spark.executor.cores=1 \
    --conf "spark.executor.extraJavaOptions=$MODULES" --conf spark.executorEnv.OMP_WAIT_POLICY=PASSIVE \
    --class org.verbo.jobs.cli.Verbo spark-jobs/target/verbo-spark-jobs-cluster.jar \
    "$@" 2>>"$WORK/submit.log" | grep -vE '^bpe:'
}
echo "== cluster (spark://127.0.0.1:$PORT, executors in separate JVMs)"
submit prepare --input="$SAMPLE" --out="$WORK/out-cluster" --conf=conf/demo.conf | tail -2
submit tokenizer --out="$WORK/out-cluster" | tail -1
submit tokenize --out="$WORK/out-cluster" --conf=conf/demo.conf | tail -1
PRETRAIN=(pretrain --shards="$WORK/out-cluster/shards" --conf=conf/demo.conf --workers=2 --steps=16 --pretrain.sync.inner_state=keep
  --pretrain.sync.local_steps=8 --pretrain.warmup=2 --pretrain.eval_interval=8 --pretrain.checkpoint_interval=8)
submit "${PRETRAIN[@]}" --out="$WORK/pretrain-cluster" | grep -E '^(distributed|round)'
echo "executor JVMs started by the worker: $(find "$WORK/worker" -name stderr | wc -l)"
echo "== executors whose ND4J cannot load (JavaCPP told to look for another platform's native libraries)"
t0=$SECONDS
# shellcheck disable=SC2086
if java $OPENS $MODULES -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.SparkSubmit --master "spark://127.0.0.1:$PORT" \
    --conf spark.executor.memory=1500m --conf spark.executor.cores=1 \
    --conf "spark.executor.extraJavaOptions=$MODULES -Dorg.bytedeco.javacpp.platform=linux-arm64" \
    --class org.verbo.jobs.cli.Verbo spark-jobs/target/verbo-spark-jobs-cluster.jar "${PRETRAIN[@]}" \
    --out="$WORK/pretrain-broken" > "$WORK/broken.out" 2> "$WORK/broken.err"; then
  echo "pretrain with broken executors did NOT fail"; BROKEN=1
else
  echo "failed after $((SECONDS - t0)) s; the command's own error line: $(grep -m1 '^verbo pretrain' "$WORK/broken.err" || echo '(none)')"
  grep -q '^verbo pretrain: ND4J cannot start on executor' "$WORK/broken.err" && BROKEN=0 || BROKEN=1
fi
echo "== embedded"
# EMBEDDED_DEMO: an existing scripts/demo.sh output to compare with (CI passes the one it just made), else a new run.
if [[ -n "${EMBEDDED_DEMO:-}" && -f "$EMBEDDED_DEMO/shards/manifest.json" ]]; then
  ln -sfn "$(cd "$EMBEDDED_DEMO" && pwd)" "$WORK/out-embedded"
else
  scripts/demo.sh "$WORK/out-embedded" > "$WORK/embedded.log" 2>&1
fi
scripts/verbo "${PRETRAIN[@]}" --master='local[2]' --out="$WORK/pretrain-embedded" > "$WORK/pretrain-embedded.log" 2>&1
status=$BROKEN
cmp -s "$WORK/out-cluster/tokenizer.json" "$WORK/out-embedded/tokenizer.json" && echo "tokenizer.json identical" || { echo "tokenizer.json DIFFERS"; status=1; }
for s in train val; do
  a=$(cat "$WORK"/out-cluster/shards/$s/*.bin | md5sum | cut -c1-32); b=$(cat "$WORK"/out-embedded/shards/$s/*.bin | md5sum | cut -c1-32)
  [[ "$a" == "$b" ]] && echo "$s shards identical ($a)" || { echo "$s shards DIFFER"; status=1; }
done
C="$WORK/pretrain-cluster/checkpoints/step-16"
E="$WORK/pretrain-embedded/checkpoints/step-16"
for f in model.safetensors config.json tokenizer.json outer_optimizer.safetensors workers/worker-00000.safetensors \
         workers/worker-00001.safetensors; do
  if [[ -f "$C/$f" && -f "$E/$f" ]] && cmp -s "$C/$f" "$E/$f"; then
    echo "pretrain $f identical ($(md5sum < "$C/$f" | cut -c1-32))"
  else
    echo "pretrain $f DIFFERS"; status=1
  fi
done
if diff <(grep -v elapsed_s "$C/trainer_state.json") <(grep -v elapsed_s "$E/trainer_state.json") >/dev/null; then
  echo "pretrain trainer_state.json identical but for elapsed_s"
else
  echo "pretrain trainer_state.json DIFFERS"; status=1
fi
echo "pretrain executors per round (worker order): $(grep -o '"executors":"[^"]*"' "$WORK/pretrain-cluster/metrics.jsonl" | cut -d'"' -f4 | paste -sd' ')"
exit $status
