// Hash algorithms as the TPM names them (TPM_ALG_ID), hashing and PCR extend through
// OpenSSL EVP, and constant-time digest comparison.
#ifndef BOOTGATE_VERIFIER_CRYPTO_HASH_H_
#define BOOTGATE_VERIFIER_CRYPTO_HASH_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct evp_md_st;  // OpenSSL's EVP_MD

namespace bootgate::crypto {

using Digest = std::vector<uint8_t>;

// Values are the TPM_ALG_ID codes (TCG TPM 2.0 Part 2, table 9).
enum class HashAlg : uint16_t {
  kSha1 = 0x0004,
  kSha256 = 0x000B,
  kSha384 = 0x000C,
  kSha512 = 0x000D,
  kSm3_256 = 0x0012,
};

// Returns the algorithm for a TPM_ALG_ID, or nullopt for anything that is not a known hash.
std::optional<HashAlg> HashAlgFromTpmId(uint16_t alg_id);
// Returns the algorithm for "sha1", "sha256", "sha384", "sha512", "sm3_256".
std::optional<HashAlg> HashAlgFromName(absl::string_view name);
// "sha1", "sha256", ...
absl::string_view HashAlgName(HashAlg alg);
size_t DigestSize(HashAlg alg);

// The OpenSSL digest for `alg`, fetched once per process (with OpenSSL 3, initialising a
// context with EVP_sha256() re-fetches the implementation on every call, which costs more
// than hashing the 64 bytes of a PCR extend). nullptr when this OpenSSL lacks it (SM3).
const evp_md_st* EvpMd(HashAlg alg);

// Returns H(data). Unimplemented if this OpenSSL has no such digest (SM3 on some builds).
absl::StatusOr<Digest> Hash(HashAlg alg, std::span<const uint8_t> data);

// SHA-256 of `data` in lowercase hex (a fingerprint); "" only if OpenSSL fails, which matches
// no fingerprint.
std::string Sha256Hex(std::span<const uint8_t> data);

// Replaces `pcr` with H(pcr || digest), the TPM2_PCR_Extend operation. `pcr` must already
// have the algorithm's digest size (InvalidArgument otherwise).
absl::Status Extend(HashAlg alg, Digest& pcr, std::span<const uint8_t> digest);

// Compares two byte strings in constant time (for equal lengths); different lengths are
// never equal.
bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace bootgate::crypto

#endif  // BOOTGATE_VERIFIER_CRYPTO_HASH_H_
