#include "server/verdict_signer.h"

#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "server/base64url.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::server {
namespace {

using appraisal::Finding;
using appraisal::Layer;
using appraisal::Severity;

constexpr size_t kCoordinateBytes = 32;
constexpr size_t kMaxJwtChars = 64 * 1024;

#ifndef BOOTGATE_VERSION
#define BOOTGATE_VERSION "0.1.0"
#endif

// The worst state of one layer's findings.
enum class LayerState { kClean, kWarning, kContraindicated };

LayerState StateOf(const appraisal::Appraisal& appraisal, std::initializer_list<Layer> layers) {
  LayerState state = LayerState::kClean;
  for (const Finding& finding : appraisal.findings) {
    if (std::find(layers.begin(), layers.end(), finding.layer) == layers.end()) continue;
    if (finding.severity == Severity::kContraindicated && !finding.waived_by.has_value()) {
      return LayerState::kContraindicated;
    }
    state = LayerState::kWarning;  // a warning, or a waived finding: needs attention
  }
  return state;
}

int Claim(LayerState state, int affirming) {
  switch (state) {
    case LayerState::kClean:
      return affirming;
    case LayerState::kWarning:
      return 32;
    case LayerState::kContraindicated:
      return 96;
  }
  return 0;
}

std::string Base64UrlJson(const nlohmann::json& value) { return Base64UrlEncode(value.dump()); }

// JWS ES256 signatures are r || s, each 32 bytes big-endian (RFC 7518 section 3.4); OpenSSL
// speaks DER ECDSA-Sig-Value.
absl::StatusOr<std::array<uint8_t, 2 * kCoordinateBytes>> DerToRaw(std::span<const uint8_t> der) {
  const unsigned char* p = der.data();
  crypto::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (sig == nullptr || p != der.data() + der.size()) {
    return absl::InternalError("OpenSSL returned a malformed ECDSA signature");
  }
  std::array<uint8_t, 2 * kCoordinateBytes> raw{};
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), kCoordinateBytes) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + kCoordinateBytes, kCoordinateBytes) !=
          32) {
    return absl::InternalError("ECDSA signature component longer than 32 bytes");
  }
  return raw;
}

absl::StatusOr<std::vector<uint8_t>> RawToDer(std::span<const uint8_t> raw) {
  if (raw.size() != 2 * kCoordinateBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("ES256 signature must be 64 bytes, got ", raw.size()));
  }
  crypto::EcdsaSigPtr sig(ECDSA_SIG_new());
  crypto::BignumPtr r(BN_bin2bn(raw.data(), kCoordinateBytes, nullptr));
  crypto::BignumPtr s(BN_bin2bn(raw.data() + kCoordinateBytes, kCoordinateBytes, nullptr));
  if (sig == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return absl::InternalError("ECDSA_SIG construction failed");
  }
  r.release();  // owned by sig now
  s.release();
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return absl::InternalError("i2d_ECDSA_SIG failed");
  std::vector<uint8_t> der(static_cast<size_t>(size));
  unsigned char* out = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) return absl::InternalError("i2d_ECDSA_SIG failed");
  return der;
}

std::span<const uint8_t> AsBytes(absl::string_view text) {
  return std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

absl::StatusOr<nlohmann::json> DecodeJsonPart(absl::string_view part, absl::string_view what) {
  absl::StatusOr<std::vector<uint8_t>> bytes = Base64UrlDecode(part);
  if (!bytes.ok()) return absl::InvalidArgumentError(absl::StrCat("JWT ", what, ": not base64url"));
  nlohmann::json value = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr,
                                               /*allow_exceptions=*/false);
  if (!value.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("JWT ", what, ": not a JSON object"));
  }
  return value;
}

}  // namespace

nlohmann::json TrustworthinessVector(const appraisal::Appraisal& appraisal) {
  const LayerState evidence = StateOf(appraisal, {Layer::kEvidence});
  if (evidence == LayerState::kContraindicated) {
    return nlohmann::json{{"instance-identity", 96}};
  }
  return nlohmann::json{
      {"instance-identity", 2},
      {"executables",
       Claim(StateOf(appraisal, {Layer::kBootLoader, Layer::kKernel, Layer::kEventLog}), 3)},
      {"configuration", Claim(StateOf(appraisal, {Layer::kSecureBoot}), 2)},
      {"hardware", Claim(StateOf(appraisal, {Layer::kFirmware}), 2)},
  };
}

nlohmann::json VerdictClaims(const appraisal::Appraisal& appraisal, const VerdictSubject& subject,
                             absl::string_view build) {
  const std::string build_name =
      build.empty() ? std::string("bootgate " BOOTGATE_VERSION) : std::string(build);
  nlohmann::json submod = {
      {"ear.status", std::string(appraisal::TierName(appraisal.tier))},
      {"ear.trustworthiness-vector", TrustworthinessVector(appraisal)},
      {"ear.appraisal-policy-id",
       absl::StrCat(appraisal.policy_name, "@", appraisal.policy_version)},
  };
  return nlohmann::json{
      {"eat_profile", std::string(kEarProfile)},
      {"iat", absl::ToUnixSeconds(appraisal.issued)},
      {"exp", absl::ToUnixSeconds(appraisal.expires)},
      {"ear.verifier_id", {{"developer", "bootgate"}, {"build", build_name}}},
      {"eat_nonce", Base64UrlEncode(subject.nonce)},
      {"submods", {{subject.host_id, std::move(submod)}}},
      {"bootgate.host", subject.host_id},
      {"bootgate.attestation_id", subject.attestation_id},
      {"bootgate.placement_eligible", appraisal.placement_eligible},
  };
}

namespace {

// Why signing with `key` failed: FailedPrecondition for a key without its private part (checked
// only then: reading the private part back is not free, and an active key always has it),
// Internal otherwise.
absl::Status SignFailure(const SigningKey& key, const char* what) {
  ERR_clear_error();
  if (!HasPrivatePart(key.key.get())) {
    return absl::FailedPreconditionError(
        absl::StrCat("key ", key.kid, " has no private part: it can verify, not sign"));
  }
  return absl::InternalError(absl::StrCat(what, " failed"));
}

}  // namespace

absl::StatusOr<std::string> SignJwt(const SigningKey& key, const nlohmann::json& claims) {
  if (key.key == nullptr) return SignFailure(key, "signing");
  const nlohmann::json header = {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", key.kid}};
  const std::string signing_input = absl::StrCat(Base64UrlJson(header), ".", Base64UrlJson(claims));

  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return absl::InternalError("EVP_MD_CTX_new failed");
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.key.get()) != 1) {
    return SignFailure(key, "EVP_DigestSignInit");
  }
  const std::span<const uint8_t> input = AsBytes(signing_input);
  size_t der_size = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &der_size, input.data(), input.size()) != 1) {
    return SignFailure(key, "EVP_DigestSign (size)");
  }
  std::vector<uint8_t> der(der_size);
  if (EVP_DigestSign(ctx.get(), der.data(), &der_size, input.data(), input.size()) != 1) {
    return SignFailure(key, "EVP_DigestSign");
  }
  der.resize(der_size);
  ASSIGN_OR_RETURN(const auto raw, DerToRaw(der));
  return absl::StrCat(signing_input, ".", Base64UrlEncode(raw));
}

absl::StatusOr<std::string> SignVerdict(const KeySet& keys, const appraisal::Appraisal& appraisal,
                                        const VerdictSubject& subject) {
  return SignJwt(keys.active(), VerdictClaims(appraisal, subject));
}

absl::StatusOr<nlohmann::json> VerifyJwt(const KeySet& keys, absl::string_view jwt) {
  if (jwt.size() > kMaxJwtChars) return absl::InvalidArgumentError("JWT too long");
  const std::vector<absl::string_view> parts = absl::StrSplit(jwt, '.');
  if (parts.size() != 3) return absl::InvalidArgumentError("JWT must have three parts");
  ASSIGN_OR_RETURN(const nlohmann::json header, DecodeJsonPart(parts[0], "header"));
  const auto alg = header.find("alg");
  if (alg == header.end() || *alg != "ES256") {
    return absl::InvalidArgumentError("JWT alg must be ES256");
  }
  const auto kid = header.find("kid");
  if (kid == header.end() || !kid->is_string()) {
    return absl::InvalidArgumentError("JWT header has no kid");
  }
  const SigningKey* key = keys.Find(kid->get<std::string>());
  if (key == nullptr) {
    return absl::NotFoundError(absl::StrCat("no key with kid ", kid->get<std::string>()));
  }
  absl::StatusOr<std::vector<uint8_t>> raw = Base64UrlDecode(parts[2]);
  if (!raw.ok()) return absl::InvalidArgumentError("JWT signature: not base64url");
  ASSIGN_OR_RETURN(const std::vector<uint8_t> der, RawToDer(*raw));

  const std::span<const uint8_t> input =
      AsBytes(jwt.substr(0, parts[0].size() + 1 + parts[1].size()));
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->key.get()) != 1) {
    return absl::InternalError("EVP_DigestVerifyInit failed");
  }
  if (EVP_DigestVerify(ctx.get(), der.data(), der.size(), input.data(), input.size()) != 1) {
    ERR_clear_error();
    return absl::UnauthenticatedError("JWT signature does not verify");
  }
  return DecodeJsonPart(parts[1], "claims");
}

}  // namespace bootgate::server
