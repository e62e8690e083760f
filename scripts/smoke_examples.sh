#!/usr/bin/env bash
# Runs every example briefly and checks that each ends with its RESULT line.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for ex in mlp_mnist sgd_nesterov adam_small binary_classifier cnn_mnist lstm_mnist imdb_sentiment char_rnn overfitting; do
  out=$(./build/release/examples/$ex --dataset fashion_mnist --epochs 1 --limit 6000 --verbose 2 2>&1) || { echo "$out"; status=1; continue; }
  line=$(grep '^RESULT ' <<<"$out" || true)
  if [[ -z "$line" ]]; then echo "$out"; echo "FAIL: $ex printed no RESULT line"; status=1; else echo "$line"; fi
done
exit $status
