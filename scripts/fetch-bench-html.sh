#!/usr/bin/env bash
# Fetches the prepare benchmark's real HTML corpus from Debian packages and prints the directory that holds it.
# Needs apt-get and dpkg-deb (Debian or Ubuntu). Only the .html pages are kept (no images, scripts or style sheets);
# each package's copyright file is copied beside its pages. Package versions are whatever the machine's apt sources
# hold (Debian 12: Python 3.11 docs).
#   scripts/fetch-bench-html.sh [DEST]           about 117 MB, 2,700 pages in English and Portuguese
#                                                (default DEST: target/bench-html)
#   scripts/fetch-bench-html.sh --large [DEST]   the same plus seven more packages: about 870 MB, 32,700 pages
#                                                (default DEST: target/bench-html-large): the Linux kernel's and
#                                                the Debian Administrator's Handbook (in its 16 languages, Brazilian
#                                                Portuguese among them), LibreOffice help in Brazilian Portuguese and
#                                                English, SciPy, libstdc++ and the OpenJDK 17 API
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKAGES=(python3.11-doc python-django-doc postgresql-doc-15 git-doc debian-reference-en debian-reference-pt
          focalinux-html)
if [[ "${1:-}" == "--large" ]]; then
  shift
  DEST="${1:-$ROOT/target/bench-html-large}"
  PACKAGES+=(linux-doc-6.1 debian-handbook libreoffice-help-pt-br libreoffice-help-en-us python-scipy-doc
             libstdc++-12-doc openjdk-17-doc)
else
  DEST="${1:-$ROOT/target/bench-html}"
fi

if [[ -f "$DEST/corpus/.complete" ]]; then
  echo "$DEST/corpus"
  exit 0
fi
mkdir -p "$DEST/debs" "$DEST/extract"
cd "$DEST/debs"
# shellcheck source=scripts/lib/apt-download.sh
source "$ROOT/scripts/lib/apt-download.sh"
apt_download fetch-bench-html "$DEST/apt.log" "${PACKAGES[@]}" || exit 1
rm -rf "$DEST/corpus"
for p in "${PACKAGES[@]}"; do
  deb=$(ls "$DEST"/debs/"${p}"_*.deb | head -n 1)
  rm -rf "$DEST/extract/$p"
  dpkg-deb -x "$deb" "$DEST/extract/$p"
  mkdir -p "$DEST/corpus/$p"
  # Pages keep their relative path (one file per page, the layout a crawl gives).
  (cd "$DEST/extract/$p/usr/share" && find . -type f -name '*.html' -exec cp --parents -t "$DEST/corpus/$p" {} +)
  cp "$DEST/extract/$p/usr/share/doc/$p/copyright" "$DEST/corpus/$p/_COPYRIGHT" 2>/dev/null || true
done
rm -rf "$DEST/extract"
touch "$DEST/corpus/.complete"
echo "$DEST/corpus"
