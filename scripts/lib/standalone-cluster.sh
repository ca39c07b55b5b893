# shellcheck shell=bash
# Starts a real Spark standalone cluster on this machine from the Spark jars Maven downloaded: a Master and a Worker
# (CORES cores, WORKER_MEMORY memory) in their own JVMs; the Worker starts executor JVMs for each application.
# Source it, then: standalone_cluster_start WORKDIR [CORES] [WORKER_MEMORY]. It sets SPARK_HOME, MASTER_URL and OPENS,
# and stops both daemons when the calling shell exits.
standalone_cluster_start() {
  local work="$1" cores="${2:-2}" memory="${3:-6g}" root port _
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  OPENS="$(sed -n 's:.*<spark.java17.opens>\(.*\)</spark.java17.opens>.*:\1:p' "$root/pom.xml")"
  # A SPARK_HOME made of the Maven jars: the Worker builds executor command lines from $SPARK_HOME/jars.
  export SPARK_HOME="$work/spark-home" SPARK_SCALA_VERSION=2.13
  rm -rf "$SPARK_HOME" "$work/worker"
  mkdir -p "$SPARK_HOME/jars"
  ln -s "$root"/spark-jobs/target/lib/*.jar "$SPARK_HOME/jars/"
  echo "Spark jars from Maven Central (verbo standalone cluster)" > "$SPARK_HOME/RELEASE"
  port=$((20000 + RANDOM % 20000))
  # shellcheck disable=SC2086
  java $OPENS -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" \
    --webui-port 0 > "$work/master.log" 2>&1 &
  STANDALONE_MASTER_PID=$!
  # shellcheck disable=SC2086
  java $OPENS -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores "$cores" \
    --memory "$memory" --webui-port 0 --work-dir "$work/worker" "spark://127.0.0.1:$port" > "$work/worker.log" 2>&1 &
  STANDALONE_WORKER_PID=$!
  trap 'kill $STANDALONE_WORKER_PID $STANDALONE_MASTER_PID 2>/dev/null || true' EXIT
  for _ in $(seq 60); do grep -q "Successfully registered with master" "$work/worker.log" && break; sleep 1; done
  grep -q "Successfully registered with master" "$work/worker.log" || { echo "worker did not register" >&2; return 1; }
  MASTER_URL="spark://127.0.0.1:$port"
}
