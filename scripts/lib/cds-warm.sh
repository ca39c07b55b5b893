# Sourced by the bench scripts that time scripts/verbo runs. scripts/verbo records its class-data archive
# (spark-jobs/target/verbo-cds.jsa) when the first job run after a build exits, about 20 s added to that run only;
# verbo_cds_warm makes that recording an untimed run of its own, so every timed run starts the same way.
#   verbo_cds_warm [LAUNCHER]     (default: this checkout's scripts/verbo)
verbo_cds_warm() {
  local launcher root jar cds tmp
  launcher="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/verbo}"
  root="$(cd "$(dirname "$launcher")/.." && pwd)"
  jar="$root/spark-jobs/target/verbo-spark-jobs.jar"
  cds="$root/spark-jobs/target/verbo-cds.jsa"
  if [[ "${VERBO_CDS:-1}" == "0" || ( -f "$cds" && "$cds" -nt "$jar" ) ]]; then
    return 0
  fi
  tmp="$(mktemp -d)"
  # A few sentences: enough for prepare to run every stage, Spark SQL, Parquet and the dedup joins included.
  for i in 1 2 3 4 5 6; do
    printf 'Documento %s de aquecimento: o lançador grava as classes que a JVM carregou, e as próximas execuções começam mais depressa porque as leem de um arquivo já verificado.\n' "$i"
  done > "$tmp/warm.txt"
  echo "bench: an untimed prepare run first, which records the launcher's class-data archive (once per build)" >&2
  if ! "$launcher" prepare --input="$tmp/warm.txt" --prepare.reader.text_split=line --out="$tmp/out" \
      > "$tmp/log" 2>&1; then
    tail -5 "$tmp/log" >&2
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$tmp"
}
