#include "server/verdict_signer.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "server/base64url.h"
#include "server/jwks.h"
#include "server/signing_keys.h"

namespace bootgate::server {
namespace {

using appraisal::Finding;
using appraisal::Layer;
using appraisal::Severity;

const absl::Time kIssued = absl::FromUnixSeconds(1'750'000'000);

SigningKey NewKey() {
  absl::StatusOr<SigningKey> key = GenerateSigningKey();
  REQUIRE(key.ok());
  return *std::move(key);
}

KeySet Keys(SigningKey active, std::vector<SigningKey> retired = {}) {
  absl::StatusOr<KeySet> keys = KeySet::Create(std::move(active), std::move(retired));
  REQUIRE(keys.ok());
  return *std::move(keys);
}

SigningKey PublicOnly(const SigningKey& key) {
  absl::StatusOr<std::string> pem = PublicKeyPem(key);
  REQUIRE(pem.ok());
  absl::StatusOr<SigningKey> pub = SigningKeyFromPem(*pem);
  REQUIRE(pub.ok());
  return *std::move(pub);
}

appraisal::Appraisal Affirming() {
  appraisal::Appraisal a;
  a.tier = appraisal::Tier::kAffirming;
  a.placement_eligible = true;
  a.policy_name = "fleet";
  a.policy_version = "2025-06-01.1";
  a.group = "debian-12";
  a.issued = kIssued;
  a.expires = kIssued + absl::Hours(1);
  return a;
}

Finding MakeFinding(Layer layer, Severity severity, std::optional<std::string> waived_by = {}) {
  Finding f;
  f.code = "test-finding";
  f.layer = layer;
  f.severity = severity;
  f.waived_by = std::move(waived_by);
  return f;
}

VerdictSubject Subject() {
  return VerdictSubject{"host-1", "att-42", std::vector<uint8_t>(32, 0xAB)};
}

nlohmann::json DecodePart(absl::string_view part) {
  absl::StatusOr<std::vector<uint8_t>> bytes = Base64UrlDecode(part);
  REQUIRE(bytes.ok());
  return nlohmann::json::parse(bytes->begin(), bytes->end());
}

// Verifies an ES256 JWS with OpenSSL alone (not VerifyJwt): the r || s signature is turned
// back into DER by hand.
bool OpenSslVerifies(const std::string& jwt, EVP_PKEY* key) {
  const size_t last_dot = jwt.rfind('.');
  const std::string input = jwt.substr(0, last_dot);
  absl::StatusOr<std::vector<uint8_t>> raw = Base64UrlDecode(jwt.substr(last_dot + 1));
  if (!raw.ok() || raw->size() != 64) return false;
  crypto::EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw->data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw->data() + 32, 32, nullptr);
  REQUIRE(ECDSA_SIG_set0(sig.get(), r, s) == 1);
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  REQUIRE(der_len > 0);
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  REQUIRE(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1);
  const int ok = EVP_DigestVerify(
      ctx.get(), der, der_len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  OPENSSL_free(der);
  return ok == 1;
}

TEST_CASE("a verdict JWT has the ES256 header and the EAR claims", "[server][jwt]") {
  const KeySet keys = Keys(NewKey());
  absl::StatusOr<std::string> jwt = SignVerdict(keys, Affirming(), Subject());
  REQUIRE(jwt.ok());
  const std::vector<std::string> parts = absl::StrSplit(*jwt, '.');
  REQUIRE(parts.size() == 3);

  const nlohmann::json header = DecodePart(parts[0]);
  CHECK(header == nlohmann::json{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", keys.active().kid}});

  const nlohmann::json claims = DecodePart(parts[1]);
  CHECK(claims["eat_profile"] == "tag:github.com,2023:veraison/ear");
  CHECK(claims["iat"] == 1'750'000'000);
  CHECK(claims["exp"] == 1'750'003'600);
  CHECK(claims["ear.verifier_id"]["developer"] == "bootgate");
  CHECK(claims["ear.verifier_id"]["build"].get<std::string>().rfind("bootgate ", 0) == 0);
  CHECK(claims["eat_nonce"] == Base64UrlEncode(std::vector<uint8_t>(32, 0xAB)));
  CHECK(claims["bootgate.host"] == "host-1");
  CHECK(claims["bootgate.attestation_id"] == "att-42");
  CHECK(claims["bootgate.placement_eligible"] == true);
  REQUIRE(claims["submods"].size() == 1);
  const nlohmann::json& submod = claims["submods"]["host-1"];
  CHECK(submod["ear.status"] == "affirming");
  CHECK(submod["ear.appraisal-policy-id"] == "fleet@2025-06-01.1");
  CHECK(submod["ear.trustworthiness-vector"] ==
        nlohmann::json{
            {"instance-identity", 2}, {"executables", 3}, {"configuration", 2}, {"hardware", 2}});

  absl::StatusOr<std::vector<uint8_t>> signature = Base64UrlDecode(parts[2]);
  REQUIRE(signature.ok());
  CHECK(signature->size() == 64);
}

TEST_CASE("a verdict JWT verifies with OpenSSL and the public key only", "[server][jwt]") {
  SigningKey key = NewKey();
  const SigningKey pub = PublicOnly(key);
  const KeySet keys = Keys(std::move(key));
  for (int i = 0; i < 20; ++i) {  // r or s with leading zero bytes must still be 32 bytes
    absl::StatusOr<std::string> jwt = SignVerdict(keys, Affirming(), Subject());
    REQUIRE(jwt.ok());
    CHECK(OpenSslVerifies(*jwt, pub.key.get()));
  }
}

TEST_CASE("VerifyJwt accepts the signed verdict and returns its claims", "[server][jwt]") {
  const KeySet keys = Keys(NewKey());
  absl::StatusOr<std::string> jwt = SignVerdict(keys, Affirming(), Subject());
  REQUIRE(jwt.ok());
  absl::StatusOr<nlohmann::json> claims = VerifyJwt(keys, *jwt);
  REQUIRE(claims.ok());
  CHECK((*claims)["bootgate.host"] == "host-1");
}

TEST_CASE("VerifyJwt refuses altered, foreign and unsigned tokens", "[server][jwt]") {
  const KeySet keys = Keys(NewKey());
  absl::StatusOr<std::string> jwt = SignVerdict(keys, Affirming(), Subject());
  REQUIRE(jwt.ok());
  std::vector<std::string> parts = absl::StrSplit(*jwt, '.');

  SECTION("altered claims") {
    nlohmann::json claims = DecodePart(parts[1]);
    claims["bootgate.placement_eligible"] = false;
    const std::string altered = parts[0] + "." + Base64UrlEncode(claims.dump()) + "." + parts[2];
    CHECK(VerifyJwt(keys, altered).status().code() == absl::StatusCode::kUnauthenticated);
    SigningKey pub = PublicOnly(keys.active());
    CHECK_FALSE(OpenSslVerifies(altered, pub.key.get()));
  }
  SECTION("every signature byte") {
    std::vector<uint8_t> sig = *Base64UrlDecode(parts[2]);
    for (size_t i = 0; i < sig.size(); ++i) {
      std::vector<uint8_t> bad = sig;
      bad[i] ^= 0x01;
      const std::string altered = parts[0] + "." + parts[1] + "." + Base64UrlEncode(bad);
      INFO("byte " << i);
      CHECK_FALSE(VerifyJwt(keys, altered).ok());
    }
  }
  SECTION("another key set") {
    const KeySet other = Keys(NewKey());
    CHECK(VerifyJwt(other, *jwt).status().code() == absl::StatusCode::kNotFound);
  }
  SECTION("alg none") {
    const std::string none =
        Base64UrlEncode(std::string(R"({"alg":"none","kid":")") + keys.active().kid + "\"}") + "." +
        parts[1] + ".";
    CHECK(VerifyJwt(keys, none).status().code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("malformed") {
    for (const std::string& bad : {std::string(""), std::string("a.b"), parts[0] + "." + parts[1],
                                   *jwt + ".x", std::string("!!.!!.!!")}) {
      INFO(bad);
      CHECK(VerifyJwt(keys, bad).status().code() == absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST_CASE("verdicts signed before a rotation verify with the rotated key set", "[server][jwt]") {
  SigningKey old_key = NewKey();
  const SigningKey old_public = PublicOnly(old_key);
  const KeySet before = Keys(std::move(old_key));
  absl::StatusOr<std::string> old_jwt = SignVerdict(before, Affirming(), Subject());
  REQUIRE(old_jwt.ok());

  const KeySet after = Keys(NewKey(), [&] {
    std::vector<SigningKey> retired;
    retired.push_back(PublicOnly(old_public));
    return retired;
  }());
  CHECK(VerifyJwt(after, *old_jwt).ok());
  absl::StatusOr<std::string> new_jwt = SignVerdict(after, Affirming(), Subject());
  REQUIRE(new_jwt.ok());
  CHECK(DecodePart(new_jwt->substr(0, new_jwt->find('.')))["kid"] == after.active().kid);
  CHECK(VerifyJwt(after, *new_jwt).ok());
}

TEST_CASE("a key set needs a private active key and distinct kids", "[server][jwt]") {
  SigningKey key = NewKey();
  CHECK(KeySet::Create(PublicOnly(key), {}).status().code() == absl::StatusCode::kInvalidArgument);
  std::vector<SigningKey> retired;
  retired.push_back(PublicOnly(key));
  CHECK(KeySet::Create(std::move(key), std::move(retired)).status().code() ==
        absl::StatusCode::kInvalidArgument);
  const SigningKey pub = PublicOnly(NewKey());
  CHECK(SignJwt(pub, nlohmann::json::object()).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("the trustworthiness vector maps layers to AR4SI claims", "[server][jwt]") {
  appraisal::Appraisal a = Affirming();

  SECTION("an unallowed boot loader contraindicates executables only") {
    a.findings.push_back(MakeFinding(Layer::kBootLoader, Severity::kContraindicated));
    CHECK(TrustworthinessVector(a) == nlohmann::json{{"instance-identity", 2},
                                                     {"executables", 96},
                                                     {"configuration", 2},
                                                     {"hardware", 2}});
  }
  SECTION("a waived finding and a warning are unsafe, not contraindicated") {
    a.findings.push_back(MakeFinding(Layer::kSecureBoot, Severity::kContraindicated, "ex-1"));
    a.findings.push_back(MakeFinding(Layer::kFirmware, Severity::kWarning));
    CHECK(TrustworthinessVector(a) == nlohmann::json{{"instance-identity", 2},
                                                     {"executables", 3},
                                                     {"configuration", 32},
                                                     {"hardware", 32}});
  }
  SECTION("rejected evidence claims only an untrustworthy instance") {
    a.findings.push_back(MakeFinding(Layer::kEvidence, Severity::kContraindicated));
    a.findings.push_back(MakeFinding(Layer::kKernel, Severity::kContraindicated));
    CHECK(TrustworthinessVector(a) == nlohmann::json{{"instance-identity", 96}});
  }
  SECTION("kernel and event-log findings count as executables; policy findings as none") {
    a.findings.push_back(MakeFinding(Layer::kEventLog, Severity::kWarning));
    a.findings.push_back(MakeFinding(Layer::kPolicy, Severity::kContraindicated));
    CHECK(TrustworthinessVector(a)["executables"] == 32);
    CHECK(TrustworthinessVector(a)["configuration"] == 2);
  }
}

TEST_CASE("a contraindicated verdict says so in ear.status and placement", "[server][jwt]") {
  appraisal::Appraisal a = Affirming();
  a.tier = appraisal::Tier::kContraindicated;
  a.placement_eligible = false;
  const nlohmann::json claims = VerdictClaims(a, Subject(), "bootgate test");
  CHECK(claims["submods"]["host-1"]["ear.status"] == "contraindicated");
  CHECK(claims["bootgate.placement_eligible"] == false);
  CHECK(claims["ear.verifier_id"]["build"] == "bootgate test");
}

}  // namespace
}  // namespace bootgate::server
