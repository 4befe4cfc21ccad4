#!/usr/bin/env bash
# Same scenario + seed -> byte-identical event log, on two different swtpm instances; another
# seed changes the generated contents (so the log differs).
source "$BOOTGATE_SOURCE_DIR/tests/integration/fixtures_lib.sh"
work="$(mktemp -d)"
trap 'swtpm_stop; rm -rf "$work"' EXIT

run() {  # scenario out [extra flags]
  local file="$SCENARIOS/$1.textproto" out="$2"; shift 2
  SWTPM_NO_STARTUP=1 swtpm_start "$work/tpm-$(basename "$out")" "$(scenario_banks "$file")"
  "$FIXTURE_GEN" --scenario "$file" --out "$out" --startup "$@" > /dev/null
  swtpm_stop
}
for s in good-host good-vm hypervisor-host; do
  run "$s" "$work/$s-a"
  run "$s" "$work/$s-b"
  cmp "$work/$s-a/eventlog.bin" "$work/$s-b/eventlog.bin"
  echo "$s: identical logs ($(stat -c %s "$work/$s-a/eventlog.bin") bytes)"
done
run good-host "$work/good-host-seed7" --seed 7
if cmp -s "$work/good-host-a/eventlog.bin" "$work/good-host-seed7/eventlog.bin"; then
  echo "a different seed gave the same log" >&2; exit 1
fi
echo "another seed gives another log"
