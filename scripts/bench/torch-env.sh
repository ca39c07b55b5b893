# Sourced by the bench scripts that run PyTorch beside verbo: Debian's python (where python3-torch lives, not a pyenv
# python on PATH) and its OpenBLAS, installed from Debian's packages when missing.
PY=/usr/bin/python3
if ! "$PY" -c "import torch" 2>/dev/null || [ ! -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]; then
  echo "installing python3-torch and libopenblas0-pthread (Debian) ..." >&2
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch libopenblas0-pthread >/dev/null
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch libopenblas0-pthread >/dev/null
  fi
fi
