#include "server/jwks.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "server/base64url.h"
#include "server/signing_keys.h"

namespace bootgate::server {
namespace {

namespace fs = std::filesystem;

SigningKey NewKey() {
  absl::StatusOr<SigningKey> key = GenerateSigningKey();
  REQUIRE(key.ok());
  return *std::move(key);
}

// Rebuilds an EC public key from a JWK's x and y, as a relying party would.
crypto::EvpPkeyPtr KeyFromJwk(const nlohmann::json& jwk) {
  absl::StatusOr<std::vector<uint8_t>> x = Base64UrlDecode(jwk["x"].get<std::string>());
  absl::StatusOr<std::vector<uint8_t>> y = Base64UrlDecode(jwk["y"].get<std::string>());
  REQUIRE(x.ok());
  REQUIRE(y.ok());
  std::vector<uint8_t> point = {0x04};  // uncompressed SEC1 point
  point.insert(point.end(), x->begin(), x->end());
  point.insert(point.end(), y->begin(), y->end());
  crypto::OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  char group[] = "prime256v1";
  REQUIRE(OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) == 1);
  REQUIRE(OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                           point.size()) == 1);
  crypto::OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  REQUIRE(EVP_PKEY_fromdata_init(ctx.get()) == 1);
  REQUIRE(EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) == 1);
  return crypto::EvpPkeyPtr(key);
}

TEST_CASE("JWK thumbprint matches the RFC 7638 example", "[server][jwks]") {
  // RFC 7638 section 3.1: an RSA key and its SHA-256 thumbprint.
  const nlohmann::json members = {
      {"e", "AQAB"},
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
       "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"
       "65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
       "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}};
  absl::StatusOr<std::string> thumbprint = JwkThumbprint(members);
  REQUIRE(thumbprint.ok());
  CHECK(*thumbprint == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST_CASE("a signing key's kid is the thumbprint of its EC members", "[server][jwks]") {
  const SigningKey key = NewKey();
  absl::StatusOr<nlohmann::json> members = P256RequiredMembers(key.key.get());
  REQUIRE(members.ok());
  // The hashed form is exactly {"crv":"P-256","kty":"EC","x":"...","y":"..."}.
  const std::string canonical = members->dump();
  CHECK(canonical.rfind(R"({"crv":"P-256","kty":"EC","x":")", 0) == 0);
  CHECK(canonical.find(' ') == std::string::npos);
  CHECK(key.kid == *JwkThumbprint(*members));
  CHECK(key.kid.size() == 43);  // 32 bytes, unpadded base64url
}

TEST_CASE("a public JWK has the RFC 7518 EC fields", "[server][jwks]") {
  const SigningKey key = NewKey();
  absl::StatusOr<nlohmann::json> jwk = PublicJwk(key);
  REQUIRE(jwk.ok());
  CHECK((*jwk)["kty"] == "EC");
  CHECK((*jwk)["crv"] == "P-256");
  CHECK((*jwk)["use"] == "sig");
  CHECK((*jwk)["alg"] == "ES256");
  CHECK((*jwk)["kid"] == key.kid);
  CHECK(Base64UrlDecode((*jwk)["x"].get<std::string>())->size() == 32);
  CHECK(Base64UrlDecode((*jwk)["y"].get<std::string>())->size() == 32);
  CHECK_FALSE(jwk->contains("d"));  // never the private scalar
  CHECK(jwk->size() == 7);
  // x and y rebuild the same public key.
  crypto::EvpPkeyPtr rebuilt = KeyFromJwk(*jwk);
  CHECK(EVP_PKEY_eq(rebuilt.get(), key.key.get()) == 1);
}

TEST_CASE("the JWKS lists the active key first, then the retired ones", "[server][jwks]") {
  SigningKey active = NewKey();
  SigningKey retired = NewKey();
  const std::string active_kid = active.kid;
  const std::string retired_kid = retired.kid;
  std::vector<SigningKey> old;
  old.push_back(std::move(retired));
  absl::StatusOr<KeySet> keys = KeySet::Create(std::move(active), std::move(old));
  REQUIRE(keys.ok());
  absl::StatusOr<std::string> jwks = JwksJson(*keys);
  REQUIRE(jwks.ok());
  const nlohmann::json parsed = nlohmann::json::parse(*jwks);
  REQUIRE(parsed["keys"].size() == 2);
  CHECK(parsed["keys"][0]["kid"] == active_kid);
  CHECK(parsed["keys"][1]["kid"] == retired_kid);
  CHECK(jwks->find("\"d\"") == std::string::npos);
}

TEST_CASE("only EC P-256 PEM keys are accepted", "[server][jwks]") {
  CHECK(SigningKeyFromPem("not a key").status().code() == absl::StatusCode::kInvalidArgument);
  crypto::EvpPkeyPtr p384(EVP_EC_gen("P-384"));
  REQUIRE(p384 != nullptr);
  CHECK(P256PublicPoint(p384.get()).status().code() == absl::StatusCode::kInvalidArgument);
  crypto::EvpPkeyPtr rsa(EVP_RSA_gen(2048));
  REQUIRE(rsa != nullptr);
  CHECK(P256PublicPoint(rsa.get()).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("PEM round trip keeps the kid", "[server][jwks]") {
  const SigningKey key = NewKey();
  absl::StatusOr<std::string> private_pem = PrivateKeyPem(key);
  REQUIRE(private_pem.ok());
  CHECK(private_pem->rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  absl::StatusOr<SigningKey> reloaded = SigningKeyFromPem(*private_pem);
  REQUIRE(reloaded.ok());
  CHECK(reloaded->kid == key.kid);
  absl::StatusOr<std::string> public_pem = PublicKeyPem(key);
  REQUIRE(public_pem.ok());
  absl::StatusOr<SigningKey> pub = SigningKeyFromPem(*public_pem);
  REQUIRE(pub.ok());
  CHECK(pub->kid == key.kid);
  CHECK(PrivateKeyPem(*pub).status().code() == absl::StatusCode::kFailedPrecondition);
}

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/bootgate-keys-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

TEST_CASE("a key directory is created once and rotated", "[server][jwks]") {
  TempDir tmp;
  const std::string dir = (tmp.path / "signing").string();
  absl::StatusOr<KeySet> first = LoadOrCreateKeySet(dir);
  REQUIRE(first.ok());
  CHECK(fs::exists(tmp.path / "signing" / "active.pem"));
  CHECK((fs::status(tmp.path / "signing" / "active.pem").permissions() & fs::perms::others_all) ==
        fs::perms::none);
  const std::string first_kid = first->active().kid;

  absl::StatusOr<KeySet> again = LoadOrCreateKeySet(dir);
  REQUIRE(again.ok());
  CHECK(again->active().kid == first_kid);  // loaded, not regenerated
  CHECK(again->keys().size() == 1);

  absl::StatusOr<std::string> new_kid = RotateKeys(dir);
  REQUIRE(new_kid.ok());
  CHECK(*new_kid != first_kid);
  CHECK(fs::exists(tmp.path / "signing" / "retired" / (first_kid + ".pem")));
  absl::StatusOr<KeySet> rotated = LoadOrCreateKeySet(dir);
  REQUIRE(rotated.ok());
  CHECK(rotated->active().kid == *new_kid);
  REQUIRE(rotated->keys().size() == 2);
  CHECK(rotated->Find(first_kid) != nullptr);
}

TEST_CASE("a corrupt key file is named in the error", "[server][jwks]") {
  TempDir tmp;
  fs::create_directories(tmp.path / "retired");
  std::ofstream(tmp.path / "retired" / "bad.pem") << "garbage";
  absl::StatusOr<KeySet> keys = LoadOrCreateKeySet(tmp.path.string());
  CHECK(keys.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(keys.status().message().find("bad.pem") != absl::string_view::npos);
}

TEST_CASE("base64url decoding is strict", "[server][jwks]") {
  CHECK(Base64UrlEncode(std::string("\xfb\xff", 2)) == "-_8");
  CHECK(*Base64UrlDecode("-_8") == std::vector<uint8_t>{0xfb, 0xff});
  CHECK(Base64UrlDecode("").ok());
  for (const char* bad : {"-_8=", "+/8", "-_9", "A", "AB CD", "AB\n"}) {
    INFO(bad);
    CHECK_FALSE(Base64UrlDecode(bad).ok());
  }
}

}  // namespace
}  // namespace bootgate::server
