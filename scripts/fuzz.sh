#!/usr/bin/env bash
# Fuzzes load_model (tools/fuzz/load_model_fuzzer.cpp) with libFuzzer under ASan + UBSan for a bounded
# time, starting from the corpus kept in tools/fuzz/corpus. Any crash, sanitizer report, leak, hang or
# exception other than IOError fails the run and leaves the input in build/fuzz/artifacts/.
#   scripts/fuzz.sh [SECONDS=60] [--update-corpus]
# --update-corpus merges the new inputs that reached new code into tools/fuzz/corpus (minimised).
# Then the same for decode_image (tools/fuzz/image_fuzzer.cpp, corpus in tools/fuzz/corpus/image/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
bash scripts/install_deps.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/image" build/fuzz/artifacts
find tools/fuzz/corpus -maxdepth 1 -type f -exec cp -t "$work/corpus/" {} +
cp tools/fuzz/corpus/image/* "$work/image/"
echo "Fuzzing load_model for ${seconds}s from $(find tools/fuzz/corpus -maxdepth 1 -type f | wc -l) seed files..."
OMP_NUM_THREADS=1 ./build/fuzz/tools/fuzz/load_model_fuzzer "$work/corpus" -max_total_time="$seconds" \
  -rss_limit_mb=2048 -timeout=10 -artifact_prefix=build/fuzz/artifacts/ -print_final_stats=1 2>&1 |
  grep -E "^#[0-9]+ +(INITED|DONE)|stat::|ERROR|SUMMARY|Test unit written|==[0-9]+==" || true
status=${PIPESTATUS[0]}
if [[ $status -ne 0 ]]; then
  echo "FUZZING FAILED (exit $status); the failing input is in build/fuzz/artifacts/" >&2
  exit 1
fi
echo "Fuzzing decode_image for ${seconds}s from $(ls tools/fuzz/corpus/image | wc -l) seed files..."
OMP_NUM_THREADS=1 ./build/fuzz/tools/fuzz/image_fuzzer "$work/image" -max_total_time="$seconds" -max_len=65536 \
  -rss_limit_mb=2048 -timeout=10 -artifact_prefix=build/fuzz/artifacts/ -print_final_stats=1 2>&1 |
  grep -E "^#[0-9]+ +(INITED|DONE)|stat::|ERROR|SUMMARY|Test unit written|==[0-9]+==" || true
status=${PIPESTATUS[0]}
if [[ $status -ne 0 ]]; then
  echo "IMAGE FUZZING FAILED (exit $status); the failing input is in build/fuzz/artifacts/" >&2
  exit 1
fi
if [[ "${2:-}" == "--update-corpus" ]]; then
  OMP_NUM_THREADS=1 ./build/fuzz/tools/fuzz/load_model_fuzzer -merge=1 tools/fuzz/corpus "$work/corpus" 2>&1 | tail -1
  OMP_NUM_THREADS=1 ./build/fuzz/tools/fuzz/image_fuzzer -merge=1 tools/fuzz/corpus/image "$work/image" 2>&1 | tail -1
fi
echo "Fuzzing passed: no crash in ${seconds}s."
