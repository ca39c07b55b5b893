#!/usr/bin/env bash
# Per-stage, single-thread throughput of prepare's per-byte work (decode, HTML extraction, normalise, quality
# filters, shingling, MinHash signatures, and DocumentReader + normalise + quality together), in one JVM without
# Spark, on the in-memory files of a directory; best of --repeats round-robin passes after a warm-up. Prints MB/s of
# input bytes per stage and a digest of each stage's outputs (equal digests = equal results across builds).
#
#   scripts/bench.sh prepare-stages                                  # the three bench corpora below, if present
#   scripts/bench.sh prepare-stages --input DIR [--format auto|text|jsonl|html] [--text-split line] [--repeats 5]
#
# Default corpora (as scripts/bench/prepare.sh): target/bench-html/corpus (real HTML), target/bench-gen/jsonl
# and target/bench-gen/text (text with --text-split line). VERBO_BENCH_DATA overrides the target/ directory.
# Builds data-prep into its own build dir (VERBO_BENCH_BUILD_DIR, default data-prep/target-bench).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${VERBO_BENCH_BUILD_DIR:-$ROOT/data-prep/target-bench}"
DATA="${VERBO_BENCH_DATA:-$ROOT/target}"
cd "$ROOT"

mvn_q() {
  mvn -B -q -o "$@" || mvn -B -q "$@"
}

echo "building data-prep into $BUILD ..." >&2
mvn_q -pl data-prep -Dverbo.build.dir="$BUILD" -DskipTests compile
mvn_q -pl data-prep -Dverbo.build.dir="$BUILD" dependency:build-classpath \
  -Dmdep.outputFile="$BUILD/bench-classpath.txt" -Dmdep.includeScope=runtime

# The Vector API module, as scripts/verbo passes it: the signatures stage's MinHash loop uses it.
MODULES="$(sed -n 's:.*<verbo.jvm.modules>\(.*\)</verbo.jvm.modules>.*:\1:p' "$ROOT/pom.xml")"

run() {
  # shellcheck disable=SC2086
  java -Xmx6g $MODULES -cp "$BUILD/classes:$(cat "$BUILD/bench-classpath.txt")" \
    org.verbo.prep.quality.bench.PrepareStagesBench "$@"
}

if [[ $# -gt 0 ]]; then
  run "$@"
  exit
fi
for corpus in "bench-html/corpus" "bench-gen/jsonl" "bench-gen/text"; do
  dir="$DATA/$corpus"
  if [[ ! -d "$dir" ]]; then
    echo "skipping $dir (missing; scripts/bench.sh prepare creates it)" >&2
    continue
  fi
  extra=()
  [[ "$corpus" == */text ]] && extra=(--text-split line)
  run --input "$dir" "${extra[@]}"
  echo
done
