#!/usr/bin/env bash
# Retrieval on held-out pairs from the sample corpus: recall@10 and nDCG@10 of embedders trained from the demo's
# decoder with latent attention, mean and last-token pooling, beside Lucene BM25 on the same queries and documents
# (org.verbo.jobs.bench.RetrievalEval; Spark only reads the corpus Parquet). Called by `scripts/bench.sh retrieval`.
# Env: OUT (target/bench/retrieval), DEMO (a scripts/demo.sh output dir; default $OUT/demo, made when absent),
#      STEPS (200 contrastive steps per pooling), BATCH (32), LR (1e-3), SEED (42), THREADS (nproc).
# Writes $OUT/summary.md and $OUT/embedder-{latent_attention,mean,last_token}/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${OUT:-target/bench/retrieval}"
DEMO="${DEMO:-$OUT/demo}"
STEPS="${STEPS:-200}"
BATCH="${BATCH:-32}"
LR="${LR:-1e-3}"
SEED="${SEED:-42}"
THREADS="${THREADS:-$(nproc)}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
mkdir -p "$OUT"
if [[ ! -d "$DEMO/corpus" || ! -d "$DEMO/pretrain/checkpoints" ]]; then
  echo "== no demo outputs under $DEMO: running scripts/demo.sh $DEMO" >&2
  scripts/demo.sh "$DEMO" >&2
fi
CKPT="$(ls -d "$DEMO"/pretrain/checkpoints/step-* | sort -t- -k2 -n | tail -1)"
LIB="$ROOT/spark-jobs/target/lib"
[[ -d "$LIB" ]] || (mvn -B -q -DskipTests package) >&2   # the jar's dependency folder, as scripts/verbo builds it
{ mvn -B -q -o -pl spark-jobs -am compile || mvn -B -q -pl spark-jobs -am compile; } >&2
OPENS="$(sed -n 's:.*<spark.java17.opens>\(.*\)</spark.java17.opens>.*:\1:p' "$ROOT/pom.xml")"
MODULES="$(sed -n 's:.*<verbo.jvm.modules>\(.*\)</verbo.jvm.modules>.*:\1:p' "$ROOT/pom.xml")"
CP="spark-jobs/target/classes:embeddings/target/classes:models/target/classes:data-prep/target/classes:$LIB/*"
CMD=(org.verbo.jobs.bench.RetrievalEval --corpus="$DEMO/corpus" --decoder="$CKPT" --tokenizer="$DEMO/tokenizer.json"
     --out="$OUT" --steps="$STEPS" --batch="$BATCH" --lr="$LR" --seed="$SEED")
# shellcheck disable=SC2086
OMP_NUM_THREADS="$THREADS" java -Xmx4g $OPENS $MODULES \
  -Dlog4j2.configurationFile="$ROOT/spark-jobs/target/classes/verbo-log4j2.properties" -cp "$CP" "${CMD[@]}" \
  2> >(grep -v '^SLF4J\|WARN\|incubator' >&2)
printf '\nCommand: `%s`\n' "OUT=$OUT STEPS=$STEPS BATCH=$BATCH LR=$LR SEED=$SEED scripts/bench.sh retrieval" | tee -a "$OUT/summary.md"
