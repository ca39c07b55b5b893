#!/usr/bin/env bash
# Runs a verbo command on a real cluster through spark-submit, with the cluster jar (everything but Spark).
#   scripts/submit.sh [spark-submit options ...] -- <command> [verbo options ...]
# e.g. scripts/submit.sh --master spark://head:7077 --executor-memory 8g -- prepare --input=hdfs:///raw --out=hdfs:///prep
# Builds spark-jobs/target/verbo-spark-jobs-cluster.jar (mvn -Pcluster package) when it is missing.
# SPARK_HOME must point at a Spark 4.0.x (Scala 2.13) installation, or spark-submit must be on PATH.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/spark-jobs/target/verbo-spark-jobs-cluster.jar"
SUBMIT="${SPARK_HOME:+$SPARK_HOME/bin/}spark-submit"

SPARK_ARGS=()
while [[ $# -gt 0 && "$1" != "--" ]]; do SPARK_ARGS+=("$1"); shift; done
[[ "${1:-}" == "--" ]] && shift
if [[ $# -eq 0 ]]; then
  echo "usage: scripts/submit.sh [spark-submit options ...] -- <command> [verbo options ...]" >&2
  exit 2
fi
if [[ ! -f "$JAR" || "${VERBO_REBUILD:-0}" == "1" ]]; then
  echo "submit: building the cluster jar (mvn -Pcluster package)..." >&2
  (cd "$ROOT" && mvn -B -q -Pcluster -DskipTests package) >&2
fi
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"   # a client-mode driver inherits it (docs/PERFORMANCE.md)
# --add-modules=jdk.incubator.vector: the models' SIMD kernels (org.verbo.models.nn.Kernels) on driver and executors.
# Options of your own for spark.executor.extraJavaOptions must repeat it (a later --conf replaces this one).
exec "$SUBMIT" --class org.verbo.jobs.cli.Verbo \
  --conf spark.executorEnv.DJL_OFFLINE=true --conf spark.executorEnv.RUST_FLAVOR=cpu \
  --conf spark.executorEnv.OMP_WAIT_POLICY=PASSIVE \
  --driver-java-options "--add-modules=jdk.incubator.vector" \
  --conf spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector \
  "${SPARK_ARGS[@]}" "$JAR" "$@"
