#include "server/token.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <span>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "server/attestation_id.h"
#include "server/base64url.h"
#include "verifier/bytes/reader.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::server {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kRandomBytes = 16;
constexpr size_t kMacBytes = 32;
// version, key id, host id length, expiry, random, MAC: everything but the host id.
constexpr size_t kFixedBytes = 1 + 1 + 1 + 8 + kRandomBytes + kMacBytes;
// The longest token a valid host id allows, base64url-encoded; longer input is not decoded.
constexpr size_t kMaxTokenChars = ((kFixedBytes + kMaxTokenHostIdBytes) * 4 + 2) / 3;
constexpr absl::string_view kRejectionPayloadUrl = "type.bootgate.dev/token-rejection";

using MacPtr = std::unique_ptr<EVP_MAC, crypto::OpenSslDeleter<EVP_MAC_free>>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, crypto::OpenSslDeleter<EVP_MAC_CTX_free>>;

using Mac = std::array<uint8_t, kMacBytes>;

// HMAC is fetched once: EVP_MAC_fetch looks the implementation up in the provider each time.
const EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return hmac;
}

absl::StatusOr<Mac> HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  const EVP_MAC* hmac = HmacAlgorithm();
  if (hmac == nullptr) return absl::InternalError("OpenSSL has no HMAC");
  MacCtxPtr ctx(EVP_MAC_CTX_new(const_cast<EVP_MAC*>(hmac)));
  if (ctx == nullptr) return absl::InternalError("EVP_MAC_CTX_new failed");
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  Mac mac;
  size_t mac_len = 0;
  if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), mac.data(), &mac_len, mac.size()) != 1 || mac_len != mac.size()) {
    return absl::InternalError("HMAC-SHA256 failed");
  }
  return mac;
}

absl::Status Reject(TokenRejection kind, absl::string_view message) {
  absl::Status status;
  const std::string text =
      absl::StrCat("challenge token rejected (", TokenRejectionName(kind), "): ", message);
  switch (kind) {
    case TokenRejection::kMalformed:
      status = absl::InvalidArgumentError(text);
      break;
    case TokenRejection::kUnknownKey:
    case TokenRejection::kBadMac:
      status = absl::UnauthenticatedError(text);
      break;
    case TokenRejection::kWrongHost:
      status = absl::PermissionDeniedError(text);
      break;
    case TokenRejection::kExpired:
      status = absl::FailedPreconditionError(text);
      break;
  }
  status.SetPayload(kRejectionPayloadUrl, absl::Cord(TokenRejectionName(kind)));
  return status;
}

void AppendU64Be(std::vector<uint8_t>& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

}  // namespace

absl::string_view TokenRejectionName(TokenRejection rejection) {
  switch (rejection) {
    case TokenRejection::kMalformed:
      return "malformed";
    case TokenRejection::kUnknownKey:
      return "unknown-key";
    case TokenRejection::kBadMac:
      return "bad-mac";
    case TokenRejection::kWrongHost:
      return "wrong-host";
    case TokenRejection::kExpired:
      return "expired";
  }
  return "unknown";
}

std::optional<TokenRejection> TokenRejectionOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kRejectionPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  for (TokenRejection kind :
       {TokenRejection::kMalformed, TokenRejection::kUnknownKey, TokenRejection::kBadMac,
        TokenRejection::kWrongHost, TokenRejection::kExpired}) {
    if (*payload == TokenRejectionName(kind)) return kind;
  }
  return std::nullopt;
}

absl::StatusOr<crypto::Digest> QualifyingData(absl::string_view token) {
  return crypto::Hash(crypto::HashAlg::kSha256,
                      std::span(reinterpret_cast<const uint8_t*>(token.data()), token.size()));
}

absl::StatusOr<TokenService> TokenService::Create(TokenKey active, std::vector<TokenKey> previous,
                                                  absl::Duration ttl) {
  if (ttl <= absl::ZeroDuration()) return absl::InvalidArgumentError("token ttl must be > 0");
  std::vector<TokenKey> keys;
  keys.push_back(std::move(active));
  for (TokenKey& key : previous) keys.push_back(std::move(key));
  std::array<bool, 256> seen{};
  for (const TokenKey& key : keys) {
    if (key.secret.size() < kMinTokenKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat("token key ", key.id, " has ",
                                                     key.secret.size(), " bytes; at least ",
                                                     kMinTokenKeyBytes, " are required"));
    }
    if (seen[key.id]) {
      return absl::InvalidArgumentError(absl::StrCat("two token keys with id ", key.id));
    }
    seen[key.id] = true;
  }
  return TokenService(std::move(keys), ttl);
}

const TokenKey* TokenService::FindKey(uint8_t id) const {
  for (const TokenKey& key : keys_) {
    if (key.id == id) return &key;
  }
  return nullptr;
}

absl::StatusOr<IssuedToken> TokenService::Issue(absl::string_view host_id, absl::Time now) const {
  if (host_id.empty() || host_id.size() > kMaxTokenHostIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("host id must be 1..", kMaxTokenHostIdBytes, " bytes, got ", host_id.size()));
  }
  const TokenKey& key = keys_.front();
  const int64_t expiry = absl::ToUnixSeconds(now + ttl_);
  std::vector<uint8_t> bytes = {kVersion, key.id, static_cast<uint8_t>(host_id.size())};
  bytes.insert(bytes.end(), host_id.begin(), host_id.end());
  AppendU64Be(bytes, static_cast<uint64_t>(expiry));
  const size_t random_at = bytes.size();
  bytes.resize(random_at + kRandomBytes);
  if (RAND_bytes(bytes.data() + random_at, kRandomBytes) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  ASSIGN_OR_RETURN(const Mac mac, HmacSha256(key.secret, bytes));
  bytes.insert(bytes.end(), mac.begin(), mac.end());
  return IssuedToken{Base64UrlEncode(bytes), absl::FromUnixSeconds(expiry)};
}

absl::StatusOr<TokenInfo> TokenService::Verify(absl::string_view token, absl::string_view host_id,
                                               absl::Time now) const {
  if (token.empty()) return Reject(TokenRejection::kMalformed, "empty");
  if (token.size() > kMaxTokenChars) {
    return Reject(TokenRejection::kMalformed,
                  absl::StrCat(token.size(), " characters is too long"));
  }
  absl::StatusOr<std::vector<uint8_t>> decoded = Base64UrlDecode(token);
  if (!decoded.ok()) return Reject(TokenRejection::kMalformed, decoded.status().message());
  const std::vector<uint8_t>& bytes = *decoded;

  bytes::Reader reader(bytes);
  absl::StatusOr<uint8_t> version = reader.U8("version");
  if (!version.ok()) return Reject(TokenRejection::kMalformed, version.status().message());
  if (*version != kVersion) {
    return Reject(TokenRejection::kMalformed, absl::StrCat("unsupported version ", *version));
  }
  absl::StatusOr<uint8_t> key_id = reader.U8("key id");
  absl::StatusOr<uint8_t> host_length = reader.U8("host id length");
  if (!key_id.ok() || !host_length.ok()) return Reject(TokenRejection::kMalformed, "truncated");
  if (bytes.size() != kFixedBytes + *host_length) {
    return Reject(TokenRejection::kMalformed,
                  absl::StrCat(bytes.size(), " bytes, expected ", kFixedBytes + *host_length));
  }
  const TokenKey* key = FindKey(*key_id);
  if (key == nullptr) {
    return Reject(TokenRejection::kUnknownKey,
                  absl::StrCat("key id ", *key_id, " is not configured (rotated out?)"));
  }
  // The length check above makes every read below succeed; still, nothing is assumed.
  absl::StatusOr<bytes::ByteSpan> host = reader.Bytes(*host_length, "host id");
  absl::StatusOr<uint32_t> expiry_high = reader.U32Be("expiry");
  absl::StatusOr<uint32_t> expiry_low = reader.U32Be("expiry");
  absl::Status random = reader.Skip(kRandomBytes, "random");
  const size_t signed_bytes = reader.offset();
  absl::StatusOr<bytes::ByteSpan> mac = reader.Bytes(kMacBytes, "MAC");
  if (!host.ok() || !expiry_high.ok() || !expiry_low.ok() || !random.ok() || !mac.ok() ||
      !reader.empty()) {
    return Reject(TokenRejection::kMalformed, "inconsistent layout");
  }

  ASSIGN_OR_RETURN(const Mac expected,
                   HmacSha256(key->secret, std::span(bytes).first(signed_bytes)));
  if (CRYPTO_memcmp(expected.data(), mac->data(), kMacBytes) != 0) {
    return Reject(TokenRejection::kBadMac,
                  "MAC does not verify (not issued by this service, or altered)");
  }

  const absl::string_view token_host(reinterpret_cast<const char*>(host->data()), host->size());
  if (token_host != host_id) {
    return Reject(TokenRejection::kWrongHost, absl::StrCat("issued to host \"", token_host,
                                                           "\", presented by \"", host_id, "\""));
  }
  const uint64_t expiry_seconds = (uint64_t{*expiry_high} << 32) | *expiry_low;
  const absl::Time expires = absl::FromUnixSeconds(static_cast<int64_t>(expiry_seconds));
  if (now >= expires) {
    return Reject(TokenRejection::kExpired,
                  absl::StrCat("expired at ",
                               absl::FormatTime(absl::RFC3339_sec, expires, absl::UTCTimeZone()),
                               "; request a new challenge"));
  }
  if (expires - now > ttl_ + kClockSkewAllowance) {
    return Reject(TokenRejection::kExpired,
                  absl::StrCat("issued after this server's time (it expires at ",
                               absl::FormatTime(absl::RFC3339_sec, expires, absl::UTCTimeZone()),
                               ", more than the token lifetime ahead: did the clock go back?); "
                               "request a new challenge"));
  }

  ASSIGN_OR_RETURN(const crypto::Digest digest, crypto::Hash(crypto::HashAlg::kSha256, bytes));
  const std::string id =
      AttestationId(expires, std::span(digest).first<kAttestationIdUniqueBytes>());
  return TokenInfo{id, std::string(token_host), expires, *key_id};
}

}  // namespace bootgate::server
