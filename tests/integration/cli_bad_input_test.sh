#!/usr/bin/env bash
# Bad input never crashes the CLI: each case gives a one-line error on stderr and exit code 2,
# within 1 s (issue 3, acceptance 7).
set -euo pipefail
cli="${BOOTGATE_CLI:?}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

: > "$work/empty.bin"
head -c 4096 /dev/urandom > "$work/random.bin"
truncate -s 1G "$work/sparse.bin"
# A legacy SHA-1 header event (PCR 0, EV_NO_ACTION, 20-byte digest) whose data size says 4 GiB - 1.
printf '\x00\x00\x00\x00\x03\x00\x00\x00' > "$work/huge_event.bin"
head -c 20 /dev/zero >> "$work/huge_event.bin"
printf '\xff\xff\xff\xff' >> "$work/huge_event.bin"
head -c 64 /dev/zero >> "$work/huge_event.bin"

failures=0
check() {
  local name="$1"; shift
  local start end rc=0
  start=$(date +%s%N)
  "$@" > "$work/out" 2> "$work/err" || rc=$?
  end=$(date +%s%N)
  local ms=$(((end - start) / 1000000)) lines
  lines=$(wc -l < "$work/err")
  if [[ $rc -ne 2 || $lines -ne 1 || $ms -ge 1000 ]]; then
    echo "FAIL $name: exit $rc (want 2), $lines stderr lines (want 1), ${ms} ms (want < 1000)"
    sed 's/^/  stderr: /' "$work/err" | head -5
    failures=$((failures + 1))
  else
    echo "ok   $name: exit 2 in ${ms} ms: $(cat "$work/err")"
  fi
}

for f in empty random sparse huge_event; do
  check "eventlog show $f" "$cli" eventlog show "$work/$f.bin"
  check "eventlog show --json $f" "$cli" eventlog show --json "$work/$f.bin"
  check "quote verify --message $f" "$cli" quote verify --ak "$work/$f.bin" \
    --message "$work/$f.bin" --signature "$work/$f.bin" --nonce 00
done
check "eventlog show missing file" "$cli" eventlog show "$work/does-not-exist"
check "quote verify missing bundle" "$cli" quote verify "$work/does-not-exist"

echo "cli_bad_input: $((4 * 3 + 2 - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
