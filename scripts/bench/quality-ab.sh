#!/usr/bin/env bash
# prepare's quality filters, this tree's data-prep (B) against another revision's (A), in one JVM: each build in a
# class loader of its own, passes alternating on one thread (scripts/bench/QualityAB.java). On a machine whose speed
# drifts between minutes this is how a few percent shows; two separate runs of prepare-stages cannot show it.
#
#   scripts/bench.sh quality-ab REV [--input DIR] [--mb 30] [--passes 12]
#
# DIR: text files, one document a line (default target/bench-gen/text, from scripts/bench.sh prepare). Prints each
# build's MB per CPU second, the per-pass CPU ratio A / B (above 1: this tree is faster) and whether the two builds
# gave the same verdicts (they must, unless the change is meant to change results).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ $# -lt 1 || "$1" == -* ]]; then
  echo "usage: scripts/bench.sh quality-ab REV [--input DIR] [--mb 30] [--passes 12]" >&2
  exit 2
fi
rev="$1"
shift
input="$ROOT/target/bench-gen/text"
mb=30
passes=12
while [[ $# -gt 0 ]]; do
  case "$1" in
    --input) input="$2"; shift 2 ;;
    --mb) mb="$2"; shift 2 ;;
    --passes) passes="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -d "$input" ]] || { echo "no input directory $input (scripts/bench.sh prepare text creates target/bench-gen)" >&2; exit 2; }

mvn_q() {
  mvn -B -q -o "$@" || mvn -B -q "$@"
}

work="$(mktemp -d)"
cleanup() {
  git -C "$ROOT" worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
git -C "$ROOT" worktree add --detach -q "$work/base" "$rev"
echo "building data-prep at $rev and in this tree ..." >&2
(cd "$work/base" && mvn_q -pl data-prep -DskipTests -Dverbo.build.dir="$work/base-build" compile)
(cd "$ROOT" && mvn_q -pl data-prep -DskipTests -Dverbo.build.dir="$work/this-build" compile \
  && mvn_q -pl data-prep dependency:build-classpath -Dmdep.outputFile="$work/deps.txt" -Dmdep.includeScope=runtime)
deps="$(cat "$work/deps.txt")"
java -Xmx3g -cp "$deps" "$ROOT/scripts/bench/QualityAB.java" "$work/base-build/classes" "$work/this-build/classes" \
  "$deps" "$input" "$mb" "$passes"
