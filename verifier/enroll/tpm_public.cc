#include "verifier/enroll/tpm_public.h"

#include <openssl/core_names.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include <cstring>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/reader.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"
#include "verifier/enroll/key_params.h"
#include "verifier/tpm/tpm_key.h"

namespace bootgate::enroll {
namespace {

struct Attribute {
  uint32_t bit;
  const char* name;  // as TPM 2.0 Part 2 spells it
};

constexpr Attribute kAkRequired[] = {
    {TPMA_OBJECT_FIXEDTPM, "fixedTPM"},
    {TPMA_OBJECT_FIXEDPARENT, "fixedParent"},
    {TPMA_OBJECT_SENSITIVEDATAORIGIN, "sensitiveDataOrigin"},
    {TPMA_OBJECT_RESTRICTED, "restricted"},
    {TPMA_OBJECT_SIGN_ENCRYPT, "sign"},
};
constexpr Attribute kAkForbidden[] = {{TPMA_OBJECT_DECRYPT, "decrypt"}};

// TCG EK Credential Profile 2.5, B.3.3 / B.3.4 (templates L-1 and L-2): fixedTPM,
// fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted, decrypt; no userWithAuth.
constexpr uint32_t kEkAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                   TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
                                   TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
// PolicyA_SHA256 = TPM2_PolicySecret(TPM_RH_ENDORSEMENT) (B.3.2).
constexpr uint8_t kEkPolicySha256[32] = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
    0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};
constexpr int kEkRsaBits = 2048;
constexpr uint32_t kDefaultRsaExponent = 65537;

constexpr uint16_t kEkEccCoordinateBytes = 32;

// What both default EK templates (L-1, L-2) share: nameAlg, attributes and authPolicy.
TPMT_PUBLIC EkTemplateCommon() {
  TPMT_PUBLIC pub = {};
  pub.nameAlg = TPM2_ALG_SHA256;
  pub.objectAttributes = kEkAttributes;
  pub.authPolicy.size = sizeof(kEkPolicySha256);
  std::memcpy(pub.authPolicy.buffer, kEkPolicySha256, sizeof(kEkPolicySha256));
  return pub;
}

std::string AlgName(uint16_t alg_id) {
  if (std::optional<crypto::HashAlg> alg = crypto::HashAlgFromTpmId(alg_id)) {
    return std::string(crypto::HashAlgName(*alg));
  }
  return absl::StrFormat("0x%04x", alg_id);
}

TPMT_SYM_DEF_OBJECT Aes128Cfb() {
  TPMT_SYM_DEF_OBJECT sym = {};
  sym.algorithm = TPM2_ALG_AES;
  sym.keyBits.aes = 128;
  sym.mode.aes = TPM2_ALG_CFB;
  return sym;
}

absl::Status FillRsaUnique(EVP_PKEY* key, TPMT_PUBLIC& pub) {
  if (EVP_PKEY_get_bits(key) != kEkRsaBits) {
    return absl::InvalidArgumentError(absl::StrCat("EK key: RSA-", EVP_PKEY_get_bits(key),
                                                   " has no default EK template (RSA-2048 has)"));
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> e, KeyBnParam(key, OSSL_PKEY_PARAM_RSA_E, 4));
  const uint32_t exponent = (uint32_t{e[0]} << 24) | (e[1] << 16) | (e[2] << 8) | e[3];
  if (exponent != kDefaultRsaExponent) {
    return absl::InvalidArgumentError(
        absl::StrCat("EK key: RSA exponent ", exponent, " is not the default template's 65537"));
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> n, KeyBnParam(key, OSSL_PKEY_PARAM_RSA_N, kEkRsaBits / 8));
  pub = RsaEkTemplate();
  std::memcpy(pub.unique.rsa.buffer, n.data(), n.size());
  return absl::OkStatus();
}

absl::Status FillEccUnique(EVP_PKEY* key, TPMT_PUBLIC& pub) {
  const std::string group = EcGroupName(key);
  const tpm::EccCurve* curve = tpm::FindEccCurveByGroup(group);
  if (curve == nullptr || curve->tpm_id != TPM2_ECC_NIST_P256) {
    return absl::InvalidArgumentError(absl::StrCat("EK key: EC curve ",
                                                   group.empty() ? "(unnamed)" : group,
                                                   " has no default EK template (P-256 has)"));
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> x,
                   KeyBnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, curve->field_bytes));
  ASSIGN_OR_RETURN(std::vector<uint8_t> y,
                   KeyBnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, curve->field_bytes));
  pub = EccEkTemplate();
  pub.unique.ecc.x.size = static_cast<uint16_t>(x.size());
  std::memcpy(pub.unique.ecc.x.buffer, x.data(), x.size());
  pub.unique.ecc.y.size = static_cast<uint16_t>(y.size());
  std::memcpy(pub.unique.ecc.y.buffer, y.data(), y.size());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TpmPublic> ParseTpmPublic(std::span<const uint8_t> tpm2b_public) {
  bytes::Reader r(tpm2b_public);
  ASSIGN_OR_RETURN(const uint16_t size, r.U16Be("TPM2B_PUBLIC size"));
  if (size == 0 || size != r.remaining()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TPM2B_PUBLIC: the size field says ", size, " bytes but ", r.remaining(),
                     " follow (it must cover exactly the rest of the input)"));
  }
  ASSIGN_OR_RETURN(const std::span<const uint8_t> area, r.Bytes(size, "TPMT_PUBLIC"));
  TpmPublic out = {};
  size_t offset = 0;
  if (Tss2_MU_TPMT_PUBLIC_Unmarshal(area.data(), area.size(), &offset, &out.area) !=
      TSS2_RC_SUCCESS) {
    return absl::InvalidArgumentError(
        "TPM2B_PUBLIC: not a valid TPMT_PUBLIC (truncated, or an unknown type or algorithm)");
  }
  if (offset != area.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TPM2B_PUBLIC: ", area.size() - offset,
                     " bytes inside the size field follow the TPMT_PUBLIC"));
  }
  absl::StatusOr<std::vector<uint8_t>> name = tpm::TpmName(out.area.nameAlg, area);
  if (!name.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("TPM2B_PUBLIC: ", name.status().message()));
  }
  out.name = *std::move(name);
  return out;
}

absl::Status CheckAkAttributes(const TPMT_PUBLIC& ak) {
  std::vector<std::string> problems;
  if (ak.type != TPM2_ALG_RSA && ak.type != TPM2_ALG_ECC) {
    problems.push_back(absl::StrFormat("AK type 0x%04x is not RSA or ECC", ak.type));
  }
  if (ak.nameAlg != TPM2_ALG_SHA256 && ak.nameAlg != TPM2_ALG_SHA384 &&
      ak.nameAlg != TPM2_ALG_SHA512) {
    problems.push_back(absl::StrCat("AK nameAlg ", AlgName(ak.nameAlg),
                                    " is not SHA-256 or stronger (sha256, sha384, sha512)"));
  }
  std::vector<std::string> missing;
  for (const Attribute& a : kAkRequired) {
    if ((ak.objectAttributes & a.bit) == 0) missing.push_back(a.name);
  }
  std::vector<std::string> extra;
  for (const Attribute& a : kAkForbidden) {
    if ((ak.objectAttributes & a.bit) != 0) extra.push_back(a.name);
  }
  if (!missing.empty() || !extra.empty()) {
    std::vector<std::string> parts;
    if (!missing.empty()) parts.push_back(absl::StrCat("missing ", absl::StrJoin(missing, ", ")));
    if (!extra.empty()) parts.push_back(absl::StrCat("has ", absl::StrJoin(extra, ", ")));
    problems.push_back(absl::StrCat("AK attributes: ", absl::StrJoin(parts, "; ")));
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
}

TPMT_PUBLIC RsaEkTemplate() {
  TPMT_PUBLIC pub = EkTemplateCommon();
  pub.type = TPM2_ALG_RSA;
  pub.parameters.rsaDetail.symmetric = Aes128Cfb();
  pub.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
  pub.parameters.rsaDetail.keyBits = kEkRsaBits;
  pub.parameters.rsaDetail.exponent = 0;  // the default, 2^16 + 1
  pub.unique.rsa.size = kEkRsaBits / 8;   // zeros
  return pub;
}

TPMT_PUBLIC EccEkTemplate() {
  TPMT_PUBLIC pub = EkTemplateCommon();
  pub.type = TPM2_ALG_ECC;
  pub.parameters.eccDetail.symmetric = Aes128Cfb();
  pub.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  pub.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  pub.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  pub.unique.ecc.x.size = kEkEccCoordinateBytes;  // zeros
  pub.unique.ecc.y.size = kEkEccCoordinateBytes;
  return pub;
}

absl::StatusOr<TPMT_PUBLIC> DefaultEkPublic(EVP_PKEY* ek_key) {
  if (ek_key == nullptr) return absl::InvalidArgumentError("EK key: none given");
  TPMT_PUBLIC pub = {};
  if (EVP_PKEY_is_a(ek_key, "RSA")) {
    RETURN_IF_ERROR(FillRsaUnique(ek_key, pub));
  } else if (EVP_PKEY_is_a(ek_key, "EC")) {
    RETURN_IF_ERROR(FillEccUnique(ek_key, pub));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("EK key: a ", EVP_PKEY_get0_type_name(ek_key),
                     " key has no default EK template (RSA-2048 and EC P-256 have)"));
  }
  return pub;
}

absl::Status CheckEkMatchesKey(const TPMT_PUBLIC& ek, EVP_PKEY* cert_key) {
  if (cert_key == nullptr) return absl::InvalidArgumentError("EK certificate key: none given");
  ASSIGN_OR_RETURN(crypto::EvpPkeyPtr ek_key, tpm::PublicKeyFromTpmt(ek, "EK public area"));
  if (EVP_PKEY_eq(ek_key.get(), cert_key) != 1) {
    return absl::FailedPreconditionError(
        "the EK public area does not match the EK certificate's key");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> KeyFingerprint(EVP_PKEY* key) {
  const int len = key == nullptr ? -1 : i2d_PUBKEY(key, nullptr);
  if (len <= 0) return absl::InvalidArgumentError("key fingerprint: the key has no DER encoding");
  std::vector<uint8_t> der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  if (i2d_PUBKEY(key, &p) != len) {
    return absl::InternalError("key fingerprint: DER encoding failed");
  }
  ASSIGN_OR_RETURN(crypto::Digest digest, crypto::Hash(crypto::HashAlg::kSha256, der));
  return bytes::ToHex(digest);
}

absl::StatusOr<std::vector<uint8_t>> MarshalTpmtPublic(const TPMT_PUBLIC& area) {
  std::vector<uint8_t> out(sizeof(TPMT_PUBLIC));
  size_t offset = 0;
  if (Tss2_MU_TPMT_PUBLIC_Marshal(&area, out.data(), out.size(), &offset) != TSS2_RC_SUCCESS) {
    return absl::InvalidArgumentError("TPMT_PUBLIC: tss2-mu cannot marshal this public area");
  }
  out.resize(offset);
  return out;
}

}  // namespace bootgate::enroll
