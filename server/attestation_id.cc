#include "server/attestation_id.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>

#include "absl/status/status.h"
#include "verifier/bytes/hex.h"

namespace bootgate::server {

std::string AttestationId(absl::Time at,
                          std::span<const uint8_t, kAttestationIdUniqueBytes> unique) {
  const uint64_t seconds = static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixSeconds(at)));
  std::array<uint8_t, 8 + kAttestationIdUniqueBytes> id;
  for (int i = 0; i < 8; ++i) id[i] = static_cast<uint8_t>(seconds >> (56 - 8 * i));
  std::copy(unique.begin(), unique.end(), id.begin() + 8);
  return bytes::ToHex(id);
}

absl::StatusOr<std::string> RandomAttestationId(absl::Time now) {
  std::array<uint8_t, kAttestationIdUniqueBytes> unique;
  if (RAND_bytes(unique.data(), static_cast<int>(unique.size())) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  return AttestationId(now, unique);
}

}  // namespace bootgate::server
