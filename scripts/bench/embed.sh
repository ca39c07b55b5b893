#!/usr/bin/env bash
# Embedding throughput: verbo's EmbeddingModel.encode (bench-7m decoder run bidirectionally + mean or NV-Embed latent
# attention pooling + L2 norm) vs an independent PyTorch eager implementation (scripts/bench/embed_torch.py) that loads
# the same checkpoint by name, on the same batches of the same texts, same thread count. Called by
# `scripts/bench.sh embed`.
#
# Env: PRESET (bench-7m), SHORT (40: mean tokens of the short texts), SHORT_TEXTS (256), LONG (200), LONG_TEXTS (48),
#      BATCH (32, EmbeddingModel.DEFAULT_BATCH), WARMUP (2 untimed passes over every setting before any timing), PASSES (3 timed passes),
#      THREADS (nproc), ROUNDS (2), OUT (target/bench/embed), JAVA_OPTS (extra options for verbo's JVM),
#      OMP_WAIT_POLICY (PASSIVE, as train.sh); PARTS ("encode spark": which parts run),
#      SPARK_TEXTS (4096 real texts of ~SHORT tokens for the Spark part), SPARK_PARTITIONS (4),
#      DEMO (a scripts/demo.sh output for the Spark part's corpus and tokenizer; default $OUT/demo, made when absent).
# Text lengths are uniform in [0.75 L, 1.25 L] with random ids; each batch is right-padded to its longest text. Sets:
# short, long (batched in input order) and short_by_length (the short texts sorted by length first, as `verbo embed`
# and sentence-transformers batch).
# The engines alternate ROUNDS times; each engine's best round (by the median pass) is reported. THREADS=1 gives the
# rate of one core (the shape of a `verbo embed` task, which runs single-threaded on the core Spark gives it).
# Writes $OUT/setup/ (checkpoints, texts, parity embeddings), $OUT/parity.json, $OUT/rN/{java,torch}.json, $OUT/summary.md;
# the Spark part $OUT/spark/ and $OUT/spark_overhead.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PRESET="${PRESET:-bench-7m}"
SHORT="${SHORT:-40}"
SHORT_TEXTS="${SHORT_TEXTS:-256}"
LONG="${LONG:-200}"
LONG_TEXTS="${LONG_TEXTS:-48}"
BATCH="${BATCH:-32}"
WARMUP="${WARMUP:-2}"
PASSES="${PASSES:-3}"
THREADS="${THREADS:-$(nproc)}"
ROUNDS="${ROUNDS:-2}"
OUT="${OUT:-target/bench/embed}"
# encode: EmbeddingModel.encode vs PyTorch; spark: `verbo embed` vs the in-process encoder, float32 and int8 stores
PARTS="${PARTS:-encode spark}"
SPARK_TEXTS="${SPARK_TEXTS:-4096}"
SPARK_PARTITIONS="${SPARK_PARTITIONS:-4}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
mkdir -p "$OUT"
# shellcheck source=scripts/bench/torch-env.sh
source "$ROOT/scripts/bench/torch-env.sh"

encode_bench() {
echo "building models + embeddings ..." >&2
# offline first (fast); a fresh machine with an empty local repository downloads once
{ mvn -B -q -o -pl models,embeddings -am compile dependency:build-classpath -Dmdep.outputFile="$ROOT/$OUT/classpath.txt" \
  || mvn -B -q -pl models,embeddings -am compile dependency:build-classpath -Dmdep.outputFile="$ROOT/$OUT/classpath.txt"; } >&2
# build-classpath runs per module; the file holds the last one's (embeddings': models' jars plus Lucene)
CP="$ROOT/embeddings/target/classes:$ROOT/models/target/classes:$(cat "$OUT/classpath.txt")"
JAVA=(java -Xmx6g --add-modules=jdk.incubator.vector ${JAVA_OPTS:-} -cp "$CP")

echo "== setup: $PRESET embedder (mean and latent attention pooling), $SHORT_TEXTS texts of ~$SHORT tokens, $LONG_TEXTS of ~$LONG" >&2
OMP_NUM_THREADS="$THREADS" "${JAVA[@]}" org.verbo.embeddings.bench.EmbedBench setup --out="$OUT/setup" --preset="$PRESET" \
  --short="$SHORT" --short-texts="$SHORT_TEXTS" --long="$LONG" --long-texts="$LONG_TEXTS" 2>&1 | grep -v '^SLF4J\|incubator' >&2

echo "== parity: verbo's checkpoints loaded by name into the PyTorch twin, embeddings of the first 8 texts compared" >&2
"$PY" "$ROOT/scripts/bench/embed_torch.py" --dir "$OUT/setup" --parity | tee "$OUT/parity.json" >&2

for r in $(seq 1 "$ROUNDS"); do
  mkdir -p "$OUT/r$r"
  echo "== round $r: verbo (ND4J), batch $BATCH, $THREADS threads" >&2
  OMP_NUM_THREADS="$THREADS" "${JAVA[@]}" org.verbo.embeddings.bench.EmbedBench time --out="$OUT/setup" \
    --json="$OUT/r$r/java.json" --batch="$BATCH" --warmup="$WARMUP" --passes="$PASSES" 2>&1 | grep '^verbo' >&2 || true
  echo "== round $r: PyTorch eager CPU, same batches" >&2
  "$PY" "$ROOT/scripts/bench/embed_torch.py" --dir "$OUT/setup" --json "$OUT/r$r/torch.json" --batch "$BATCH" \
    --warmup "$WARMUP" --passes "$PASSES" --threads "$THREADS"
done
}
if [[ " $PARTS " == *" encode "* ]]; then
  encode_bench
fi

# ---- Spark job overhead: `verbo embed` (embedded Spark, local[$THREADS], $SPARK_PARTITIONS partitions, one core per
# task) against the in-process encoder (org.verbo.jobs.bench.EmbedOverhead time: read the same Parquet table,
# tokenise, sort by length, encode in batches, $THREADS threads) on real ~$SHORT-token texts cut from the demo corpus,
# with a bench-7m-sized latent-attention embedder. Alternating rounds; then the same table stored as int8 vectors.
spark_overhead() {
  local S="$OUT/spark" DEMO="${DEMO:-$OUT/demo}"
  if [[ ! -d "$DEMO/corpus" || ! -f "$DEMO/tokenizer.json" ]]; then
    echo "== no demo outputs under $DEMO (corpus, tokenizer): running scripts/demo.sh $DEMO" >&2
    scripts/demo.sh "$DEMO" >&2
  fi
  echo "== spark overhead: building the jar" >&2
  { mvn -B -q -o -DskipTests package || mvn -B -q -DskipTests package; } >&2
  local OPENS MODULES SCP
  OPENS="$(sed -n 's:.*<spark.java17.opens>\(.*\)</spark.java17.opens>.*:\1:p' "$ROOT/pom.xml")"
  MODULES="$(sed -n 's:.*<verbo.jvm.modules>\(.*\)</verbo.jvm.modules>.*:\1:p' "$ROOT/pom.xml")"
  SCP="spark-jobs/target/classes:embeddings/target/classes:models/target/classes:data-prep/target/classes:spark-jobs/target/lib/*"
  # shellcheck disable=SC2086
  local SJAVA=(java -Xmx6g $OPENS $MODULES -Dlog4j2.configurationFile="$ROOT/spark-jobs/target/classes/verbo-log4j2.properties"
               -cp "$SCP" org.verbo.jobs.bench.EmbedOverhead)
  echo "== spark overhead: setup ($SPARK_TEXTS texts of ~$SHORT tokens from $DEMO/corpus, $PRESET embedder)" >&2
  "${SJAVA[@]}" setup --corpus="$DEMO/corpus" --tokenizer="$DEMO/tokenizer.json" --out="$S/setup" --preset="$PRESET" \
    --texts="$SPARK_TEXTS" --len="$SHORT" 2> >(grep -v '^SLF4J\|WARN\|incubator' >&2)
  local embed_args=(--input="$S/setup/table" --checkpoint="$S/setup/embedder" --overwrite --master="local[$THREADS]"
                    --embed.batch_size="$BATCH" --embed.partitions="$SPARK_PARTITIONS")
  # two task layouts on the same cores: one core per task ($THREADS tasks at once, Spark's usual layout) and
  # spark.task.cpus = $THREADS (one task at a time on all cores: the in-process encoder's shape)
  local layouts=(1)
  [[ "$THREADS" -gt 1 ]] && layouts+=("$THREADS")
  for c in "${layouts[@]}"; do
    printf 'verbo.spark.conf { "spark.task.cpus" = %s }\n' "$c" >"$S/task-cpus-$c.conf"
  done
  for r in $(seq 1 "$ROUNDS"); do
    mkdir -p "$S/r$r"
    echo "== spark overhead round $r: in-process encoder, $THREADS threads" >&2
    OMP_NUM_THREADS="$THREADS" "${SJAVA[@]}" time --out="$S/setup" --json="$S/r$r/inprocess.json" --batch="$BATCH" \
      --passes=2 2> >(grep '^in-process' >&2)
    for c in "${layouts[@]}"; do
      echo "== spark overhead round $r: scripts/verbo embed --master=local[$THREADS], spark.task.cpus=$c" >&2
      local t0 t1
      t0=$(date +%s.%N)
      scripts/verbo embed "${embed_args[@]}" --conf="$S/task-cpus-$c.conf" --out="$S/r$r/store-cpus$c" \
        >"$S/r$r/embed-cpus$c.log" 2>&1
      t1=$(date +%s.%N)
      echo "$t0 $t1" | awk '{printf "%.3f\n", $2 - $1}' >"$S/r$r/wall_seconds-cpus$c"
      grep -E '^(embedded|index)' "$S/r$r/embed-cpus$c.log" >&2 || true
    done
  done
  echo "== spark overhead: the same table as int8 vectors (Lucene scalar quantization)" >&2
  scripts/verbo embed "${embed_args[@]}" --conf="$S/task-cpus-1.conf" --out="$S/store-int8" --embed.encoding=int8 \
    >"$S/int8.log" 2>&1
  "$PY" - "$S" "$ROUNDS" "$THREADS" "$SPARK_PARTITIONS" "${layouts[*]}" <<'PYEOF' >"$OUT/spark_overhead.md"
import json, os, platform, statistics, sys
s, rounds, threads, parts, layouts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
ips = {r: json.load(open(f"{s}/r{r}/inprocess.json")) for r in range(1, rounds + 1)}
texts, tokens = ips[1]["texts"], ips[1]["tokens"]
out = [f"CPU: {cpu}, {os.cpu_count()} cores. {texts} texts, {tokens / texts:.1f} tokens each on average, a bench-7m-sized "
       f"latent-attention embedder; in-process: {threads} threads, one stream; `verbo embed`: local[{threads}], {parts} "
       "partitions, batch as in-process; stage = the Spark job that reads, tokenises, encodes and writes vectors/ "
       "Parquet and the texts the index keeps, per partition (the driver then builds the HNSW index); cold = the in-process model's load (with the kernel warm-up it "
       "triggers) plus its first pass in a fresh JVM, as the job's fresh executor pays both inside the stage; warm = "
       "its second pass alone.", "",
       "| round | spark.task.cpus | in-process cold s: load + first pass (texts/s) | in-process warm s | Spark stage s (texts/s) | "
       "stage / cold | stage / warm | task time: load / read+tokenise / encode / write (s, summed over tasks) | "
       "whole command s (JVM, session, index build, recall, publish) |",
       "|---|---:|---:|---:|---:|---:|---:|---|---:|"]
ratios = {c: [] for c in layouts}
for r in range(1, rounds + 1):
    ip = ips[r]
    load = ip.get("load_seconds", 0.0)
    cold, warm = load + ip["pass_seconds"][0], min(ip["pass_seconds"][1:] or ip["pass_seconds"])
    for c in layouts:
        rep = json.load(open(f"{s}/r{r}/store-cpus{c}/report.json"))
        wall = float(open(f"{s}/r{r}/wall_seconds-cpus{c}").read())
        st = rep["embed_stage_seconds"]
        ratios[c].append((st / cold, st / warm))
        ts = rep["task_seconds"]
        out.append(f"| {r} | {c} | {load:.2f} + {cold - load:.2f} = {cold:.2f} ({texts / cold:,.0f}) | {warm:.2f} | {st:.2f} ({texts / st:,.0f}) | "
                   f"**{st / cold:.2f}** | {st / warm:.2f} | {ts['load_seconds']:.1f} / {ts['read_tokenize_seconds']:.1f} / "
                   f"{ts['encode_seconds']:.1f} / {ts['write_seconds']:.1f} | {wall:.1f} |")
m32 = json.load(open(f"{s}/r{rounds}/store-cpus{layouts[0]}/manifest.json"))
m8 = json.load(open(f"{s}/store-int8/manifest.json"))
out += [""] + [f"spark.task.cpus={c}: Spark stage / in-process, median over {rounds} rounds: "
               f"{statistics.median(x for x, _ in ratios[c]):.2f} against the cold pass, "
               f"{statistics.median(y for _, y in ratios[c]):.2f} against the warm pass." for c in layouts]
out += ["", f"The same vectors stored two ways (HNSW M={m32['maxConn']}, beam {m32['beamWidth']}, "
        f"{m32['searchCandidates']} search candidates; recall@10 of HNSW against brute force on sampled stored vectors):", "",
        "| vectors | index bytes/vector | bytes/vector searched | recall@10 vs brute force (sampled queries) |",
        "|---|---:|---:|---:|"]
for name, m in (("float32", m32), ("int8", m8)):
    out.append(f"| {name} | {m['indexBytesPerVector']:.0f} | {m['searchBytesPerVector']:.0f} | "
               f"{m['recallAt10']:.4f} ({m['recallQueries']}) |")
print("\n".join(out))
PYEOF
  cat "$OUT/spark_overhead.md" >&2
}
if [[ " $PARTS " == *" spark "* ]]; then
  spark_overhead
fi

if [[ " $PARTS " != *" encode "* ]]; then
  exit 0
fi
"$PY" - "$OUT" "$ROUNDS" "$PRESET" "$BATCH" "$THREADS" <<'PYEOF'
import json, os, platform, statistics, sys
out, rounds, preset, batch, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
def load(engine):
    return [json.load(open(os.path.join(out, f"r{r}", f"{engine}.json"))) for r in range(1, rounds + 1)]
js, ts = load("java"), load("torch")
def best(runs, pooling, s):
    """The best round's median pass for one setting."""
    cand = [(statistics.median(x["pass_seconds"]), x) for rr in runs for x in rr["runs"]
            if x["pooling"] == pooling and x["set"] == s]
    return min(cand, key=lambda c: c[0])
par = json.load(open(os.path.join(out, "parity.json")))
lines = [
    f"### Embedding throughput: {preset} decoder, bidirectional, batch {batch}, "
    f"best of {rounds} alternating rounds per engine (median of the timed passes in a round)",
    "",
    f"CPU: {cpu}, {os.cpu_count()} cores; {threads} threads for both engines, "
    f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}. Engines: {js[0]['engine']}; {ts[0]['engine']}.",
    "",
    "| pooling | texts (mean tokens) | verbo texts/s | verbo texts/s per core | verbo tokens/s | PyTorch texts/s | PyTorch tokens/s | verbo / PyTorch |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
]
for p in ("mean", "latent_attention"):
    for s in ("short", "long", "short_by_length"):
        jsec, j = best(js, p, s)
        tsec, t = best(ts, p, s)
        lines.append(f"| {p} | {j['texts']} x {j['tokens'] / j['texts']:.0f} ({s}) | {j['texts'] / jsec:,.0f} | "
                     f"{j['texts'] / jsec / threads:,.0f} | {j['tokens'] / jsec:,.0f} | {t['texts'] / tsec:,.0f} | "
                     f"{t['tokens'] / tsec:,.0f} | **{tsec / jsec:.2f}x** |")
lines += [
    "",
    "tokens/s counts real tokens (padding excluded; padding adds "
    + ", ".join(f"{s} {100 * (j['padded_tokens'] / j['tokens'] - 1):.0f}%" for s in ("short", "long", "short_by_length")
                for _, j in [best(js, 'mean', s)]) + " positions to the batches; PyTorch computes them, verbo's "
    "inference skips them outside attention; short_by_length is the short set sorted by length before batching, "
    "as `verbo embed` batches a partition).",
    "Parity (first 8 texts of each set, verbo's embeddings vs the PyTorch twin's): "
    + "; ".join(f"{k} max |diff| {v['max_abs_diff']:.2g}, min cosine {v['min_cosine']:.7f}" for k, v in par.items()) + ".",
]
so = os.path.join(out, "spark_overhead.md")
if os.path.exists(so):
    lines += ["", "Spark job overhead (`verbo embed` against the in-process encoder, same table and checkpoint):", "",
              open(so).read().strip()]
text = "\n".join(lines) + "\n"
open(os.path.join(out, "summary.md"), "w").write(text)
print(text)
PYEOF
