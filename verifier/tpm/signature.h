// Verifying a TPM signature (TPMT_SIGNATURE, as `tpm2_quote -s` writes it) over attestation
// bytes with an AK public key, through OpenSSL EVP.
#ifndef BOOTGATE_VERIFIER_TPM_SIGNATURE_H_
#define BOOTGATE_VERIFIER_TPM_SIGNATURE_H_

#include <openssl/evp.h>

#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "verifier/crypto/hash.h"

namespace bootgate::tpm {

struct SignatureOptions {
  // SHA-1 signatures are forgeable in practice (chosen-prefix collisions); refused by default.
  bool allow_sha1 = false;
};

struct VerifiedSignature {
  uint16_t scheme =
      0;  // TPM_ALG_RSASSA (0x0014), TPM_ALG_RSAPSS (0x0016) or TPM_ALG_ECDSA (0x0018)
  crypto::HashAlg hash = crypto::HashAlg::kSha256;  // also the hash of a quote's pcrDigest
};

// "rsassa", "rsapss", "ecdsa", "ecdaa", "sm2", "ecschnorr", "hmac", "null", or "0x...."
std::string SignatureSchemeName(uint16_t scheme);

// Verifies `tpmt_signature` over exactly `message` with `key`. Accepted: RSASSA-PKCS1-v1_5 and
// RSA-PSS (any salt length, as TPMs use the maximum or the digest length) with an RSA key,
// ECDSA with an EC key; hashes SHA-256/384/512, and SHA-1 only if `options.allow_sha1`.
// Errors:
//   - InvalidArgument: the signature bytes are truncated, malformed or have trailing bytes;
//   - QuoteRejection::kUnsupportedScheme: another scheme (ECDAA, SM2, HMAC, NULL...), an
//     unknown hash, or SHA-1 not allowed;
//   - QuoteRejection::kKeySchemeMismatch: an RSA scheme with an EC key or the reverse;
//   - QuoteRejection::kBadSignature: the signature does not verify.
// `key` is borrowed for the call.
absl::StatusOr<VerifiedSignature> VerifyTpmSignature(std::span<const uint8_t> message,
                                                     std::span<const uint8_t> tpmt_signature,
                                                     EVP_PKEY* key,
                                                     const SignatureOptions& options = {});

}  // namespace bootgate::tpm

#endif  // BOOTGATE_VERIFIER_TPM_SIGNATURE_H_
