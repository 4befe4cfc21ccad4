#!/usr/bin/env bash
# `bootgate enroll --ek ecc` (issue 15): the TCG default ECC P-256 EK (template L-2) proves the
# AK on a real swtpm. swtpm_setup (0.7) certifies an RSA 2048 EK (NV 0x01c00002) and an ECC
# P-384 EK of the high-range template (NV 0x01c00016), not the L-2 P-256 EK that most TPMs on
# sale carry; so the test does what a manufacturer does: the L-2 EK made by `tpm2_createek -G
# ecc`, certified by its own EK CA, the certificate written to NV 0x01c0000a. Expectations come
# from the peers: the EK the agent creates is tpm2_createek's (same Name, same key) and the
# certified one; the server answers with an ECDH-seeded credential (verifier/enroll) that the
# TPM activates; the AK then attests and gets a verdict.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-agent-enroll-ecc.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
unset SWTPM_CACHE_DIR  # a TPM of its own, with its own EKs and EK CA
cli="$BOOTGATE_CLI"
out="$work/out"
ak=0x81010003

on() { local tcti; tcti="$(cat "$work/$1/tcti")"; shift; TPM2TOOLS_TCTI="$tcti" "$@"; }
spki_sha256() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

boot_host host-e good-host
on host-e tpm2_flushcontext -t
on host-e tpm2_flushcontext -s
tcti="$(cat "$work/host-e/tcti")"

echo "manufacturing: the L-2 ECC EK certified and its certificate in NV 0x01c0000a"
pki="$work/pki"
test_ca ek-ca "/CN=bootgate test ECC EK CA"
on host-e tpm2_createek -c "$work/ek.ctx" -G ecc -u "$work/ek.pem" -f pem > /dev/null
on host-e tpm2_readpublic -c "$work/ek.ctx" > "$work/ek.txt"
on host-e tpm2_flushcontext -t
openssl x509 -new -force_pubkey "$work/ek.pem" -subj "/CN=host-e ECC EK" -CA "$pki/ek-ca.pem" \
  -CAkey "$pki/ek-ca.key" -days 2 -outform DER -out "$work/ek-cert.der" \
  -extfile <(printf 'keyUsage=critical,keyEncipherment\nbasicConstraints=critical,CA:FALSE\n')
on host-e tpm2_nvdefine 0x01c0000a -C o -s "$(stat -c %s "$work/ek-cert.der")" \
  -a "ownerread|ownerwrite|authread|no_da" > /dev/null
on host-e tpm2_nvwrite 0x01c0000a -C o -i "$work/ek-cert.der"

printf 'enrollment { ek_ca_files: "%s" }\n' "$pki/ek-ca.pem" > "$work/config.textproto"
start_bootgated --config "$work/config.textproto"
sed 's/^  hosts: "host-good-1"$/&\n  hosts: "host-e"/' \
  "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto" > "$work/policy.textproto"
expect_rc 0 "$out" "$cli" policy push "$work/policy.textproto"

echo "enroll with the ECC EK"
expect_rc 0 "$out" "$cli" enroll host-e --ek ecc --tcti "$tcti" --ak-handle "$ak" --group good-host
expect_grep '^reading EK certificate from NV 0x01c0000a \.\.\. ok \([0-9]+ bytes\)$' "$out"
expect_grep '^EK created \(TCG default ECC P-256 template\), name 000b[0-9a-f]{64}$' "$out"
expect_grep '^credential activated$' "$out"
expect_grep '^Enrollment.Finish \.\.\. ok$' "$out"
expect_grep '^trust path enrolled$' "$out"

echo "the EK the agent created is tpm2_createek -G ecc's, a P-256 key, the certified one"
ek_name="$(sed -n 's/^EK created .*, name \(000b[0-9a-f]*\)$/\1/p' "$out")"
ek_fp="$(sed -n 's/^ek sha256 \([0-9a-f]\{64\}\)$/\1/p' "$out")"
expect_grep "^name: $ek_name$" "$work/ek.txt"
[[ "$(spki_sha256 "$work/ek.pem")" == "$ek_fp" ]] || fail "EK fingerprint $ek_fp is not tpm2_createek's key"
openssl pkey -pubin -in "$work/ek.pem" -noout -text | grep -q 'NIST CURVE: P-256' ||
  fail "the EK is not a P-256 key"

echo "the AK enrolled through the ECC EK attests"
expect_rc 0 "$out" "$cli" attest --host host-e --tcti "$tcti" --ak-handle "$ak" \
  --eventlog "$work/host-e/eventlog.bin"
expect_grep '^host host-e: affirming, placement eligible$' "$out"
echo PASS
