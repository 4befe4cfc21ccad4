#!/usr/bin/env bash
# Bad input never crashes the CLI: each case gives a one-line error on stderr and exit code 2,
# within 1 s (issue 3, acceptance 7). A missing policy file says so (not that its name has no
# known extension), in bootgate and in bootgated; a usage error of bootgated exits 2 as
# bootgate's do; `--version` of both names the version and the git revision (issue 15).
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
check "policy validate missing file" "$cli" policy validate "$work/does-not-exist"
grep -q "no such file" "$work/err" || { echo "FAIL: missing policy: $(cat "$work/err")"; failures=$((failures + 1)); }
bootgated="${BOOTGATE_BINARY_DIR:?}/server/bootgated/bootgated"
rc=0
"$bootgated" --no-such-flag > /dev/null 2> "$work/err" || rc=$?
if [[ $rc -eq 2 ]] && grep -q -- "--no-such-flag" "$work/err"; then
  echo "ok   bootgated unknown flag: exit 2: $(head -1 "$work/err")"
else
  echo "FAIL: bootgated unknown flag: exit $rc: $(cat "$work/err")"; failures=$((failures + 1))
fi
"$bootgated" --policy "$work/does-not-exist" --data-dir "$work/data" --listen 127.0.0.1:0 \
  --http off > /dev/null 2> "$work/err" && { echo "FAIL: bootgated started without its policy"; failures=$((failures + 1)); }
if grep -q "cannot read policy_file $work/does-not-exist: No such file or directory" "$work/err"; then
  echo "ok   bootgated missing policy file: $(cat "$work/err")"
else
  echo "FAIL: bootgated missing policy file: $(cat "$work/err")"; failures=$((failures + 1))
fi
for binary in "$cli" "$bootgated"; do
  version="$("$binary" --version)" || { echo "FAIL: $binary --version exits non-zero"; failures=$((failures + 1)); }
  if [[ "$version" =~ ^bootgated?\ [0-9]+\.[0-9]+\.[0-9]+\ \(([0-9a-f]{12}(-dirty)?|unknown)\)$ ]]; then
    echo "ok   $version"
  else
    echo "FAIL: $binary --version printed \"$version\""; failures=$((failures + 1))
  fi
done

echo "cli_bad_input: $((4 * 3 + 2 + 5 - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
