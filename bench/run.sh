#!/usr/bin/env bash
# The side-by-side benchmark: installs PyTorch from Debian, builds soma in Release, runs the kernel
# micro-benchmarks, then every workload in soma and PyTorch alternately and prints the ratios.
# Usage: bash bench/run.sh [--reps N] [--workloads mlp,small,binary,cnn,lstm] [--soma-flags "--bf16"]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh --bench
bash scripts/build.sh bench
./build/bench/bench/bench_kernels --benchmark_min_time=0.2
/usr/bin/python3 bench/compare.py "$@"
