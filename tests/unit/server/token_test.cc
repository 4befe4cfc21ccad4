#include "server/token.h"

#include <catch2/catch.hpp>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "server/base64url.h"
#include "verifier/bytes/hex.h"

namespace bootgate::server {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'750'000'000);
constexpr absl::Duration kTtl = absl::Minutes(5);

TokenKey Key(uint8_t id, uint8_t fill) { return TokenKey{id, std::vector<uint8_t>(32, fill)}; }

TokenService Service(TokenKey active, std::vector<TokenKey> previous = {}) {
  absl::StatusOr<TokenService> service =
      TokenService::Create(std::move(active), std::move(previous), kTtl);
  REQUIRE(service.ok());
  return *std::move(service);
}

std::vector<uint8_t> Decode(const std::string& token) {
  absl::StatusOr<std::vector<uint8_t>> bytes = Base64UrlDecode(token);
  REQUIRE(bytes.ok());
  return *bytes;
}

std::optional<TokenRejection> RejectionOf(const absl::StatusOr<TokenInfo>& result) {
  REQUIRE_FALSE(result.ok());
  return TokenRejectionOf(result.status());
}

TEST_CASE("a token verifies for its host before it expires", "[server][token]") {
  const TokenService service = Service(Key(1, 0xA5));
  absl::StatusOr<IssuedToken> issued = service.Issue("host-1", kNow);
  REQUIRE(issued.ok());
  CHECK(issued->expires == kNow + kTtl);

  absl::StatusOr<TokenInfo> info = service.Verify(issued->token, "host-1", kNow + absl::Minutes(4));
  REQUIRE(info.ok());
  CHECK(info->host_id == "host-1");
  CHECK(info->expires == kNow + kTtl);
  CHECK(info->key_id == 1);
  // token_id: the expiry (1,750,000,300 s, 8 bytes big-endian), then the first 24 bytes of
  // SHA-256 of the decoded bytes; stable for one token.
  const std::vector<uint8_t> raw = Decode(issued->token);
  absl::StatusOr<crypto::Digest> digest = crypto::Hash(crypto::HashAlg::kSha256, raw);
  REQUIRE(digest.ok());
  CHECK(info->token_id == "00000000684ee2ac" + bytes::ToHex(std::span(*digest).first(24)));
  CHECK(service.Verify(issued->token, "host-1", kNow)->token_id == info->token_id);
}

TEST_CASE("a token has the documented layout", "[server][token]") {
  const TokenService service = Service(Key(9, 0x11));
  const std::string host = "rack7-node03";
  absl::StatusOr<IssuedToken> issued = service.Issue(host, kNow);
  REQUIRE(issued.ok());
  const std::vector<uint8_t> raw = Decode(issued->token);
  REQUIRE(raw.size() == 3 + host.size() + 8 + 16 + 32);
  CHECK(raw[0] == 1);
  CHECK(raw[1] == 9);
  CHECK(raw[2] == host.size());
  CHECK(std::string(raw.begin() + 3, raw.begin() + 3 + host.size()) == host);
  uint64_t expiry = 0;
  for (size_t i = 0; i < 8; ++i) expiry = (expiry << 8) | raw[3 + host.size() + i];
  CHECK(expiry == static_cast<uint64_t>(absl::ToUnixSeconds(kNow + kTtl)));
  // URL-safe alphabet only, no padding: it goes into JSON, URLs and shell arguments as is.
  CHECK(issued->token.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);
}

TEST_CASE("two tokens for one host at one instant differ", "[server][token]") {
  const TokenService service = Service(Key(1, 0xA5));
  absl::StatusOr<IssuedToken> a = service.Issue("host-1", kNow);
  absl::StatusOr<IssuedToken> b = service.Issue("host-1", kNow);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->token != b->token);
  CHECK(service.Verify(a->token, "host-1", kNow)->token_id !=
        service.Verify(b->token, "host-1", kNow)->token_id);
}

TEST_CASE("qualifying data is SHA-256 of the token string", "[server][token]") {
  absl::StatusOr<crypto::Digest> qd = QualifyingData("abc");
  REQUIRE(qd.ok());
  CHECK(bytes::ToHex(*qd) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("another host's token is refused as wrong-host", "[server][token]") {
  const TokenService service = Service(Key(1, 0xA5));
  absl::StatusOr<IssuedToken> issued = service.Issue("host-1", kNow);
  REQUIRE(issued.ok());
  absl::StatusOr<TokenInfo> info = service.Verify(issued->token, "host-2", kNow);
  CHECK(RejectionOf(info) == TokenRejection::kWrongHost);
  CHECK(info.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(absl::StrContains(info.status().message(), "host-1"));
  // A prefix of the right host is not the host.
  CHECK(RejectionOf(service.Verify(issued->token, "host-", kNow)) == TokenRejection::kWrongHost);
}

TEST_CASE("a token expires exactly at its expiry", "[server][token]") {
  const TokenService service = Service(Key(1, 0xA5));
  absl::StatusOr<IssuedToken> issued = service.Issue("host-1", kNow);
  REQUIRE(issued.ok());
  CHECK(service.Verify(issued->token, "host-1", issued->expires - absl::Seconds(1)).ok());
  absl::StatusOr<TokenInfo> at = service.Verify(issued->token, "host-1", issued->expires);
  CHECK(RejectionOf(at) == TokenRejection::kExpired);
  CHECK(at.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(RejectionOf(service.Verify(issued->token, "host-1", kNow + absl::Hours(24))) ==
        TokenRejection::kExpired);
}

TEST_CASE("a clock that went back does not lengthen a token's life", "[server][token]") {
  const TokenService service = Service(Key(1, 0xA5));
  absl::StatusOr<IssuedToken> issued = service.Issue("host-1", kNow);
  REQUIRE(issued.ok());
  // Replicas' clocks differ a little: a token from a clock up to kClockSkewAllowance ahead.
  CHECK(service.Verify(issued->token, "host-1", kNow - kClockSkewAllowance).ok());
  // Issued an hour in this clock's future: without the check it would stay valid for an hour
  // and its TTL.
  absl::StatusOr<TokenInfo> back = service.Verify(issued->token, "host-1", kNow - absl::Hours(1));
  CHECK(RejectionOf(back) == TokenRejection::kExpired);
  CHECK(back.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(back.status().message(), "did the clock go back?"));
}

TEST_CASE("a token made with another key is refused as bad-mac", "[server][token]") {
  const TokenService ours = Service(Key(1, 0xA5));
  const TokenService theirs = Service(Key(1, 0x5A));  // same id, different secret
  absl::StatusOr<IssuedToken> issued = theirs.Issue("host-1", kNow);
  REQUIRE(issued.ok());
  absl::StatusOr<TokenInfo> info = ours.Verify(issued->token, "host-1", kNow);
  CHECK(RejectionOf(info) == TokenRejection::kBadMac);
  CHECK(info.status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("a bad MAC is reported before the host or the expiry", "[server][token]") {
  const TokenService ours = Service(Key(1, 0xA5));
  const TokenService theirs = Service(Key(1, 0x5A));
  absl::StatusOr<IssuedToken> issued = theirs.Issue("host-1", kNow);
  REQUIRE(issued.ok());
  CHECK(RejectionOf(ours.Verify(issued->token, "host-2", kNow + absl::Hours(1))) ==
        TokenRejection::kBadMac);
}

TEST_CASE("a token with an unconfigured key id is refused as unknown-key", "[server][token]") {
  const TokenService old_service = Service(Key(7, 0xA5));
  const TokenService service = Service(Key(1, 0xA5));
  absl::StatusOr<IssuedToken> issued = old_service.Issue("host-1", kNow);
  REQUIRE(issued.ok());
  absl::StatusOr<TokenInfo> info = service.Verify(issued->token, "host-1", kNow);
  CHECK(RejectionOf(info) == TokenRejection::kUnknownKey);
  CHECK(info.status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("after a rotation, tokens of the previous key still verify", "[server][token]") {
  const TokenService before = Service(Key(1, 0xA5));
  const TokenService after = Service(Key(2, 0x3C), {Key(1, 0xA5)});
  absl::StatusOr<IssuedToken> old_token = before.Issue("host-1", kNow);
  absl::StatusOr<IssuedToken> new_token = after.Issue("host-1", kNow);
  REQUIRE(old_token.ok());
  REQUIRE(new_token.ok());
  CHECK(after.Verify(old_token->token, "host-1", kNow)->key_id == 1);
  CHECK(after.Verify(new_token->token, "host-1", kNow)->key_id == 2);
  // The old service does not know key 2.
  CHECK(RejectionOf(before.Verify(new_token->token, "host-1", kNow)) ==
        TokenRejection::kUnknownKey);
}

TEST_CASE("changing any byte of a token makes it fail", "[server][token]") {
  const TokenService service = Service(Key(1, 0xA5));
  absl::StatusOr<IssuedToken> issued = service.Issue("host-1", kNow);
  REQUIRE(issued.ok());
  const std::vector<uint8_t> raw = Decode(issued->token);
  for (size_t offset = 0; offset < raw.size(); ++offset) {
    for (uint8_t flip : {0x01, 0x80, 0xFF}) {
      std::vector<uint8_t> tampered = raw;
      tampered[offset] ^= flip;
      absl::StatusOr<TokenInfo> info = service.Verify(Base64UrlEncode(tampered), "host-1", kNow);
      INFO("offset " << offset << " flip " << int{flip});
      REQUIRE_FALSE(info.ok());
      const std::optional<TokenRejection> kind = TokenRejectionOf(info.status());
      if (offset == 0 || offset == 2) {
        CHECK(kind == TokenRejection::kMalformed);  // version, host id length
      } else if (offset == 1) {
        CHECK(kind == TokenRejection::kUnknownKey);
      } else {
        CHECK(kind == TokenRejection::kBadMac);  // host, expiry, random and the MAC itself
      }
    }
  }
}

TEST_CASE("truncated and extended tokens are malformed", "[server][token]") {
  const TokenService service = Service(Key(1, 0xA5));
  absl::StatusOr<IssuedToken> issued = service.Issue("host-1", kNow);
  REQUIRE(issued.ok());
  const std::vector<uint8_t> raw = Decode(issued->token);
  for (size_t size = 0; size < raw.size(); ++size) {
    std::vector<uint8_t> prefix(raw.begin(), raw.begin() + size);
    INFO("size " << size);
    CHECK(RejectionOf(service.Verify(Base64UrlEncode(prefix), "host-1", kNow)) ==
          TokenRejection::kMalformed);
  }
  std::vector<uint8_t> longer = raw;
  longer.push_back(0);
  CHECK(RejectionOf(service.Verify(Base64UrlEncode(longer), "host-1", kNow)) ==
        TokenRejection::kMalformed);
}

TEST_CASE("tokens that are not canonical base64url are malformed", "[server][token]") {
  const TokenService service = Service(Key(1, 0xA5));
  absl::StatusOr<IssuedToken> issued = service.Issue("host-1", kNow);
  REQUIRE(issued.ok());
  const std::string& token = issued->token;
  // Standard base64 alphabet, padding, whitespace, junk.
  std::string standard = token;
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  if (standard != token) {
    CHECK(RejectionOf(service.Verify(standard, "host-1", kNow)) == TokenRejection::kMalformed);
  }
  for (const std::string& bad : {token + "=", token + "==", " " + token, token + "\n",
                                 std::string("!!!!"), std::string(""), std::string(600, 'A')}) {
    INFO(bad);
    CHECK(RejectionOf(service.Verify(bad, "host-1", kNow)) == TokenRejection::kMalformed);
  }
  // The decoded length (3 + 6 + 56 = 65 bytes) leaves unused bits in the last character;
  // another character with the same data bits is the same bytes spelled differently.
  REQUIRE(Decode(token).size() % 3 != 0);
  std::string respelled = token;
  char& last = respelled.back();
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  last = alphabet[alphabet.find(last) ^ 1];
  CHECK(RejectionOf(service.Verify(respelled, "host-1", kNow)) == TokenRejection::kMalformed);
}

TEST_CASE("token service refuses short keys, duplicate ids and a zero ttl", "[server][token]") {
  CHECK(TokenService::Create(TokenKey{1, std::vector<uint8_t>(31, 1)}, {}, kTtl).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(TokenService::Create(Key(1, 1), {Key(1, 2)}, kTtl).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(TokenService::Create(Key(1, 1), {}, absl::ZeroDuration()).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("host ids must be 1 to 255 bytes", "[server][token]") {
  const TokenService service = Service(Key(1, 0xA5));
  CHECK(service.Issue("", kNow).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(service.Issue(std::string(256, 'h'), kNow).status().code() ==
        absl::StatusCode::kInvalidArgument);
  const std::string longest(255, 'h');
  absl::StatusOr<IssuedToken> issued = service.Issue(longest, kNow);
  REQUIRE(issued.ok());
  CHECK(service.Verify(issued->token, longest, kNow).ok());
}

TEST_CASE("rejection names are stable", "[server][token]") {
  CHECK(TokenRejectionName(TokenRejection::kMalformed) == "malformed");
  CHECK(TokenRejectionName(TokenRejection::kUnknownKey) == "unknown-key");
  CHECK(TokenRejectionName(TokenRejection::kBadMac) == "bad-mac");
  CHECK(TokenRejectionName(TokenRejection::kWrongHost) == "wrong-host");
  CHECK(TokenRejectionName(TokenRejection::kExpired) == "expired");
  CHECK_FALSE(TokenRejectionOf(absl::InvalidArgumentError("x")).has_value());
}

}  // namespace
}  // namespace bootgate::server
