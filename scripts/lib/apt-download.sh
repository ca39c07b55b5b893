# Sourced by the fetch scripts: downloads Debian packages into the current directory with `apt-get download`,
# refreshing the package lists once when running as root and the first try fails.
#   apt_download NAME LOG PACKAGE...     NAME prefixes the messages; apt-get's errors go to LOG (printed on failure)
apt_download() {
  local name="$1" log="$2"
  shift 2
  if apt-get download "$@" >/dev/null 2>"$log"; then
    return 0
  fi
  if [[ "$(id -u)" == "0" ]]; then
    echo "$name: refreshing apt package lists" >&2
    apt-get update >/dev/null
    apt-get download "$@" >/dev/null 2>"$log" || { cat "$log" >&2; return 1; }
  else
    cat "$log" >&2
    echo "$name: apt-get download failed; run 'sudo apt-get update' and retry" >&2
    return 1
  fi
}
