#!/usr/bin/env bash
# Acceptance: an exception waives exactly its finding for exactly its host until its expiry
# (--now moves the clock); an exception without an owner, and malformed policies (unknown
# field, bad hex digest, empty group, duplicate host), are refused with exit 2 and a
# file:line or field-path location.
set -euo pipefail
: "${BOOTGATE_CLI:?}" "${BOOTGATE_SOURCE_DIR:?}"
src="$BOOTGATE_SOURCE_DIR"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-policy-exceptions.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$1" "$2"; }

"$src/swtpm-fixtures/boot" --scenario kernel-cmdline-changed --out "$work/bundle" >/dev/null
base="$src/policies/fixtures/good-host.textproto"
policy="$work/policy.textproto"
cp "$base" "$policy"
cat >> "$policy" <<'P'
exceptions {
  name: "debug-shell-ticket-42"
  owner: "alice@example.com"
  reason: "kernel debugging on this host"
  compensating_control: "host cordoned from tenant workloads"
  created: "2026-01-01"
  expires: "2030-01-01"
  host: "host-kernel-cmdline-changed"
  finding_code: "cmdline-mismatch"
}
P

check() {  # check NOW HOST OUT -> exit code
  local rc=0
  "$BOOTGATE_CLI" policy check "$policy" "$work/bundle" --json --now "$1" ${2:+--host "$2"} > "$3" || rc=$?
  echo "$rc"
}

rc=$(check 2029-06-01T00:00:00Z "" "$work/before.json")
[[ "$rc" == 0 ]] || fail "before expiry: exit $rc"
[[ "$(field "$work/before.json" "['tier']")" == warning ]] || fail "before expiry: not warning"
[[ "$(field "$work/before.json" "['findings'][0]['waived_by']")" == debug-shell-ticket-42 ]] ||
  fail "before expiry: finding not waived by the exception"
[[ "$(field "$work/before.json" "['exceptions_used']")" == "['debug-shell-ticket-42']" ]] ||
  fail "before expiry: exception not recorded"
echo "ok   before expiry: warning, cmdline-mismatch waived by debug-shell-ticket-42"

rc=$(check 2030-01-01T00:00:01Z "" "$work/after.json")
[[ "$rc" == 1 ]] || fail "after expiry: exit $rc"
[[ "$(field "$work/after.json" "['tier']")" == contraindicated ]] || fail "after expiry: tier"
[[ "$(field "$work/after.json" "['findings'][0]['waived_by']")" == None ]] || fail "after expiry: still waived"
grep -q "expired" "$work/after.json" || fail "after expiry: message does not say the exception expired"
echo "ok   after expiry: contraindicated, message says the exception expired"

rc=$(check 2029-06-01T00:00:00Z host-good-1 "$work/other.json")
[[ "$rc" == 1 ]] || fail "other host: exit $rc (the exception must not apply)"
echo "ok   another host with the same finding: not waived"

# An exception for a different finding does not waive this one.
sed -i 's/finding_code: "cmdline-mismatch"/finding_code: "image-not-allowed"/' "$policy"
rc=$(check 2029-06-01T00:00:00Z "" "$work/code.json")
[[ "$rc" == 1 ]] || fail "other finding code: exit $rc"
echo "ok   an exception for another finding code waives nothing"

refused() {  # refused NAME NEEDLE: the policy is refused with exit 2 and NEEDLE in stderr
  local rc=0
  "$BOOTGATE_CLI" policy validate "$work/$1" 2> "$work/err" >/dev/null || rc=$?
  [[ "$rc" == 2 ]] || fail "$1: exit $rc, expected 2"
  grep -qF -- "$2" "$work/err" || fail "$1: error does not contain '$2': $(cat "$work/err")"
  echo "ok   $1 refused: $(head -c 200 "$work/err" | head -1)"
}

grep -v 'owner:' "$policy" > "$work/no-owner.textproto"
refused no-owner.textproto "exceptions[0].owner"

cp "$base" "$work/unknown-field.textproto"
sed -i '0,/^  hosts:/s//  colour: "blue"\n  hosts:/' "$work/unknown-field.textproto"
line=$(grep -n 'colour' "$work/unknown-field.textproto" | cut -d: -f1)
refused unknown-field.textproto "unknown-field.textproto:$line:"

sed '0,/sha256: "[0-9a-f]*"/s//sha256: "XYZ"/' "$base" > "$work/bad-hex.textproto"
refused bad-hex.textproto "sha256"

cat > "$work/empty-group.json" <<'J'
{"name": "p", "version": "1", "groups": [{"name": "empty", "verdict_ttl": "3600s"}]}
J
refused empty-group.json "groups[0].hosts"

sed 's/hosts: "host-log-truncated"/hosts: "host-good-1"/' "$base" > "$work/duplicate-host.textproto"
refused duplicate-host.textproto "host-good-1"
