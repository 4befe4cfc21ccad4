#!/usr/bin/env bash
# Runs the benchmarks next to their floors in one run and writes docs/performance.md.
#   bench/run.sh [--no-write]     (needs a release build: scripts/build.sh)
# Rates use CPU time (user + sys) so that other load on the machine matters less.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh release >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "bench: writing the synthetic log and running Google Benchmark (about a minute)"
build/bench/bootgate_bench_log "$out/synthetic.bin"
build/bench/bootgate_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_min_time=1 --benchmark_format=json > "$out/bench.json"

python3 bench/report.py "$out/bench.json" "$out/synthetic.bin" \
  $([[ "${1:-}" == --no-write ]] || echo docs/performance.md)
