#!/usr/bin/env bash
# The vector store's float32 HNSW build (what `verbo embed`'s driver does after the stage) with the Vector API scorer
# against Lucene's own scalar similarity functions, alternating in one JVM on the same seeded random unit vectors
# (org.verbo.embeddings.bench.HnswBuildBench). Called by `scripts/bench.sh hnsw [--n=20000] [--dim=256] [--rounds=3]`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${OUT:-target/bench/hnsw}"
mkdir -p "$OUT"
echo "building models + embeddings ..." >&2
{ mvn -B -q -o -pl models,embeddings -am compile dependency:build-classpath -Dmdep.outputFile="$ROOT/$OUT/classpath.txt" \
  || mvn -B -q -pl models,embeddings -am compile dependency:build-classpath -Dmdep.outputFile="$ROOT/$OUT/classpath.txt"; } >&2
CP="$ROOT/embeddings/target/classes:$ROOT/models/target/classes:$(cat "$OUT/classpath.txt")"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "CPU: $cpu, $(nproc) cores" | tee "$OUT/summary.txt"
java -Xmx4g --add-modules=jdk.incubator.vector -cp "$CP" org.verbo.embeddings.bench.HnswBuildBench "$@" 2>&1 \
  | grep -v '^SLF4J\|incubat\|^Warning: Versions\|VectorizationProvider\|^WARNING' | tee -a "$OUT/summary.txt"
