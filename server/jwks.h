// JSON Web Keys for the verdict signing keys: RFC 7517 (JWK, JWK Set), RFC 7518 section 6.2
// (EC public keys) and RFC 7638 (thumbprints, used as kid).
#ifndef BOOTGATE_SERVER_JWKS_H_
#define BOOTGATE_SERVER_JWKS_H_

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "server/signing_keys.h"

namespace bootgate::server {

// The affine coordinates of a P-256 public key, each left-padded to 32 bytes.
struct P256Point {
  std::array<uint8_t, 32> x{};
  std::array<uint8_t, 32> y{};
};

// InvalidArgument when `key` is not an EC key on P-256.
absl::StatusOr<P256Point> P256PublicPoint(const EVP_PKEY* key);

// The RFC 7638 required members of the key's JWK: {"crv": "P-256", "kty": "EC", "x", "y"}.
absl::StatusOr<nlohmann::json> P256RequiredMembers(const EVP_PKEY* key);

// RFC 7638: base64url(SHA-256(the required members as JSON, keys sorted, no whitespace)).
// `required_members` must hold exactly the key type's required members (any key type: the
// RFC's own example is RSA). Internal if OpenSSL cannot hash.
absl::StatusOr<std::string> JwkThumbprint(const nlohmann::json& required_members);

// The public JWK of a signing key: kty, crv, x, y, kid, "use": "sig", "alg": "ES256".
absl::StatusOr<nlohmann::json> PublicJwk(const SigningKey& key);

// {"keys": [active key, retired keys...]}, serialised (what /.well-known/jwks.json serves).
absl::StatusOr<std::string> JwksJson(const KeySet& keys);

}  // namespace bootgate::server

#endif  // BOOTGATE_SERVER_JWKS_H_
