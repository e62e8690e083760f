#!/usr/bin/env bash
# The main job: installs dependencies, builds, and trains the tutorial MLP on Fashion-MNIST with the Keras
# progress bar, printing the test accuracy. Extra arguments go to the example (e.g. --epochs 3).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh release
./build/release/examples/mlp_mnist --dataset fashion_mnist "$@"
