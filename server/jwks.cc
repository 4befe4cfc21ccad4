#include "server/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include <span>

#include "absl/status/status.h"
#include "server/base64url.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"

namespace bootgate::server {
namespace {

absl::Status CoordinateTo32(const EVP_PKEY* key, const char* name, std::array<uint8_t, 32>& out) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
    return absl::InvalidArgumentError("not an EC public key");
  }
  crypto::BignumPtr bn(raw);
  if (BN_bn2binpad(bn.get(), out.data(), static_cast<int>(out.size())) != 32) {
    return absl::InvalidArgumentError("EC coordinate longer than 32 bytes");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<P256Point> P256PublicPoint(const EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
    return absl::InvalidArgumentError("signing keys must be EC P-256 keys");
  }
  char group[64] = {};
  size_t group_len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     &group_len) != 1 ||
      (absl::string_view(group, group_len) != "prime256v1" &&
       absl::string_view(group, group_len) != "P-256")) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing keys must be on P-256, not ", absl::string_view(group, group_len)));
  }
  P256Point point;
  RETURN_IF_ERROR(CoordinateTo32(key, OSSL_PKEY_PARAM_EC_PUB_X, point.x));
  RETURN_IF_ERROR(CoordinateTo32(key, OSSL_PKEY_PARAM_EC_PUB_Y, point.y));
  return point;
}

absl::StatusOr<nlohmann::json> P256RequiredMembers(const EVP_PKEY* key) {
  ASSIGN_OR_RETURN(const P256Point point, P256PublicPoint(key));
  return nlohmann::json{{"kty", "EC"},
                        {"crv", "P-256"},
                        {"x", Base64UrlEncode(point.x)},
                        {"y", Base64UrlEncode(point.y)}};
}

absl::StatusOr<std::string> JwkThumbprint(const nlohmann::json& required_members) {
  // nlohmann::json objects are std::maps: dump() writes members in lexicographic order of
  // their (ASCII) names and, with no indent, without whitespace: RFC 7638 section 3.3.
  const std::string canonical = required_members.dump();
  ASSIGN_OR_RETURN(const crypto::Digest digest,
                   crypto::Hash(crypto::HashAlg::kSha256,
                                std::span(reinterpret_cast<const uint8_t*>(canonical.data()),
                                          canonical.size())));
  return Base64UrlEncode(digest);
}

absl::StatusOr<nlohmann::json> PublicJwk(const SigningKey& key) {
  ASSIGN_OR_RETURN(nlohmann::json jwk, P256RequiredMembers(key.key.get()));
  jwk["kid"] = key.kid;
  jwk["use"] = "sig";
  jwk["alg"] = "ES256";
  return jwk;
}

absl::StatusOr<std::string> JwksJson(const KeySet& keys) {
  nlohmann::json list = nlohmann::json::array();
  for (const SigningKey& key : keys.keys()) {
    ASSIGN_OR_RETURN(nlohmann::json jwk, PublicJwk(key));
    list.push_back(std::move(jwk));
  }
  return nlohmann::json{{"keys", std::move(list)}}.dump();
}

}  // namespace bootgate::server
