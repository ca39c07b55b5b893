# The class-data archive of scripts/verbo's corpus commands (see scripts/verbo): where it lives and when it is current,
# in one place for the launcher and for the bench scripts that must not time its recording.
#   verbo_cds_archive ROOT     prints the archive's path in the checkout ROOT
#   verbo_cds_current ROOT     true when that archive exists and is newer than the jar it was recorded for
#   verbo_cds_warm [LAUNCHER]  records it in an untimed run of its own when it is not current (default: this
#                              checkout's scripts/verbo), so every timed run starts the same way
verbo_cds_archive() {
  printf '%s\n' "$1/spark-jobs/target/verbo-cds.jsa"
}

verbo_cds_current() {
  local cds
  cds="$(verbo_cds_archive "$1")"
  [[ -f "$cds" && "$cds" -nt "$1/spark-jobs/target/verbo-spark-jobs.jar" ]]
}

verbo_cds_warm() {
  local launcher root tmp
  launcher="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/verbo}"
  root="$(cd "$(dirname "$launcher")/.." && pwd)"
  if [[ "${VERBO_CDS:-1}" == "0" ]] || verbo_cds_current "$root"; then
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
