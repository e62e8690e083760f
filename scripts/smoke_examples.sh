#!/usr/bin/env bash
# Runs every example briefly and checks that each ends with its RESULT line.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for ex in mlp_mnist sgd_nesterov adam_small binary_classifier cnn_mnist lstm_mnist imdb_sentiment char_rnn overfitting \
          resnet_fashion mobilenet_fashion two_inputs siamese_mnist transformer_imdb; do
  out=$(./build/release/examples/$ex --dataset fashion_mnist --epochs 1 --limit 6000 --verbose 2 2>&1) || { echo "$out"; status=1; continue; }
  line=$(grep '^RESULT ' <<<"$out" || true)
  if [[ -z "$line" ]]; then echo "$out"; echo "FAIL: $ex printed no RESULT line"; status=1; else echo "$line"; fi
done
# explain_cnn writes pictures: into a temporary directory.
pics=$(mktemp -d)
if out=$(./build/release/examples/explain_cnn --dataset fashion_mnist --epochs 1 --limit 6000 --verbose 2 --out "$pics" 2>&1) &&
   [[ -s "$pics/saliency.png" && -s "$pics/filters.png" && -s "$pics/feature_maps.png" ]]; then
  grep '^RESULT ' <<<"$out"
else
  echo "$out"; echo "FAIL: explain_cnn"; status=1
fi
# autoencoder_fashion writes its picture there too.
if out=$(./build/release/examples/autoencoder_fashion --dataset fashion_mnist --epochs 1 --limit 6000 --verbose 2 \
           --out "$pics" 2>&1) && [[ -s "$pics/denoising.png" ]]; then
  grep '^RESULT ' <<<"$out"
else
  echo "$out"; echo "FAIL: autoencoder_fashion"; status=1
fi
rm -rf "$pics"

# The command line end to end: train from a JSON config, then summary and predict on the saved model.
tmp=$(mktemp -d)
if ./build/release/tools/cli/soma train examples/configs/mnist_mlp.json --epochs 1 --limit 2000 --verbose 2 \
     -o "$tmp/mlp.soma" >"$tmp/train.log" 2>&1 &&
   ./build/release/tools/cli/soma summary "$tmp/mlp.soma" >/dev/null; then
  grep '^test accuracy' "$tmp/train.log" | sed 's/^/RESULT soma-cli train: /'
else
  cat "$tmp/train.log"; echo "FAIL: soma train"; status=1
fi
rm -rf "$tmp"
exit $status
