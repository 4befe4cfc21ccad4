#!/usr/bin/env bash
# AK enrollment on real swtpm TPMs against a real bootgated (issue 7, acceptance 1 and 3):
#   - `bootgate enroll` succeeds with the swtpm's EK certificate (chain to its swtpm-localca CA)
#     and the host then attests eligible;
#   - refused, each with its own message: an EK certificate from an untrusted CA, an expired
#     chain, an AK without fixedTPM, a wrong activation secret, an activation replayed for
#     another host, another TPM taking over a bound host id (until an admin allows it), a TPM
#     that already speaks for another host;
#   - our software MakeCredential activates with tpm2_activatecredential, and the store keeps
#     only SHA-256 of the secret;
#   - the vTPM path: an AK certificate from a trusted platform CA binds at once; one from an
#     untrusted CA, for another host, or for another key is refused;
#   - a revoked AK: Placement.Watch shows the host turn ineligible at once; its next attest is
#     refused; the audit log holds all of it.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-enroll.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
# Distinct TPMs matter here: every host gets its own freshly provisioned swtpm, EK and CA.
unset SWTPM_CACHE_DIR
cli="$BOOTGATE_CLI"
client="$BOOTGATE_BINARY_DIR/tests/integration/attest_client"
out="$work/out"
ak=0x81010002 ek=0x81010001

boot_host host-a good-host
boot_host tpm-b good-host

# tpm HOST CMD...: a tpm2-tools command on HOST's swtpm, transient objects flushed after it
# (a raw swtpm has no resource manager).
tpm() {
  local tcti; tcti="$(cat "$work/$1/tcti")"; shift
  TPM2TOOLS_TCTI="$tcti" "$@" > /dev/null
  TPM2TOOLS_TCTI="$tcti" tpm2_flushcontext -t
}

# TPM A's EK, its certificate and AK public, as a raw API client would send them.
# swtpm_setup persisted the EK at 0x81010001 (TCG default RSA template).
tpm host-a tpm2_readpublic -c "$ek" -o "$work/ek-a.pub"
tpm host-a tpm2_readpublic -c "$ek" -f pem -o "$work/ek-a.pem"
tpm host-a tpm2_nvread 0x01c00002 -C o -o "$work/ek-a.der" 2> /dev/null
tpm host-a tpm2_readpublic -c "$ak" -o "$work/ak-a.pub"
/usr/bin/python3 "$(dirname "$0")/make_tpm_cert.py" "$work/ek-a.pem" "$work/rogue-ca.pem" "$work/ek-rogue.der"
/usr/bin/python3 "$(dirname "$0")/make_tpm_cert.py" "$work/ek-a.pem" "$work/expired-ca.pem" "$work/ek-expired.der" --expired

# The cloud vTPM path: a second AK in TPM B (persisted at 0x81010005) that a "platform" CA
# certifies for host-v; a second trusted platform CA certifies it for someone else; an untrusted
# one for host-v.
tcti_b="$(cat "$work/tpm-b/tcti")"
TPM2TOOLS_TCTI="$tcti_b" tpm2_createak -C "$ek" -c "$work/akv.ctx" -G rsa -g sha256 -s rsassa \
  -u "$work/akv.pem" -f pem > /dev/null
TPM2TOOLS_TCTI="$tcti_b" tpm2_evictcontrol -C o -c "$work/akv.ctx" 0x81010005 > /dev/null
TPM2TOOLS_TCTI="$tcti_b" tpm2_flushcontext -t
tpm tpm-b tpm2_readpublic -c 0x81010005 -o "$work/akv.pub"
cert() { /usr/bin/python3 "$(dirname "$0")/make_tpm_cert.py" "$@"; }
cert "$work/akv.pem" "$work/platform-ca.pem" "$work/akv-host-v.der" --cn host-v
cert "$work/akv.pem" "$work/platform-ca2.pem" "$work/akv-someone.der" --cn someone-else
cert "$work/akv.pem" "$work/rogue-platform-ca.pem" "$work/akv-rogue.der" --cn host-v

cat > "$work/config.textproto" <<CONF
enrollment {
  ek_ca_files: "$work/host-a/ek-ca.pem"
  ek_ca_files: "$work/tpm-b/ek-ca.pem"
  ek_ca_files: "$work/expired-ca.pem"
  ak_ca_files: "$work/platform-ca.pem"
  ak_ca_files: "$work/platform-ca2.pem"
}
CONF
# The fixture hosts' policy, with this test's host ids in its group.
sed 's/^  hosts: "host-good-1"$/  hosts: "host-good-1"\n  hosts: "host-a"\n  hosts: "host-b"/' \
  "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto" > "$work/policy.textproto"
grep -q 'hosts: "host-a"' "$work/policy.textproto" || fail "could not add host-a to the policy"
start_bootgated --config "$work/config.textproto"
expect_rc 0 "$out" "$cli" policy push "$work/policy.textproto"

echo "an EK certificate from an untrusted CA"
expect_rc 1 "$out" "$client" "$BOOTGATE_SERVER" enroll-start host-x "$work/ak-a.pub" "$work/ek-rogue.der"
expect_grep '^PERMISSION_DENIED: EK certificate.*(trusted|chain|issuer)' "$out"

echo "an expired chain"
expect_rc 1 "$out" "$client" "$BOOTGATE_SERVER" enroll-start host-x "$work/ak-a.pub" "$work/ek-expired.der"
expect_grep '^PERMISSION_DENIED: EK certificate.*expired' "$out"

echo "an AK without fixedTPM (a duplicable restricted signing key made by tpm2_create)"
TPM2TOOLS_TCTI="$(cat "$work/host-a/tcti")" tpm2_createprimary -C o -G rsa -c "$work/owner.ctx" > /dev/null
TPM2TOOLS_TCTI="$(cat "$work/host-a/tcti")" tpm2_create -C "$work/owner.ctx" -G rsa2048:rsassa-sha256:null \
  -a 'sign|restricted|sensitivedataorigin|userwithauth' -u "$work/ak-loose.pub" -r "$work/ak-loose.priv" > /dev/null
TPM2TOOLS_TCTI="$(cat "$work/host-a/tcti")" tpm2_flushcontext -t
expect_rc 1 "$out" "$client" "$BOOTGATE_SERVER" enroll-start host-x "$work/ak-loose.pub" "$work/ek-a.der"
expect_grep '^INVALID_ARGUMENT: .*fixedTPM' "$out"

# activate HOST CREDENTIAL SECRET_OUT: TPM2_ActivateCredential by tpm2-tools with the persisted
# AK and EK (the EK's policy: PolicySecret(endorsement)).
activate() {
  local tcti; tcti="$(cat "$work/$1/tcti")"
  TPM2TOOLS_TCTI="$tcti" tpm2_startauthsession --policy-session -S "$work/session.ctx" > /dev/null
  TPM2TOOLS_TCTI="$tcti" tpm2_policysecret -S "$work/session.ctx" -c e > /dev/null
  TPM2TOOLS_TCTI="$tcti" tpm2_activatecredential -c "$ak" -C "$ek" -i "$2" -o "$3" \
    -P "session:$work/session.ctx" > /dev/null
  TPM2TOOLS_TCTI="$tcti" tpm2_flushcontext "$work/session.ctx"
}
enrollment_id() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["enrollment_id"])' "$1"; }

echo "our credential activates on the real TPM (tpm2_activatecredential); the store keeps only SHA-256 of the secret"
ENROLL_CREDENTIAL_FILE="$work/cred-a" expect_rc 0 "$out" "$client" "$BOOTGATE_SERVER" \
  enroll-start host-a "$work/ak-a.pub" "$work/ek-a.der" "$work/ek-a.pub"
id_a="$(enrollment_id "$out")"
activate host-a "$work/cred-a" "$work/secret-a"
[[ "$(stat -c %s "$work/secret-a")" == 32 ]] || fail "activated secret is not 32 bytes"
stored="$(sqlite3 "$work/data/bootgate.db" "SELECT lower(hex(secret_sha256)) FROM pending_enrollments WHERE enrollment_id = '$id_a'")"
[[ "$stored" == "$(sha256sum < "$work/secret-a" | cut -d' ' -f1)" ]] || fail "stored digest $stored"
secret_hex="$(xxd -p -c 64 "$work/secret-a" | tr a-f A-F)"
if sqlite3 "$work/data/bootgate.db" .dump | tr a-f A-F | grep -q "$secret_hex"; then
  fail "the activation secret is in the database"
fi

echo "an activation replayed for another host is refused, and spends the enrollment"
expect_rc 1 "$out" "$client" "$BOOTGATE_SERVER" enroll-finish host-d "$id_a" "$work/secret-a"
expect_grep '^PERMISSION_DENIED: enrollment .* was started for another host' "$out"
expect_rc 1 "$out" "$client" "$BOOTGATE_SERVER" enroll-finish host-a "$id_a" "$work/secret-a"
expect_grep '^NOT_FOUND: no pending enrollment' "$out"

echo "a wrong activation secret is refused (and cannot be retried)"
ENROLL_CREDENTIAL_FILE="$work/cred-a2" expect_rc 0 "$out" "$client" "$BOOTGATE_SERVER" \
  enroll-start host-a "$work/ak-a.pub" "$work/ek-a.der"
id_a="$(enrollment_id "$out")"
head -c 32 /dev/urandom > "$work/wrong-secret"
expect_rc 1 "$out" "$client" "$BOOTGATE_SERVER" enroll-finish host-a "$id_a" "$work/wrong-secret"
expect_grep '^PERMISSION_DENIED: the activation secret does not match' "$out"
activate host-a "$work/cred-a2" "$work/secret-a2"
expect_rc 1 "$out" "$client" "$BOOTGATE_SERVER" enroll-finish host-a "$id_a" "$work/secret-a2"
expect_grep '^NOT_FOUND: no pending enrollment' "$out"

echo "the right secret binds host-a (raw API, tpm2-tools as the agent)"
ENROLL_CREDENTIAL_FILE="$work/cred-a3" expect_rc 0 "$out" "$client" "$BOOTGATE_SERVER" \
  enroll-start host-a "$work/ak-a.pub" "$work/ek-a.der"
id_a="$(enrollment_id "$out")"
activate host-a "$work/cred-a3" "$work/secret-a3"
expect_rc 0 "$out" "$client" "$BOOTGATE_SERVER" enroll-finish host-a "$id_a" "$work/secret-a3"
expect_grep '"trust_path": ?"enrolled"' "$out"

echo "bootgate enroll host-a on the same TPM again (same EK: no admin needed), then it attests eligible"
expect_rc 0 "$out" "$cli" enroll host-a --tcti "$(cat "$work/host-a/tcti")" --ak-handle "$ak"
expect_grep 'enrolled' "$out"
expect_rc 0 "$out" "$cli" host show host-a
expect_grep 'enrolled' "$out"
good_a=(--host host-a --tcti "$(cat "$work/host-a/tcti")" --eventlog "$work/host-a/eventlog.bin")
expect_rc 0 "$out" "$cli" attest "${good_a[@]}"
expect_grep '^host host-a: affirming, placement eligible$' "$out"

echo "one TPM speaks for one host: TPM A cannot enroll host-c while host-a holds it"
expect_rc 1 "$out" "$client" "$BOOTGATE_SERVER" enroll-start host-c "$work/ak-a.pub" "$work/ek-a.der"
expect_grep '^FAILED_PRECONDITION: this TPM \(EK sha256 [0-9a-f]+…\) is already enrolled as host "host-a"' "$out"

echo "the vTPM path: an AK certificate from a trusted platform CA binds at once (no activation)"
expect_rc 1 "$out" "$client" "$BOOTGATE_SERVER" enroll-start host-v "$work/akv.pub" - - "$work/akv-rogue.der"
expect_grep '^PERMISSION_DENIED: AK certificate.*(trusted|chain|issuer)' "$out"
expect_rc 1 "$out" "$client" "$BOOTGATE_SERVER" enroll-start host-v "$work/akv.pub" - - "$work/akv-someone.der"
expect_grep '^PERMISSION_DENIED: the AK certificate is for "someone-else" \(subject CN\), not for host "host-v"' "$out"
expect_rc 1 "$out" "$client" "$BOOTGATE_SERVER" enroll-start host-v "$work/ak-a.pub" - - "$work/akv-host-v.der"
expect_grep '^INVALID_ARGUMENT: the AK certificate certifies another key than ak_public' "$out"
expect_rc 0 "$out" "$cli" enroll host-v --tcti "$tcti_b" --ak-handle 0x81010005 --ak-cert "$work/akv-host-v.der"
expect_grep 'AK bound at once' "$out"
expect_grep 'ak-certificate' "$out"

echo "another TPM cannot take over host-a until an admin allows re-enrollment"
expect_rc 1 "$out" "$cli" enroll host-a --tcti "$tcti_b" --ak-handle "$ak"
expect_grep 'FAILED_PRECONDITION: .*bound to another TPM' "$out"
expect_rc 0 "$out" "$cli" host reenroll host-a --reason "mainboard replaced, ticket 4711"
expect_rc 0 "$out" "$cli" enroll host-a --tcti "$tcti_b" --ak-handle "$ak"
good_b=(--host host-a --tcti "$tcti_b" --eventlog "$work/tpm-b/eventlog.bin")
expect_rc 0 "$out" "$cli" attest "${good_b[@]}"
expect_grep '^host host-a: affirming, placement eligible$' "$out"
echo "  TPM A is free again: host-c may start an enrollment with it"
expect_rc 0 "$out" "$client" "$BOOTGATE_SERVER" enroll-start host-c "$work/ak-a.pub" "$work/ek-a.der"
echo "  and TPM A's AK no longer speaks for host-a"
expect_rc 1 "$out" "$cli" attest "${good_a[@]}"
expect_grep 'contraindicated' "$out"
expect_rc 0 "$out" "$cli" attest "${good_b[@]}"

echo "revocation: Placement.Watch shows host-a ineligible at once; its next attest is refused"
"$client" "$BOOTGATE_SERVER" watch host-a 20 > "$work/watch.out" 2>&1 &
watch_pid=$!
for _ in $(seq 1 50); do grep -q KIND_INITIAL "$work/watch.out" 2>/dev/null && break; sleep 0.1; done
expect_grep '"kind": ?"KIND_INITIAL".*"eligible": ?true' "$work/watch.out"
revoked_at=$(date +%s%N)
expect_rc 0 "$out" "$cli" host revoke host-a --reason "AK compromise drill"
for _ in $(seq 1 50); do grep -q KIND_NEW_VERDICT "$work/watch.out" 2>/dev/null && break; sleep 0.1; done
seen_at=$(date +%s%N)
kill "$watch_pid" 2>/dev/null || true
expect_grep '"kind": ?"KIND_NEW_VERDICT".*"previously_eligible": ?true' "$work/watch.out"
grep KIND_NEW_VERDICT "$work/watch.out" | grep -q '"eligible": *true' && fail "still eligible after revocation"
grep KIND_NEW_VERDICT "$work/watch.out" | grep -q 'PLACEMENT_REASON_CONTRAINDICATED' || fail "no contraindicated reason"
echo "  watch saw it $(( (seen_at - revoked_at) / 1000000 )) ms after the revoke command started"
expect_rc 1 "$out" "$cli" placement host-a
expect_grep 'NOT eligible' "$out"
expect_rc 1 "$out" "$cli" attest "${good_b[@]}"  # not eligible (revoked), not an error
expect_grep 'FAILED_PRECONDITION: the AK of host "host-a" was revoked' "$out"
expect_rc 1 "$out" "$cli" enroll host-a --tcti "$tcti_b" --ak-handle "$ak"
expect_grep 'FAILED_PRECONDITION: .*revoked' "$out"

echo "the audit log: enrollments, the re-enrollment grant, the revocation, every refusal"
expect_rc 0 "$out" "$cli" audit --limit 200 --json
/usr/bin/python3 - "$out" <<'PY'
import json, sys
records = json.load(open(sys.argv[1])).get("records", [])  # a ListAuditResponse
def has(action, outcome, host=None, reason=None):
    for r in records:
        if r.get("action") == action and r.get("outcome") == outcome and \
           (host is None or r.get("host_id") == host) and \
           (reason is None or reason in r.get("reason", "")):
            return True
    raise SystemExit(f"no audit record {action} {outcome} {host} {reason}: {records}")
has("host.enroll", "ok", "host-a")
has("host.reenroll-allowed", "ok", "host-a", "mainboard replaced")
has("host.revoke", "ok", "host-a", "AK compromise drill")
has("Enrollment.Start", "refused", "host-x", "does not chain")
has("Enrollment.Start", "refused", "host-x", "expired")
has("Enrollment.Start", "refused", "host-x", "fixedTPM")
has("Enrollment.Finish", "refused", "host-d", "another host")
has("Enrollment.Finish", "refused", "host-a", "does not match")
has("Enrollment.Start", "refused", "host-a", "bound to another TPM")
has("Enrollment.Start", "refused", "host-c", "already enrolled as host")
has("Challenge", "refused", "host-a", "revoked")
has("host.enroll", "ok", "host-v")
has("Enrollment.Start", "refused", "host-v", "someone-else")
print(f"audit: {len(records)} records, all expected ones present")
PY
echo "PASS"
