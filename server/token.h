// Stateless challenge tokens: the nonce of an attestation, checkable by any replica that
// shares the token key, with no server-side state until the token is used.
//
// Wire form: base64url (unpadded) of
//   version (1 byte, = 1) || key id (1) || host id length (1) || host id (1..255 bytes)
//   || expiry (unix seconds, 8 bytes big-endian) || random (16, RAND_bytes)
//   || HMAC-SHA256(key[key id], every byte before the MAC)
//
// The TPM quote carries QualifyingData(token) = SHA-256 of the token string's bytes as issued
// (TPM2B_DATA holds at most 64 bytes). Single use is not checked here: the caller stores
// TokenInfo::token_id under a unique key, and a second insert means replay.
#ifndef BOOTGATE_SERVER_TOKEN_H_
#define BOOTGATE_SERVER_TOKEN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "verifier/crypto/hash.h"

namespace bootgate::server {

inline constexpr size_t kMinTokenKeyBytes = 32;
inline constexpr size_t kMaxTokenHostIdBytes = 255;

// An HMAC key and the id written into the tokens it makes. Rotation: issue with a new id,
// keep the old key among the verification keys until its tokens have expired.
struct TokenKey {
  uint8_t id = 0;
  std::vector<uint8_t> secret;  // at least kMinTokenKeyBytes
};

struct IssuedToken {
  std::string token;  // what Challenge returns
  absl::Time expires;
};

// What a verified token says.
struct TokenInfo {
  // The key under which the store records the token's single use (server/attestation_id.h):
  // the token's expiry, then the first 24 bytes of SHA-256 of the decoded token bytes. Decoding
  // is strict, so one token has exactly one id.
  std::string token_id;
  std::string host_id;
  absl::Time expires;
  uint8_t key_id = 0;
};

// Why Verify refused a token. Each kind has its own status code, and the status carries the
// kind as a payload (TokenRejectionOf) so callers can count rejections by kind.
enum class TokenRejection {
  kMalformed,   // InvalidArgument: not base64url, wrong length, unknown version
  kUnknownKey,  // Unauthenticated: key id of no configured key
  kBadMac,      // Unauthenticated: not made by this service, or altered
  kWrongHost,   // PermissionDenied: issued to another host
  kExpired,     // FailedPrecondition: now >= expiry, or issued in the future of `now`
};

// How far a token's or a verdict's issue time may lie ahead of the clock that judges it
// (replicas' clocks differ a little) before it counts as made in that clock's future: after
// the clock went back, such a thing would otherwise stay fresh for as long as the clock went
// back, on top of its TTL.
inline constexpr absl::Duration kClockSkewAllowance = absl::Seconds(30);

// "malformed", "unknown-key", "bad-mac", "wrong-host", "expired".
absl::string_view TokenRejectionName(TokenRejection rejection);

// The rejection kind of a status returned by TokenService::Verify; nullopt for any other.
std::optional<TokenRejection> TokenRejectionOf(const absl::Status& status);

// Returns SHA-256 of `token`'s bytes: the qualifying data the host's quote must carry.
// Internal only if OpenSSL cannot hash.
absl::StatusOr<crypto::Digest> QualifyingData(absl::string_view token);

class TokenService {
 public:
  // `active` signs new tokens; `active` and `previous` verify. InvalidArgument for a key
  // shorter than kMinTokenKeyBytes, two keys with one id, or ttl <= 0.
  static absl::StatusOr<TokenService> Create(TokenKey active, std::vector<TokenKey> previous,
                                             absl::Duration ttl);

  // Returns a token for `host_id` valid until now + ttl (whole seconds, rounded down).
  // InvalidArgument for an empty host id or one longer than kMaxTokenHostIdBytes; Internal
  // when OpenSSL fails (randomness, HMAC).
  absl::StatusOr<IssuedToken> Issue(absl::string_view host_id, absl::Time now) const;

  // Checks, in this order, so that nothing unauthenticated is interpreted: encoding, length
  // and version (kMalformed), key id (kUnknownKey), the MAC in constant time (kBadMac), the
  // host (kWrongHost), the expiry (kExpired; also a token that expires more than ttl +
  // kClockSkewAllowance after `now`: issued after `now`, so the clock went back, or by a
  // replica with a longer TTL). See TokenRejection for the status codes.
  absl::StatusOr<TokenInfo> Verify(absl::string_view token, absl::string_view host_id,
                                   absl::Time now) const;

  absl::Duration ttl() const { return ttl_; }

 private:
  TokenService(std::vector<TokenKey> keys, absl::Duration ttl)
      : keys_(std::move(keys)), ttl_(ttl) {}
  const TokenKey* FindKey(uint8_t id) const;

  std::vector<TokenKey> keys_;  // keys_[0] is the active key
  absl::Duration ttl_;
};

}  // namespace bootgate::server

#endif  // BOOTGATE_SERVER_TOKEN_H_
