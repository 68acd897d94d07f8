#!/usr/bin/env bash
# Installs every Debian package bellman needs. Idempotent: installs only what is missing.
# libopenblas0-pthread matters: without it libtorch uses the reference BLAS (~8x slower MLPs).
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config git
  libyaml-cpp-dev libcli11-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libtorch-dev libopenblas0-pthread libopenblas-dev
  pybind11-dev python3-dev python3-numpy python3-torch python3-pytest python3-matplotlib
  libmujoco-dev libhdf5-dev python3-h5py
  libgloo-dev  # headers that torch's ProcessGroupGloo.hpp includes (src/dist/)
  libglpk-dev  # the LP solver of zero-sum stage games (src/tabular/games.cpp)
)
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
