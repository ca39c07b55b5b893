#!/usr/bin/env bash
# sgemm throughput: ND4J's Nd4j.gemm / INDArray.mmul vs cblas_sgemm called directly on the same OpenBLAS, in one JVM,
# square sizes, best of REPS after 3 warm-up calls; then the GEMM shapes of one bench-7m training step; then the
# projection shapes of an embedding batch and a training step through the packed Vector API GEMM against OpenBLAS.
# Env: SIZES (256,512,1024,2048), REPS (10), THREADS (nproc), OUT (target/bench/gemm). Writes $OUT/gemm.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SIZES="${SIZES:-256,512,1024,2048}"
REPS="${REPS:-10}"
THREADS="${THREADS:-$(nproc)}"
OUT="${OUT:-target/bench/gemm}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
mkdir -p "$OUT"
# offline first (fast); a fresh machine with an empty local repository downloads once
{ mvn -B -q -o -pl models compile dependency:build-classpath -Dmdep.outputFile="$ROOT/$OUT/classpath.txt" || mvn -B -q -pl models compile dependency:build-classpath -Dmdep.outputFile="$ROOT/$OUT/classpath.txt"; } >&2
CP="$ROOT/models/target/classes:$(cat "$OUT/classpath.txt")"
{
  OMP_NUM_THREADS="$THREADS" java --add-modules=jdk.incubator.vector -cp "$CP" org.verbo.models.bench.StepProfile gemm --sizes="$SIZES" --reps="$REPS"
  echo
  OMP_NUM_THREADS="$THREADS" java --add-modules=jdk.incubator.vector -cp "$CP" org.verbo.models.bench.StepProfile shapes --reps="$REPS"
  echo
  OMP_NUM_THREADS="$THREADS" java --add-modules=jdk.incubator.vector -cp "$CP" org.verbo.models.bench.StepProfile packed --reps="$REPS"
} 2>&1 | grep -v -E '^SLF4J|^Warning: Versions' | tee "$OUT/gemm.md"
