#!/usr/bin/env bash
# Unpacks the MobileNetV2 that the npm package nsfwjs ships (TensorFlow.js layers format, a Keras 2.2.4
# topology, uint8-quantised weights) into $SOMA_DATA_HOME/models/nsfwjs_mobilenet_v2 (else
# ~/.soma/models/...) as the files tfjs itself reads: model.json and its binary weight shard.
# The package wraps both in JavaScript modules (the shard as base64); node takes them out again.
set -euo pipefail
dest="${SOMA_DATA_HOME:-$HOME/.soma}/models/nsfwjs_mobilenet_v2"
if [[ -f "$dest/model.json" && -f "$dest/group1-shard1of1" ]]; then exit 0; fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent nsfwjs@4.4.0 >/dev/null && tar xzf nsfwjs-*.tgz)
node - "$tmp/package/dist/models/mobilenet_v2" "$dest" <<'JS'
const fs = require("fs"), path = require("path");
const [src, dest] = process.argv.slice(2);
const model = require(path.join(src, "model.min.js"));
for (const group of model.weightsManifest)
  for (const p of group.paths)
    fs.writeFileSync(path.join(dest, p), Buffer.from(require(path.join(src, p + ".min.js")), "base64"));
fs.writeFileSync(path.join(dest, "model.json"), JSON.stringify(model));
JS
echo "nsfwjs MobileNetV2 is in $dest"
