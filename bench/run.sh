#!/usr/bin/env bash
# Runs the benchmarks next to their floors in one run and writes docs/performance.md.
#   bench/run.sh [--no-write]     (builds the release build: scripts/build.sh)
# BOOTGATE_BUILD_DIR: use that (configured) build directory instead, building only the two
# benchmark targets there. The "Service, end to end" section (bench/load.sh) is kept.
# Rates use CPU time (user + sys) so that other load on the machine matters less.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n "${BOOTGATE_BUILD_DIR:-}" ]]; then
  build="$BOOTGATE_BUILD_DIR"
  ninja -C "$build" -j "$(nproc)" bootgate_bench bootgate_bench_log >/dev/null
else
  build=build
  ./scripts/build.sh release >/dev/null
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "bench: writing the synthetic log and running Google Benchmark (about a minute)"
"$build/bench/bootgate_bench_log" "$out/synthetic.bin"
"$build/bench/bootgate_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_min_time=1 --benchmark_format=json > "$out/bench.json"

build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")"
BOOTGATE_BUILD_TYPE="${build_type:-unknown}" python3 bench/report.py "$out/bench.json" "$out/synthetic.bin" \
  $([[ "${1:-}" == --no-write ]] || echo docs/performance.md)
