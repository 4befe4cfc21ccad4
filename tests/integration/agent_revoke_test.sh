#!/usr/bin/env bash
# Issue 13 item 5: revocation sticks to the AK. A host enrolled on a real swtpm is revoked; while
# it is revoked, attesting is not eligible (exit 1), enrolling again is refused and the agent
# keeps its AK. After an admin allows re-enrollment, the server refuses the revoked AK (by its
# fingerprint) and the agent evicts it, makes a new AK under the EK and enrolls with that (one
# retry). The old AK stays refused for this host and any other one, on the admin path
# (`host add`) too; the new AK attests.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-agent-revoke.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
cli="$BOOTGATE_CLI"
out="$work/out"
ak_handle=0x81010003  # free on a booted fixture TPM (its own AK is at 0x81010002)

on() { local tcti; tcti="$(cat "$work/$1/tcti")"; shift; TPM2TOOLS_TCTI="$tcti" "$@"; }
no_leftovers() {
  local left
  left="$(on "$1" tpm2_getcap handles-transient)$(on "$1" tpm2_getcap handles-loaded-session)"
  [[ -z "$left" ]] || fail "left loaded in $1's TPM: $left"
}
spki_sha256() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

boot_host host-r good-host
on host-r tpm2_flushcontext -t
on host-r tpm2_flushcontext -s
tcti="$(cat "$work/host-r/tcti")"
printf 'enrollment { ek_ca_files: "%s" }\n' "$work/host-r/ek-ca.pem" > "$work/config.textproto"
start_bootgated --config "$work/config.textproto"
sed 's/^  hosts: "host-good-1"$/&\n  hosts: "host-r"/' \
  "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto" > "$work/policy.textproto"
expect_rc 0 "$out" "$cli" policy push "$work/policy.textproto"
agent=(--host host-r --tcti "$tcti" --ak-handle "$ak_handle" --eventlog "$work/host-r/eventlog.bin")

echo "enroll host-r: a new AK, persisted; it attests"
expect_rc 0 "$out" "$cli" enroll host-r --tcti "$tcti" --ak-handle "$ak_handle" --group good-host
expect_grep '^AK 0x81010003 created, name 000b[0-9a-f]{64}$' "$out"
old_fp="$(sed -n 's/^ak sha256 \([0-9a-f]\{64\}\)$/\1/p' "$out")"
on host-r tpm2_readpublic -c "$ak_handle" -f pem -o "$work/old-ak.pem" > /dev/null
[[ "$(spki_sha256 "$work/old-ak.pem")" == "$old_fp" ]] || fail "the persisted AK is not the enrolled one"
expect_rc 0 "$out" "$cli" attest "${agent[@]}"
expect_grep '^host host-r: affirming, placement eligible$' "$out"

echo "revoke: enrolling again is refused (the host is revoked) and the agent keeps its AK"
expect_rc 0 "$out" "$cli" host revoke host-r --reason "key material leaked, ticket 7"
# The revoked host attesting is not eligible (exit 1, as for a contraindicated verdict), not an
# error of the agent's (2): bootgated marks the refusal (trailing metadata bootgate-refusal).
expect_rc 1 "$out" "$cli" attest "${agent[@]}"
expect_grep 'FAILED_PRECONDITION: the AK of host "host-r" was revoked' "$out"
expect_rc 1 "$out" "$cli" enroll host-r --tcti "$tcti" --ak-handle "$ak_handle"
expect_grep '^AK 0x81010003 found, name ' "$out"
expect_grep 'FAILED_PRECONDITION: host "host-r" is revoked; an admin must allow re-enrollment' "$out"
if grep -q 'evicted' "$out"; then fail "the agent evicted its AK for a revoked host: $(cat "$out")"; fi

echo "host reenroll: the revoked AK is refused, the agent makes a new one and enrolls with it"
expect_rc 0 "$out" "$cli" host reenroll host-r --reason "rebuilt, ticket 8"
expect_rc 0 "$out" "$cli" enroll host-r --tcti "$tcti" --ak-handle "$ak_handle"
expect_grep '^AK 0x81010003 found, name ' "$out"
expect_grep "^Enrollment.Start: AK sha256 ${old_fp:0:12}… was revoked \(host \"host-r\", by .+: key material leaked, ticket 7\) and is never bound again: enroll a new AK$" "$out"
expect_grep '^AK 0x81010003 evicted \(revoked\)$' "$out"
expect_grep '^AK 0x81010003 created, name 000b[0-9a-f]{64}$' "$out"
expect_grep '^credential activated$' "$out"
expect_grep '^status active$' "$out"
new_fp="$(sed -n 's/^ak sha256 \([0-9a-f]\{64\}\)$/\1/p' "$out")"
[[ -n "$new_fp" && "$new_fp" != "$old_fp" ]] || fail "host-r re-enrolled with the revoked AK: $(cat "$out")"
no_leftovers host-r
expect_rc 0 "$out" "$cli" attest "${agent[@]}"
expect_grep '^host host-r: affirming, placement eligible$' "$out"

echo "the revoked AK stays refused, for this host and any other (admin path too)"
for host in host-r host-other; do
  expect_rc 2 "$out" "$cli" host add "$host" --group good-host --ak "$work/old-ak.pem"
  expect_grep "FAILED_PRECONDITION: AK sha256 ${old_fp:0:12}… was revoked \(host \"host-r\"" "$out"
done
expect_rc 0 "$out" "$cli" host show host-r
expect_grep "^ak sha256 $new_fp$" "$out"

echo "PASS: agent revoke (revoked AK ${old_fp:0:12} refused, new AK ${new_fp:0:12} enrolled)"
