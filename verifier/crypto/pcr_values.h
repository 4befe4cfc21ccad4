// PCR values per bank: what a replay produces and what a quote's pcrDigest is checked against.
#ifndef BOOTGATE_VERIFIER_CRYPTO_PCR_VALUES_H_
#define BOOTGATE_VERIFIER_CRYPTO_PCR_VALUES_H_

#include <cstdint>
#include <map>

#include "verifier/crypto/hash.h"

namespace bootgate::crypto {

inline constexpr uint32_t kPcrCount = 24;  // PCRs 0-23 of a PC Client TPM.

// bank -> PCR index -> value. Only PCRs that are known (quoted, read or replayed) are present.
using PcrValues = std::map<HashAlg, std::map<uint32_t, Digest>>;

}  // namespace bootgate::crypto

#endif  // BOOTGATE_VERIFIER_CRYPTO_PCR_VALUES_H_
