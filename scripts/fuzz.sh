#!/usr/bin/env bash
# Runs every libFuzzer target in build-sanitize/tests/fuzz for SECONDS each (default 60),
# seeded from tests/fuzz/corpus/<target>/ when it exists. Fails on the first crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
export TSS2_LOG=all+none  # tss2-mu would log every rejected input
shopt -s nullglob
targets=(build-sanitize/tests/fuzz/*_fuzz)
if ((${#targets[@]} == 0)); then
  echo "fuzz: no targets built (run scripts/build.sh sanitize)" >&2
  exit 1
fi
for target in "${targets[@]}"; do
  name="$(basename "$target")"
  work="build-sanitize/fuzz-work/$name"
  mkdir -p "$work"
  seeds=()
  [[ -d "tests/fuzz/corpus/$name" ]] && seeds+=("tests/fuzz/corpus/$name")
  echo "fuzz: $name for ${seconds}s"
  "$target" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/" \
    "$work" "${seeds[@]}" > "$work/log.txt" 2>&1 || {
      tail -50 "$work/log.txt"; echo "fuzz: $name FAILED"; exit 1; }
  grep -E 'stat::number_of_executed_units|Done ' "$work/log.txt" | tail -2
done
echo "fuzz: ${#targets[@]} passed, 0 failed"
