#!/usr/bin/env bash
# Runs prepare → tokenizer → tokenize on a real multi-process Spark standalone cluster on this machine (a Master, a
# Worker and its executor JVMs, started from the Spark jars Maven already downloaded) through SparkSubmit with the
# cluster jar, then the same pipeline embedded (scripts/demo.sh), and checks the outputs are byte-identical.
#   scripts/standalone-check.sh [WORKDIR]        (default target/standalone-check)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mkdir -p "${1:-$ROOT/target/standalone-check}" && cd "${1:-$ROOT/target/standalone-check}" && pwd)"
cd "$ROOT"
[[ -f spark-jobs/target/verbo-spark-jobs.jar && -d spark-jobs/target/lib ]] || mvn -B -q -DskipTests package
[[ -f spark-jobs/target/verbo-spark-jobs-cluster.jar ]] || mvn -B -q -Pcluster -DskipTests package -pl spark-jobs
SAMPLE="$(scripts/fetch-sample.sh)"
OPENS="$(sed -n 's:.*<spark.java17.opens>\(.*\)</spark.java17.opens>.*:\1:p' pom.xml)"

# A SPARK_HOME made of the Maven jars: the Worker builds executor command lines from $SPARK_HOME/jars.
export SPARK_HOME="$WORK/spark-home" SPARK_SCALA_VERSION=2.13
rm -rf "$SPARK_HOME" "$WORK/out-cluster" "$WORK/out-embedded"
mkdir -p "$SPARK_HOME/jars"
ln -s "$ROOT"/spark-jobs/target/lib/*.jar "$SPARK_HOME/jars/"
echo "Spark jars from Maven Central (verbo standalone check)" > "$SPARK_HOME/RELEASE"
PORT=$((20000 + RANDOM % 20000))
# shellcheck disable=SC2086
java $OPENS -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$PORT" \
  --webui-port 0 > "$WORK/master.log" 2>&1 &
MASTER=$!
# shellcheck disable=SC2086
java $OPENS -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 2 --memory 6g \
  --webui-port 0 --work-dir "$WORK/worker" "spark://127.0.0.1:$PORT" > "$WORK/worker.log" 2>&1 &
WORKER=$!
trap 'kill $WORKER $MASTER 2>/dev/null || true' EXIT
for _ in $(seq 60); do grep -q "Successfully registered with master" "$WORK/worker.log" && break; sleep 1; done
grep -q "Successfully registered with master" "$WORK/worker.log" || { echo "worker did not register" >&2; exit 1; }

submit() {
  # shellcheck disable=SC2086
  java $OPENS -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.SparkSubmit --master "spark://127.0.0.1:$PORT" \
    --conf spark.executor.memory=2g --class org.verbo.jobs.cli.Verbo spark-jobs/target/verbo-spark-jobs-cluster.jar \
    "$@" 2>>"$WORK/submit.log" | grep -vE '^bpe:'
}
echo "== cluster (spark://127.0.0.1:$PORT, executors in separate JVMs)"
submit prepare --input="$SAMPLE" --out="$WORK/out-cluster" --conf=conf/demo.conf | tail -2
submit tokenizer --out="$WORK/out-cluster" | tail -1
submit tokenize --out="$WORK/out-cluster" --conf=conf/demo.conf | tail -1
echo "executor JVMs started by the worker: $(find "$WORK/worker" -name stderr | wc -l)"
echo "== embedded"
scripts/demo.sh "$WORK/out-embedded" > "$WORK/embedded.log" 2>&1
status=0
cmp -s "$WORK/out-cluster/tokenizer.json" "$WORK/out-embedded/tokenizer.json" && echo "tokenizer.json identical" || { echo "tokenizer.json DIFFERS"; status=1; }
for s in train val; do
  a=$(cat "$WORK"/out-cluster/shards/$s/*.bin | md5sum | cut -c1-32); b=$(cat "$WORK"/out-embedded/shards/$s/*.bin | md5sum | cut -c1-32)
  [[ "$a" == "$b" ]] && echo "$s shards identical ($a)" || { echo "$s shards DIFFER"; status=1; }
done
exit $status
