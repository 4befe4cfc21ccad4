#!/usr/bin/env bash
# Runs every test bootgate has, as CI does:
#   0. the C++ sources are clang-format clean (scripts/check-format.sh),
#   1. the release build's ctest suite (unit + swtpm integration tests),
#   2. the unit tests again under ASan+UBSan (clang; built while step 1's tests run),
#   3. each libFuzzer target for BOOTGATE_FUZZ_SECONDS (default 30) under ASan+UBSan, from its
#      committed seeds: a regression run. The long campaign (docs/security.md) runs outside CI.
# Set BOOTGATE_QUICK=1 to run only step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"

echo "== test: formatting"
./scripts/check-format.sh

echo "== test: release build"
./scripts/build.sh release

# The ASan+UBSan build compiles while the release tests run, at the lowest priority: the tests
# keep the CPU they need (the real-VM test holds one core for minutes, and many tests wait on
# servers), the compiler takes what they leave.
sanitize_pid=""
if [[ "${BOOTGATE_QUICK:-0}" != 1 ]]; then
  mkdir -p build-sanitize
  nice -n 19 ./scripts/build.sh sanitize > build-sanitize/build.log 2>&1 &
  sanitize_pid=$!
  trap '[[ -z "$sanitize_pid" ]] || kill "$sanitize_pid" 2> /dev/null || true' EXIT
fi
(cd build && ctest --output-on-failure -j "$jobs")

if [[ "${BOOTGATE_QUICK:-0}" == 1 ]]; then exit 0; fi

echo "== test: unit tests under ASan+UBSan"
if ! wait "$sanitize_pid"; then
  sanitize_pid=""
  tail -50 build-sanitize/build.log
  echo "test: the sanitizer build failed (build-sanitize/build.log)" >&2
  exit 1
fi
sanitize_pid=""
tail -1 build-sanitize/build.log
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$jobs" -L unit)

echo "== test: fuzz targets under ASan+UBSan"
./scripts/fuzz.sh "${BOOTGATE_FUZZ_SECONDS:-30}"
