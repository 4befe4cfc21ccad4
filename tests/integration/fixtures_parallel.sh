#!/usr/bin/env bash
# Four fixture runs at once through swtpm-fixtures/boot, each with its own swtpm: all succeed,
# every quote verifies, and no swtpm is left behind.
source "$BOOTGATE_SOURCE_DIR/tests/integration/fixtures_lib.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export BOOTGATE_FIXTURE="$FIXTURE_GEN" TMPDIR="$work"
pids=()
for i in 1 2 3 4; do
  "$BOOTGATE_SOURCE_DIR/swtpm-fixtures/boot" --scenario good-host --out "$work/b$i" \
    --nonce "$(printf '%064x' "$i")" > "$work/log$i" 2>&1 &
  pids+=($!)
done
for i in 1 2 3 4; do
  wait "${pids[$((i - 1))]}" || { cat "$work/log$i"; exit 1; }
  tpm2_checkquote -u "$work/b$i/ak.pub" -m "$work/b$i/quote.msg" -s "$work/b$i/quote.sig" \
    -f "$work/b$i/quote.pcrs" -g sha256 -q "$(printf '%064x' "$i")" > /dev/null
  cmp "$work/b1/eventlog.bin" "$work/b$i/eventlog.bin"
done
if pgrep -f "swtpm socket.*$work" > /dev/null; then echo "swtpm left running" >&2; exit 1; fi
echo "4 parallel runs: all quotes verify, logs identical, no swtpm left"
