#!/usr/bin/env bash
# Fetches the demo's sample corpus: real Portuguese text from three Debian documentation packages, and
# prints the directory that holds it. Needs apt-get and dpkg-deb (any Debian or Ubuntu machine).
#   focalinux-html, focalinux-text  "Guia Foca GNU/Linux" by Gleydson Mazioli da Silva, GNU FDL 1.1
#                                   (HTML and plain text, ISO-8859-1 encoded: exercises the fallback charset)
#   debian-reference-pt             "Referência Debian" by Osamu Aoki et al., Portuguese translation, GPL-2+
# Each package's copyright file is copied beside its documents.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${1:-$ROOT/target/sample}"
PACKAGES=(focalinux-html focalinux-text debian-reference-pt)

if [[ -f "$DEST/corpus/.complete" ]]; then
  echo "$DEST/corpus"
  exit 0
fi
mkdir -p "$DEST/debs" "$DEST/extract"
cd "$DEST/debs"
# shellcheck source=scripts/lib/apt-download.sh
source "$ROOT/scripts/lib/apt-download.sh"
apt_download fetch-sample "$DEST/apt.log" "${PACKAGES[@]}" || exit 1
rm -rf "$DEST/corpus"
for p in "${PACKAGES[@]}"; do
  deb=$(ls "$DEST"/debs/"${p}"_*.deb | head -n 1)
  dpkg-deb -x "$deb" "$DEST/extract/$p"
  mkdir -p "$DEST/corpus/$p"
  # Documents only: HTML pages and compressed plain text (not PDFs, images or changelogs).
  find "$DEST/extract/$p/usr/share" -type f \( -name '*.html' -o -name 'index.txt.gz' \) \
    -exec sh -c 'for f; do cp "$f" "$0/$(echo "${f#*/usr/share/}" | tr / _)"; done' "$DEST/corpus/$p" {} +
  cp "$DEST/extract/$p/usr/share/doc/$p/copyright" "$DEST/corpus/$p/_COPYRIGHT"
done
touch "$DEST/corpus/.complete"
echo "$DEST/corpus"
