// The TPM 2.0 key derivation functions (TPM 2.0 Part 1, 11.4.10): KDFa (counter-mode HMAC,
// NIST SP 800-108) and KDFe (hash-based, NIST SP 800-56A concatenation KDF for ECDH).
// Declared for users through verifier/enroll/make_credential.h.
#ifndef BOOTGATE_VERIFIER_ENROLL_KDF_H_
#define BOOTGATE_VERIFIER_ENROLL_KDF_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "verifier/crypto/hash.h"

namespace bootgate::enroll {

// Labels follow the TPM reference implementation: a 0x00 octet follows the label unless the
// label already ends in one ("STORAGE" and "STORAGE\0" derive the same bytes), and also
// follows an empty label.

// KDFa (TPM 2.0 Part 1, 11.4.10.2): counter-mode HMAC KDF. bits must be a multiple of 8 here.
// K(i) = HMAC_key([i]_32 || label || 0x00 || context_u || context_v || [bits]_32).
absl::StatusOr<std::vector<uint8_t>> KDFa(crypto::HashAlg alg, std::span<const uint8_t> key,
                                          absl::string_view label,
                                          std::span<const uint8_t> context_u,
                                          std::span<const uint8_t> context_v, uint32_t bits);

// KDFe (11.4.10.3): hash-based KDF for ECDH: Z, label, partyUInfo, partyVInfo.
// K(i) = H([i]_32 || z || label || 0x00 || party_u || party_v). bits a multiple of 8.
absl::StatusOr<std::vector<uint8_t>> KDFe(crypto::HashAlg alg, std::span<const uint8_t> z,
                                          absl::string_view label, std::span<const uint8_t> party_u,
                                          std::span<const uint8_t> party_v, uint32_t bits);

}  // namespace bootgate::enroll

#endif  // BOOTGATE_VERIFIER_ENROLL_KDF_H_
