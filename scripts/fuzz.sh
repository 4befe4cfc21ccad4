#!/usr/bin/env bash
# Runs every libFuzzer target in build-sanitize/tests/fuzz for SECONDS each (default 60), as many
# at once as there are cores, seeded from tests/fuzz/corpus/<target>/ when it exists.
# Fails if any target finds a crash, a leak or undefined behaviour.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
export TSS2_LOG=all+none  # tss2-mu would log every rejected input
build="${BOOTGATE_FUZZ_BUILD:-build-sanitize}"
export build
shopt -s nullglob
targets=("$build"/tests/fuzz/*_fuzz)
if ((${#targets[@]} == 0)); then
  echo "fuzz: no targets built (run scripts/build.sh sanitize)" >&2
  exit 1
fi

run_one() {
  local target="$1" seconds="$2" name work seeds=()
  name="$(basename "$target")"
  work="$build/fuzz-work/$name"
  mkdir -p "$work/corpus"
  [[ -d "tests/fuzz/corpus/$name" ]] && seeds+=("tests/fuzz/corpus/$name")
  if "$target" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/" \
      "$work/corpus" "${seeds[@]}" > "$work/log.txt" 2>&1; then
    echo "fuzz: $name ok: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/log.txt" \
      | awk '{print $2}') runs in ${seconds}s"
  else
    tail -40 "$work/log.txt"
    echo "fuzz: $name FAILED (log: $work/log.txt)"
    return 1
  fi
}
export -f run_one

rm -f "$build"/fuzz-work/*/log.txt
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $(nproc) at a time"
failed=0
printf '%s\n' "${targets[@]}" | xargs -P "$(nproc)" -I{} bash -c 'run_one "$1" "$2"' _ {} "$seconds" \
  || failed=1
passed=$(grep -l 'Done [0-9]* runs' "$build"/fuzz-work/*/log.txt 2>/dev/null | wc -l)
echo "fuzz: $passed passed, $((${#targets[@]} - passed)) failed"
exit "$failed"
