// TPM public areas at enrollment: parsing the agent's TPM2B_PUBLIC (AK or EK) with its TPM
// Name, the attribute checks an AK must pass, the TCG default EK public area for an EK
// certificate's key, and the EK key identity (fingerprint) hosts are bound to.
#ifndef BOOTGATE_VERIFIER_ENROLL_TPM_PUBLIC_H_
#define BOOTGATE_VERIFIER_ENROLL_TPM_PUBLIC_H_

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bootgate::enroll {

struct TpmPublic {
  TPMT_PUBLIC area;
  std::vector<uint8_t> name;  // nameAlg || H(marshaled area)
};

// Parses a marshaled TPM2B_PUBLIC (all bytes used, size prefix must match; bounded).
// InvalidArgument naming the problem; also when nameAlg is not a hash (no Name).
absl::StatusOr<TpmPublic> ParseTpmPublic(std::span<const uint8_t> tpm2b_public);

// The AK checks of enrollment: RSA or ECC signing key that is restricted, sign, fixedTPM,
// fixedParent, sensitiveDataOrigin, and NOT decrypt; nameAlg SHA-256 or stronger. InvalidArgument
// naming every missing/extra attribute ("AK attributes: missing fixedTPM; has decrypt").
absl::Status CheckAkAttributes(const TPMT_PUBLIC& ak);

// The TCG EK Credential Profile's default RSA 2048 EK template (L-1) as TPM2_CreatePrimary
// takes it: its unique is 256 zero bytes. The agent creates its EK from it.
TPMT_PUBLIC RsaEkTemplate();

// The TCG EK Credential Profile's default ECC NIST P-256 EK template (L-2): SHA-256 nameAlg,
// the same attributes and authPolicy, AES-128-CFB, no scheme, no KDF; its unique is x and y of
// 32 zero bytes each.
TPMT_PUBLIC EccEkTemplate();

// The EK public area the TCG EK Credential Profile's default templates give for this key
// (RSA 2048 template L-1 / ECC P-256 template L-2: SHA-256 nameAlg, AES-128-CFB, the standard
// authPolicy and attributes) — used when the agent sends only an EK certificate.
// InvalidArgument for a key no default template makes (other sizes, curves, RSA exponents).
absl::StatusOr<TPMT_PUBLIC> DefaultEkPublic(EVP_PKEY* ek_key);

// OK when `ek`'s key (modulus+exponent / curve point) equals `cert_key`; FailedPrecondition
// ("the EK public area does not match the EK certificate's key") otherwise.
absl::Status CheckEkMatchesKey(const TPMT_PUBLIC& ek, EVP_PKEY* cert_key);

// Lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo: the EK identity hosts are bound to.
absl::StatusOr<std::string> KeyFingerprint(EVP_PKEY* key);

// The marshaled TPMT_PUBLIC (no size prefix): what the Name hashes. InvalidArgument when
// tss2-mu cannot marshal it.
absl::StatusOr<std::vector<uint8_t>> MarshalTpmtPublic(const TPMT_PUBLIC& area);

}  // namespace bootgate::enroll

#endif  // BOOTGATE_VERIFIER_ENROLL_TPM_PUBLIC_H_
