#!/usr/bin/env bash
# Fuzzes every loader with libFuzzer under ASan + UBSan for a bounded time each, starting from the corpora
# kept in tools/fuzz/corpus/<fuzzer>/ (and tools/fuzz/<fuzzer>.dict where there is one). Any crash,
# sanitizer report, leak, hang, failed message check or exception other than the documented ones fails the
# run and leaves the input in build/fuzz/artifacts/<fuzzer>/.
#   scripts/fuzz.sh [SECONDS_EACH=20] [--update-corpus] [FUZZER...]
# --update-corpus merges the new inputs that reached new code into the kept corpora (minimised).
# Naming fuzzers runs only those. Adding one: tools/fuzz/X.cpp, its corpus directory, and X in the list
# below and in tools/fuzz/CMakeLists.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzzers=(load_model_fuzzer weights_fuzzer idx_fuzzer csv_fuzzer train_config_fuzzer image_fuzzer keras_import_fuzzer)

seconds="${1:-20}"
shift || true
update=0
if [[ "${1:-}" == "--update-corpus" ]]; then
  update=1
  shift
fi
if (($#)); then fuzzers=("$@"); fi

bash scripts/install_deps.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target "${fuzzers[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for fuzzer in "${fuzzers[@]}"; do
  corpus="tools/fuzz/corpus/$fuzzer"
  mkdir -p "$work/$fuzzer" "build/fuzz/artifacts/$fuzzer"
  cp "$corpus"/* "$work/$fuzzer/"
  dict=()
  [[ -f "tools/fuzz/$fuzzer.dict" ]] && dict=(-dict="tools/fuzz/$fuzzer.dict")
  # Images: room for a small file of every format (libFuzzer's default max_len is the largest seed).
  [[ "$fuzzer" == image_fuzzer ]] && dict+=(-max_len=65536)
  echo "== $fuzzer: ${seconds}s from $(ls "$corpus" | wc -l) seed files"
  set +e
  OMP_NUM_THREADS=1 "./build/fuzz/tools/fuzz/$fuzzer" "$work/$fuzzer" "${dict[@]}" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=10 -artifact_prefix="build/fuzz/artifacts/$fuzzer/" -print_final_stats=1 \
    >"$work/$fuzzer.log" 2>&1
  status=$?
  set -e
  grep -E "^#[0-9]+ +(INITED|DONE)|stat::number_of_executed_units|ERROR|SUMMARY|fuzz check failed|Test unit written|==[0-9]+==" \
    "$work/$fuzzer.log" || true
  if [[ $status -ne 0 ]]; then
    echo "FUZZING FAILED: $fuzzer (exit $status); the input is in build/fuzz/artifacts/$fuzzer/" >&2
    tail -n 40 "$work/$fuzzer.log" >&2
    failed+=("$fuzzer")
    continue
  fi
  if ((update)); then
    OMP_NUM_THREADS=1 "./build/fuzz/tools/fuzz/$fuzzer" -merge=1 "$corpus" "$work/$fuzzer" 2>&1 | tail -n 1
  fi
done
if ((${#failed[@]})); then
  echo "Fuzzing failed for: ${failed[*]}" >&2
  exit 1
fi
echo "Fuzzing passed: ${#fuzzers[@]} fuzzers, ${seconds}s each, no crash."
