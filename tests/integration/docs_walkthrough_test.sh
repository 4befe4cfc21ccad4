#!/usr/bin/env bash
# The newcomer's walk-through in docs/enrollment.md ("Enroll and attest a swtpm host"), run as
# written: only /tmp/ becomes a scratch directory and build/ this build. It must enroll, attest
# eligible, show the revocation in the placement watch, refuse the next attestation (exit 1, not
# eligible) and show the audit log. (bootgated takes free loopback ports, as the document says,
# and the commands read them from the file it prints them to.)
set -uo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-docs.XXXXXX")"
trap 'pkill -f "$work/bootgated.textproto" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$work/out" >&2; exit 1; }
doc="$BOOTGATE_SOURCE_DIR/docs/enrollment.md"
sed -n '/^## Enroll and attest a swtpm host/,/^## Callers/p' "$doc" | sed -n '/^```sh$/,/^```$/p' |
  sed '1d;$d' | sed "s|/tmp/|$work/|g; s|build/|$BOOTGATE_BINARY_DIR/|g" > "$work/walkthrough.sh"
[[ $(wc -l < "$work/walkthrough.sh") -gt 10 ]] || fail "no walk-through found in $doc"
unset SWTPM_CACHE_DIR BOOTGATE_SERVER
export BOOTGATE_FIXTURE="$BOOTGATE_BINARY_DIR/swtpm-fixtures/bootgate-fixture"
(cd "$BOOTGATE_SOURCE_DIR" && bash "$work/walkthrough.sh") > "$work/out" 2>&1
grep -q '^enrolled host-good-1$' "$work/out" || fail "not enrolled"
grep -q '^host host-good-1: affirming, placement eligible$' "$work/out" || fail "not eligible"
grep -q 'host-good-1 new-verdict: eligible -> NOT eligible' "$work/out" || fail "the watch did not show the revocation"
grep -q 'FAILED_PRECONDITION: the AK of host "host-good-1" was revoked' "$work/out" || fail "attest not refused"
grep -q '^attest exit 1$' "$work/out" || fail "the revoked host's attest did not exit 1 (not eligible)"
grep -Eq 'host.revoke +host-good-1 +ok +trying revocation' "$work/out" || fail "no audit line"
echo "PASS: docs/enrollment.md walk-through ($(wc -l < "$work/walkthrough.sh") lines) as written"
