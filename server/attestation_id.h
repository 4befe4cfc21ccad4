// The id under which the store records an attestation, public as Verdict.attestation_id and in
// the verdict JWT: 64 lowercase hex digits,
//   time (unix seconds, 8 bytes big-endian) || 24 bytes that make it unique.
// The time comes first so that ids made close together sort close together: each new row's
// entry in the store's unique index on the id lands next to the last ones (a page already in
// memory), not on a random page of an index that holds a fleet's whole history (issue 14: with
// random ids, every attestation dirtied one more random index page, written to the WAL at each
// commit).
#ifndef BOOTGATE_SERVER_ATTESTATION_ID_H_
#define BOOTGATE_SERVER_ATTESTATION_ID_H_

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bootgate::server {

inline constexpr size_t kAttestationIdUniqueBytes = 24;

// `at` (whole seconds; before 1970 counts as 1970), then `unique` (part of a SHA-256 digest,
// random bytes).
std::string AttestationId(absl::Time at,
                          std::span<const uint8_t, kAttestationIdUniqueBytes> unique);

// A new id at `now` with 24 random bytes (RAND_bytes): for a server-made verdict.
absl::StatusOr<std::string> RandomAttestationId(absl::Time now);

}  // namespace bootgate::server

#endif  // BOOTGATE_SERVER_ATTESTATION_ID_H_
