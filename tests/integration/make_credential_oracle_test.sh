#!/usr/bin/env bash
# verifier/enroll against the reference implementations (tests/integration/credential_oracle):
#  a. tpm2_makecredential -T none (tpm2-tools 5.4) for software EK key pairs (RSA-2048, EC P-256):
#     MakeCredentialWithSeed, given the seed recovered from tpm2-tools' encrypted seed, makes a
#     byte-identical credential blob.
#  b. a real swtpm: credentials our MakeCredential makes for its EKs (RSA and ECC) and the Names
#     of AKs under them are released by tpm2_activatecredential, exactly our secret; made for
#     another Name, activation fails. ParseTpmPublic's Names equal the TPM's.
#  c. the swtpm's EK certificates verify against its CA (and not against others), and
#     DefaultEkPublic(certificate key) equals tpm2_createek's and swtpm_setup's EK public
#     areas byte for byte.
set -euo pipefail

: "${CREDENTIAL_ORACLE:?}" "${BOOTGATE_SOURCE_DIR:?}"
workdir="$(mktemp -d)"
# shellcheck source=../../swtpm-fixtures/swtpm.sh
source "$BOOTGATE_SOURCE_DIR/swtpm-fixtures/swtpm.sh"
swtpm_start "$workdir/swtpm" sha256
trap 'swtpm_stop; rm -rf "$workdir"' EXIT
cd "$workdir"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
oracle() { "$CREDENTIAL_ORACLE" "$@"; }
hex_of() { xxd -p -c 1000 "$1"; }

echo "== a. tpm2_makecredential -T none vs MakeCredentialWithSeed"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ek_rsa.key 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ek_ecc.key 2>/dev/null
for alg in rsa ecc; do
  openssl pkey -in "ek_$alg.key" -pubout -out "ek_$alg.pem"
  for size in 32 16 1; do
    head -c "$size" /dev/urandom > secret
    name="000b$(head -c 32 /dev/urandom | xxd -p -c 64)"
    tpm2_makecredential -T none -u "ek_$alg.pem" -G "$alg" -s secret -n "$name" -o tools.cred \
      >/dev/null 2>&1 || { fail "tpm2_makecredential ($alg)"; continue; }
    if out="$(oracle replay "ek_$alg.key" "$name" secret tools.cred)"; then
      pass "$alg EK, $size-byte secret: $out"
    else
      fail "$alg EK, $size-byte secret: $out"
    fi
    # Not vacuous: another secret gives another blob.
    head -c "$size" /dev/urandom > other_secret
    if oracle replay "ek_$alg.key" "$name" other_secret tools.cred >/dev/null; then
      fail "$alg: a different secret reproduced tpm2-tools' blob"
    fi
  done
done

echo "== b. MakeCredential -> tpm2_activatecredential on the swtpm"
# EKs from the TCG default templates, an AK under each.
tpm2_createek -c ek_rsa.ctx -G rsa -u ek_rsa.pub >/dev/null
tpm2_flushcontext -t
tpm2_createak -C ek_rsa.ctx -c ak_rsa.ctx -G rsa -g sha256 -s rsassa -u ak_rsa.pub -n ak_rsa.name >/dev/null
tpm2_flushcontext -t
tpm2_createek -c ek_ecc.ctx -G ecc -u ek_ecc.pub >/dev/null
tpm2_flushcontext -t
tpm2_createak -C ek_ecc.ctx -c ak_ecc.ctx -G ecc -g sha256 -s ecdsa -u ak_ecc.pub -n ak_ecc.name >/dev/null
tpm2_flushcontext -t

for alg in rsa ecc; do
  tpm2_readpublic -c "ak_$alg.ctx" -n "ak_$alg.readpublic.name" >/dev/null
  tpm2_flushcontext -t
  out="$(oracle name "ak_$alg.pub")" || fail "$alg AK attributes: $out"
  ours="$(head -1 <<<"$out")"
  if [[ "$ours" == "$(hex_of "ak_$alg.name")" && "$ours" == "$(hex_of "ak_$alg.readpublic.name")" ]]; then
    pass "$alg AK Name = tpm2_createak -n = tpm2_readpublic -n ($ours); $(tail -1 <<<"$out")"
  else
    fail "$alg AK Name $ours, TPM says $(hex_of "ak_$alg.name")"
  fi
done
# An EK is no AK: decrypt, no sign.
out="$(oracle name ek_rsa.pub)" && fail "the EK passed the AK checks"
grep -qF "AK attributes: missing sign; has decrypt" <<<"$out" \
  && pass "EK refused as AK: $(tail -1 <<<"$out")" || fail "EK as AK: $out"

# activate EK_CTX AK_CTX CREDENTIAL OUT: TPM2_ActivateCredential with the EK's policy
# (PolicySecret(endorsement)); the session is flushed whatever happens.
activate() {
  local rc=0
  tpm2_startauthsession --policy-session -S session.ctx >/dev/null
  tpm2_policysecret -S session.ctx -c e >/dev/null
  tpm2_activatecredential -c "$2" -C "$1" -i "$3" -o "$4" -P "session:session.ctx" \
    >activate.log 2>&1 || rc=$?
  tpm2_flushcontext session.ctx >/dev/null 2>&1 || true
  tpm2_flushcontext -t >/dev/null 2>&1 || true
  return "$rc"
}

for alg in rsa ecc; do
  other=$([[ $alg == rsa ]] && echo ecc || echo rsa)
  for size in 32 20 1; do
    head -c "$size" /dev/urandom > secret
    out="$(oracle make "ek_$alg.pub" "$(hex_of "ak_$alg.name")" secret our.cred)" \
      || { fail "make ($alg): $out"; continue; }
    rm -f released
    if activate "ek_$alg.ctx" "ak_$alg.ctx" our.cred released && cmp -s secret released; then
      pass "$alg EK: the swtpm released exactly our $size-byte secret"
    else
      fail "$alg EK, $size-byte secret: activation failed or released other bytes: $(cat activate.log)"
    fi
  done
  # A credential made for another Name (the other AK's; a random one) is not released.
  for wrong in "$(hex_of "ak_$other.name")" "000b$(head -c 32 /dev/urandom | xxd -p -c 64)"; do
    oracle make "ek_$alg.pub" "$wrong" secret wrong.cred >/dev/null || fail "make (wrong name)"
    rm -f released
    if activate "ek_$alg.ctx" "ak_$alg.ctx" wrong.cred released; then
      fail "$alg EK: a credential for Name $wrong was released to ak_$alg"
    else
      pass "$alg EK: credential for another Name refused ($(grep -o 'TPM_RC_[A-Z_]*\|0x[0-9a-fA-F]*' activate.log | head -1))"
    fi
  done
done
# Our credential for the RSA EK does not open with the ECC EK.
oracle make ek_rsa.pub "$(hex_of ak_ecc.name)" secret cross.cred >/dev/null
if activate ek_ecc.ctx ak_ecc.ctx cross.cred released; then
  fail "a credential for the RSA EK was released by the ECC EK"
else
  pass "credential for the RSA EK refused by the ECC EK"
fi

echo "== c. EK certificates and DefaultEkPublic"
tpm2_nvread 0x01c00002 -o ek_rsa_cert.der >/dev/null 2>&1
tpm2_readpublic -c 0x81010001 -o ek_persistent.pub >/dev/null  # the EK swtpm_setup certified
if out="$(oracle check-ek ek_rsa_cert.der ek_rsa.pub "$SWTPM_CA_ROOT" "$SWTPM_CA_ISSUER")"; then
  pass "RSA EK certificate vs tpm2_createek:"$'\n'"$out"
else
  fail "RSA EK certificate vs tpm2_createek: $out"
fi
if out="$(oracle check-ek ek_rsa_cert.der ek_persistent.pub "$SWTPM_CA_ROOT" "$SWTPM_CA_ISSUER")"; then
  pass "RSA EK certificate vs swtpm_setup's EK 0x81010001: $(tail -1 <<<"$out")"
else
  fail "RSA EK certificate vs the persistent EK: $out"
fi
# Another TPM's EK public area (here: the ECC EK) does not match the certificate.
out="$(oracle check-ek ek_rsa_cert.der ek_ecc.pub "$SWTPM_CA_ROOT" "$SWTPM_CA_ISSUER")" \
  && fail "the ECC EK matched the RSA EK certificate"
grep -qF "key-match: FAILED_PRECONDITION: the EK public area does not match the EK certificate's key" <<<"$out" \
  && grep -qF "default-ek: DIFFERS" <<<"$out" \
  && pass "ECC EK public area vs RSA EK certificate: mismatch reported" || fail "mismatch: $out"
# The intermediate alone is not a trust anchor; another CA's root does not help.
out="$(oracle check-ek ek_rsa_cert.der ek_rsa.pub "$SWTPM_CA_ISSUER")" && fail "issuer alone trusted"
grep -qF "chain: PERMISSION_DENIED: EK certificate CN=unknown (issuer CN=swtpm-localca) does not chain to a trusted CA" <<<"$out" \
  && pass "issuer CA alone: $out" || fail "issuer alone: $out"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other_ca.key \
  -subj "/CN=Other TPM Vendor Root" -days 30 -addext basicConstraints=critical,CA:TRUE \
  -out other_ca.pem >/dev/null 2>&1
out="$(oracle check-ek ek_rsa_cert.der ek_rsa.pub other_ca.pem)" && fail "other vendor root trusted"
grep -qF "unable to get local issuer certificate" <<<"$out" \
  && pass "another vendor's root: $out" || fail "other root: $out"
# swtpm's ECC EK certificate (0x01c00016) is for a P-384 EK (high-range template): its chain
# verifies; no default L-2 template exists for it, so an agent must send the EK public area.
tpm2_nvread 0x01c00016 -o ek_p384_cert.der >/dev/null 2>&1
out="$(oracle check-ek ek_p384_cert.der - "$SWTPM_CA_ROOT" "$SWTPM_CA_ISSUER")" || true
grep -q "^chain: ok" <<<"$out" \
  && grep -qF "default-ek: INVALID_ARGUMENT: EK key: EC curve secp384r1 has no default EK template" <<<"$out" \
  && pass "P-384 EK certificate:"$'\n'"$out" || fail "P-384 EK certificate: $out"

if ((failures > 0)); then
  echo "make_credential_oracle: $failures failure(s)" >&2
  exit 1
fi
echo "make_credential_oracle: all checks passed"
