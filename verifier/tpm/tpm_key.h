// TPM public areas (TPMT_PUBLIC) as OpenSSL keys, and TPM Names: shared by AK parsing
// (ak_public) and enrollment (verifier/enroll), which both start from a TPM's public area.
#ifndef BOOTGATE_VERIFIER_TPM_TPM_KEY_H_
#define BOOTGATE_VERIFIER_TPM_TPM_KEY_H_

#include <tss2/tss2_tpm2_types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::tpm {

// An ECC curve bootgate accepts: the TPM_ECC_CURVE code, OpenSSL's group name and the size
// of a coordinate in bytes.
struct EccCurve {
  uint16_t tpm_id;
  const char* group;
  size_t field_bytes;
};

// NIST P-256, P-384, P-521; nullptr for any other curve.
const EccCurve* FindEccCurve(uint16_t tpm_id);
const EccCurve* FindEccCurveByGroup(absl::string_view group);

// The public key of a TPM RSA or ECC (P-256/P-384/P-521) key. InvalidArgument for another
// type or curve, or values OpenSSL refuses (a point not on the curve); messages start with
// `what` ("AK public key", "EK public area").
absl::StatusOr<crypto::EvpPkeyPtr> PublicKeyFromTpmt(const TPMT_PUBLIC& pub,
                                                     absl::string_view what);

// Public keys from their values, through EVP_PKEY_fromdata (OpenSSL's key management, not
// its decoder framework, which costs several times more per key). InvalidArgument when
// OpenSSL refuses the values (for EC: a point not on the curve); messages start with `what`.
absl::StatusOr<crypto::EvpPkeyPtr> RsaPublicKey(const BIGNUM& n, const BIGNUM& e,
                                                absl::string_view what);
// `point`: an octet-string EC point (SEC 1: 04 || X || Y, or compressed).
absl::StatusOr<crypto::EvpPkeyPtr> EcPublicKey(const EccCurve& curve,
                                               std::span<const uint8_t> point,
                                               absl::string_view what);

// The TPM Name of an object: nameAlg (2 bytes, big-endian) || H_nameAlg(marshaled
// TPMT_PUBLIC). InvalidArgument when `name_alg` is not a hash algorithm bootgate knows.
absl::StatusOr<std::vector<uint8_t>> TpmName(uint16_t name_alg,
                                             std::span<const uint8_t> marshaled_tpmt_public);

}  // namespace bootgate::tpm

#endif  // BOOTGATE_VERIFIER_TPM_TPM_KEY_H_
