#!/bin/sh
# Install the Debian packages warmstart needs, only those missing. apt-get runs
# only when something is missing, so a second `make test` costs nothing.
set -e
PKGS="build-essential pkg-config libopenblas-openmp-dev libopenblas0-openmp libcjson-dev zlib1g-dev libdnnl-dev libmatio-dev libpng-dev libjpeg-dev libinih-dev check
      clang libclang-rt-dev libomp-dev gnuplot-nox parallel slurm-wlm munge
      python3 python3-numpy python3-torch dataset-fashion-mnist
      python3-cffi python3-pandas python3-tqdm python3-pytest python3-matplotlib python3-pip"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "warmstart: installing missing Debian packages:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "warmstart: need root (or sudo) to apt-get install:$missing" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
