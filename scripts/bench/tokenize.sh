#!/usr/bin/env bash
# Tokenizer benchmark: verbo's BpeEncoder vs Hugging Face tokenizers (Rust, through DJL) on the
# same text and the same tokenizer.json, in one JVM, after a warm-up that also checks both give
# the same ids. Prints a table (tokens/s, MB/s) and the single-thread ratio.
#
#   scripts/bench/tokenize.sh                        # 4 MB of generated text, trains an 8192 vocab
#   scripts/bench/tokenize.sh --input corpus.txt     # your text (documents = paragraphs)
#   scripts/bench/tokenize.sh --tokenizer tokenizer.json --mb 8 --repeats 7
#
# Builds data-prep into its own build dir (VERBO_BENCH_BUILD_DIR, default data-prep/target-bench)
# so it never disturbs a concurrent build; Maven runs offline when the local repository allows.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${VERBO_BENCH_BUILD_DIR:-$ROOT/data-prep/target-bench}"
cd "$ROOT"

mvn_q() {
  mvn -B -q -o "$@" || mvn -B -q "$@"
}

echo "building data-prep into $BUILD ..." >&2
mvn_q -pl data-prep -Dverbo.build.dir="$BUILD" -DskipTests compile
mvn_q -pl data-prep -Dverbo.build.dir="$BUILD" dependency:build-classpath \
  -Dmdep.outputFile="$BUILD/bench-classpath.txt" -Dmdep.includeScope=runtime

# DJL: use the native library bundled in the jar, never download.
export DJL_OFFLINE=true RUST_FLAVOR=cpu

exec java -Xmx4g -cp "$BUILD/classes:$(cat "$BUILD/bench-classpath.txt")" \
  org.verbo.prep.bpe.bench.TokenizeBench "$@"
