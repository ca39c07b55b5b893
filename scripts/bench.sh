#!/usr/bin/env bash
# Benchmarks, each run side by side with its reference in one run (results: docs/BENCHMARKS.md).
#   scripts/bench.sh prepare [args]    prepare throughput per stage (MB/s per core) on real HTML and generated text
#   scripts/bench.sh prepare-cluster   driver and executor memory of prepare/tokenizer/tokenize on a standalone cluster
#   scripts/bench.sh tokenize [args]   verbo's BPE encoder vs Hugging Face tokenizers (DJL), tokens/s
#   scripts/bench.sh prepare-stages    prepare's per-byte stages (decode, normalise, quality, shingles), 1 thread, MB/s
#   scripts/bench.sh quality-ab REV    the quality filters, this tree against revision REV in one JVM, alternating
#   scripts/bench.sh train [args]      bench-7m training tokens/s vs PyTorch eager on CPU
#   scripts/bench.sh gemm [args]       ND4J sgemm vs direct OpenBLAS cblas_sgemm, GFLOP/s
#   scripts/bench.sh infer [args]      forward-only batch-32 tokens/s vs PyTorch eager
#   scripts/bench.sh generate          batch-1 greedy KV-cache decoding (prefill ms, decode tokens/s) vs PyTorch eager
#   scripts/bench.sh sync [parts]      pretrain --workers=2 vs one JVM: loss at equal tokens, round overhead, memory
#   scripts/bench.sh embed             EmbeddingModel.encode vs PyTorch eager; verbo embed (Spark) vs in-process; int8 store
#   scripts/bench.sh hnsw [args]       the vector store's HNSW build: Vector API scorer vs Lucene's scalar one
#   scripts/bench.sh retrieval         recall@10 / nDCG@10 on held-out pairs of the sample corpus, per pooling, vs BM25
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:-}"
if [[ -z "$name" || ! -f "$ROOT/scripts/bench/$name.sh" ]]; then
  echo "usage: scripts/bench.sh <$(ls "$ROOT/scripts/bench" | sed -n 's/\.sh$//p' | paste -sd'|')> [args]" >&2
  exit 2
fi
shift
exec bash "$ROOT/scripts/bench/$name.sh" "$@"
