#!/usr/bin/env bash
# Spark GPU resource discovery script (spark.executor.resource.gpu.discoveryScript, and the worker's
# spark.worker.resource.gpu.discoveryScript in standalone mode). Prints one JSON line for Spark's ResourceInformation:
#   {"name": "gpu", "addresses": ["0","1"]}
# The addresses are nvidia-smi indexes (PCI bus order); org.verbo.models.GpuDevices maps the one a task gets to the
# CUDA ordinal it binds. When CUDA_VISIBLE_DEVICES is set (YARN, Kubernetes or the user set it), only the GPUs it
# selects are listed, read the way CUDA reads it: indexes or GPU-... UUID prefixes, and the list ends at the first
# entry that names no GPU. Indexes in it are taken as nvidia-smi's, i.e. CUDA_DEVICE_ORDER=PCI_BUS_ID.
# No GPU is an error (exit 1, reason on stderr), never an empty list: Spark would start the executor with no GPU
# and its GPU tasks would never be scheduled.
set -euo pipefail

fail() { echo "gpu-discovery: $*" >&2; exit 1; }

command -v nvidia-smi >/dev/null 2>&1 || fail "nvidia-smi is not on PATH (no NVIDIA driver on ${HOSTNAME:-this host})"
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
# stderr apart from stdout: a driver warning must not read as a GPU line.
if ! listing="$(nvidia-smi --query-gpu=index,uuid --format=csv,noheader 2>"$errors")"; then
  fail "nvidia-smi failed: $(cat "$errors") $listing"
fi
while IFS=', ' read -r index uuid; do
  [[ -z "$index$uuid" || ( "$index" =~ ^[0-9]+$ && "$uuid" == GPU-* ) ]] || fail "unexpected nvidia-smi line: $index $uuid"
done <<< "$listing"

addresses=()
if [[ -z "${CUDA_VISIBLE_DEVICES+set}" ]]; then
  while IFS=', ' read -r index _; do
    [[ -n "$index" ]] && addresses+=("$index")
  done <<< "$listing"
else
  IFS=',' read -r -a entries <<< "$CUDA_VISIBLE_DEVICES"
  for raw in "${entries[@]}"; do
    entry="${raw//[[:space:]]/}"
    [[ "$entry" == MIG-* ]] && fail "CUDA_VISIBLE_DEVICES names MIG instance $entry; only whole GPUs are supported"
    found=""
    matches=0
    while IFS=', ' read -r index uuid; do
      if [[ "$entry" =~ ^[0-9]+$ && "$index" == "$entry" ]] \
          || [[ "$entry" == GPU-* && "$uuid" == "$entry"* ]]; then
        found="$index"
        matches=$((matches + 1))
      fi
    done <<< "$listing"
    # Like CUDA: an entry naming no GPU (or an ambiguous UUID prefix) ends the list; so does a GPU already listed.
    [[ "$matches" -eq 1 ]] || break
    for seen in "${addresses[@]+"${addresses[@]}"}"; do
      [[ "$seen" == "$found" ]] && break 2
    done
    addresses+=("$found")
  done
fi

[[ "${#addresses[@]}" -gt 0 ]] \
  || fail "no GPU to offer (nvidia-smi lists: ${listing//$'\n'/; }; CUDA_VISIBLE_DEVICES='${CUDA_VISIBLE_DEVICES-<unset>}')"

json=""
for a in "${addresses[@]}"; do
  json+="${json:+,}\"$a\""
done
echo "{\"name\": \"gpu\", \"addresses\": [$json]}"
