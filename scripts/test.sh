#!/usr/bin/env bash
# Runs every test bootgate has, as CI does:
#   0. the C++ sources are clang-format clean (scripts/check-format.sh),
#   1. the release build's ctest suite (unit + swtpm integration tests),
#   2. the unit tests again under ASan+UBSan (clang),
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
(cd build && ctest --output-on-failure -j "$jobs")

if [[ "${BOOTGATE_QUICK:-0}" == 1 ]]; then exit 0; fi

echo "== test: unit tests under ASan+UBSan"
./scripts/build.sh sanitize
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$jobs" -L unit)

echo "== test: fuzz targets under ASan+UBSan"
./scripts/fuzz.sh "${BOOTGATE_FUZZ_SECONDS:-30}"
