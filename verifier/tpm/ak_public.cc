#include "verifier/tpm/ak_public.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::tpm {
namespace {

using crypto::BignumPtr;
using crypto::EvpPkeyCtxPtr;
using crypto::EvpPkeyPtr;
using crypto::OsslParamBldPtr;
using crypto::OsslParamPtr;

constexpr uint32_t kDefaultRsaExponent = 65537;  // TPM: exponent 0 means 2^16 + 1

absl::StatusOr<EvpPkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld) {
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    EVP_PKEY_free(raw);
    return absl::InvalidArgumentError(
        absl::StrCat("AK public key: OpenSSL refused the ", type, " key parameters"));
  }
  return EvpPkeyPtr(raw);
}

absl::StatusOr<EvpPkeyPtr> RsaKey(const TPMT_PUBLIC& pub) {
  const TPM2B_PUBLIC_KEY_RSA& n = pub.unique.rsa;
  if (n.size == 0) return absl::InvalidArgumentError("AK public key: empty RSA modulus");
  const uint32_t e =
      pub.parameters.rsaDetail.exponent == 0 ? kDefaultRsaExponent : pub.parameters.rsaDetail.exponent;
  BignumPtr bn_n(BN_bin2bn(n.buffer, n.size, nullptr));
  BignumPtr bn_e(BN_new());
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bn_n == nullptr || bn_e == nullptr || bld == nullptr || BN_set_word(bn_e.get(), e) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return absl::InternalError("AK public key: building RSA parameters failed");
  }
  return FromData("RSA", bld.get());
}

struct Curve {
  uint16_t tpm_id;
  const char* group;
  size_t field_bytes;
};

constexpr Curve kCurves[] = {
    {TPM2_ECC_NIST_P256, "prime256v1", 32},
    {TPM2_ECC_NIST_P384, "secp384r1", 48},
    {TPM2_ECC_NIST_P521, "secp521r1", 66},
};

absl::StatusOr<EvpPkeyPtr> EccKey(const TPMT_PUBLIC& pub) {
  const uint16_t curve_id = pub.parameters.eccDetail.curveID;
  const Curve* curve = nullptr;
  for (const Curve& c : kCurves) {
    if (c.tpm_id == curve_id) curve = &c;
  }
  if (curve == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("AK public key: ECC curve 0x%04x is not supported (P-256, P-384, P-521 are)",
                        curve_id));
  }
  const TPM2B_ECC_PARAMETER& x = pub.unique.ecc.x;
  const TPM2B_ECC_PARAMETER& y = pub.unique.ecc.y;
  if (x.size == 0 || y.size == 0 || x.size > curve->field_bytes || y.size > curve->field_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "AK public key: ECC point coordinates of %d and %d bytes do not fit %s", x.size, y.size,
        curve->group));
  }
  // Uncompressed point 04 || X || Y, coordinates left-padded to the field size.
  std::vector<uint8_t> point(1 + 2 * curve->field_bytes, 0);
  point[0] = 0x04;
  std::memcpy(point.data() + 1 + curve->field_bytes - x.size, x.buffer, x.size);
  std::memcpy(point.data() + 1 + 2 * curve->field_bytes - y.size, y.buffer, y.size);
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return absl::InternalError("AK public key: building EC parameters failed");
  }
  return FromData("EC", bld.get());
}

absl::StatusOr<AkPublic> FromTpmtPublic(const TPMT_PUBLIC& pub, std::span<const uint8_t> marshaled,
                                        AkFormat format) {
  AkPublic ak;
  ak.format = format;
  if (pub.type == TPM2_ALG_RSA) {
    ASSIGN_OR_RETURN(ak.key, RsaKey(pub));
  } else if (pub.type == TPM2_ALG_ECC) {
    ASSIGN_OR_RETURN(ak.key, EccKey(pub));
  } else {
    return absl::InvalidArgumentError(absl::StrFormat(
        "AK public key: TPM key type 0x%04x is not a signing key type bootgate accepts (RSA, ECC)",
        pub.type));
  }
  TpmKeyInfo info;
  info.type = pub.type;
  info.name_alg = pub.nameAlg;
  info.object_attributes = pub.objectAttributes;
  // The Name is only defined for a hash nameAlg; a key with another nameAlg still verifies.
  if (std::optional<crypto::HashAlg> alg = crypto::HashAlgFromTpmId(pub.nameAlg)) {
    ASSIGN_OR_RETURN(crypto::Digest h, crypto::Hash(*alg, marshaled));
    info.name = {static_cast<uint8_t>(pub.nameAlg >> 8), static_cast<uint8_t>(pub.nameAlg)};
    info.name.insert(info.name.end(), h.begin(), h.end());
  }
  ak.tpm = std::move(info);
  return ak;
}

std::string Describe(EVP_PKEY* key) {
  const int bits = EVP_PKEY_get_bits(key);
  if (EVP_PKEY_is_a(key, "RSA")) return absl::StrCat("rsa-", bits);
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &len) == 1) {
      const absl::string_view g(group, len);
      if (g == "prime256v1") return "ecc-p256";
      if (g == "secp384r1") return "ecc-p384";
      if (g == "secp521r1") return "ecc-p521";
      return absl::StrCat("ecc-", g);
    }
    return absl::StrCat("ecc-", bits);
  }
  return absl::StrCat("key-", bits);
}

// SPKI keys from outside the TPM could be anything OpenSSL reads; only RSA and the NIST
// curves can have made a TPM signature bootgate verifies.
absl::Status CheckSpkiKeyType(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) return absl::OkStatus();
  if (EVP_PKEY_is_a(key, "EC")) {
    const std::string d = Describe(key);
    if (d == "ecc-p256" || d == "ecc-p384" || d == "ecc-p521") return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("AK public key: curve ", d, " is not supported (P-256, P-384, P-521 are)"));
  }
  return absl::InvalidArgumentError("AK public key: only RSA and EC keys are supported");
}

bool StartsWith(std::span<const uint8_t> data, absl::string_view prefix) {
  return data.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), data.begin(),
                    [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; });
}

}  // namespace

absl::StatusOr<AkPublic> ParseAkPublic(std::span<const uint8_t> data) {
  if (data.empty()) return absl::InvalidArgumentError("AK public key: empty input");
  if (data.size() > INT32_MAX) return absl::InvalidArgumentError("AK public key: too large");

  if (StartsWith(data, "-----BEGIN")) {
    crypto::BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    EvpPkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (key == nullptr) {
      return absl::InvalidArgumentError(
          "AK public key: PEM input is not a \"PUBLIC KEY\" (SubjectPublicKeyInfo)");
    }
    RETURN_IF_ERROR(CheckSpkiKeyType(key.get()));
    AkPublic ak;
    ak.format = AkFormat::kPem;
    ak.description = Describe(key.get());
    ak.key = std::move(key);
    return ak;
  }

  // TPM2B_PUBLIC: a big-endian size that covers exactly the rest of the input.
  if (data.size() >= 2 && ((size_t{data[0]} << 8) | data[1]) == data.size() - 2) {
    TPM2B_PUBLIC pub = {};
    size_t offset = 0;
    if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(data.data(), data.size(), &offset, &pub) ==
            TSS2_RC_SUCCESS &&
        offset == data.size()) {
      ASSIGN_OR_RETURN(AkPublic ak,
                       FromTpmtPublic(pub.publicArea, data.subspan(2), AkFormat::kTpm2bPublic));
      ak.description = Describe(ak.key.get());
      return ak;
    }
  }

  {
    TPMT_PUBLIC pub = {};
    size_t offset = 0;
    if (Tss2_MU_TPMT_PUBLIC_Unmarshal(data.data(), data.size(), &offset, &pub) ==
            TSS2_RC_SUCCESS &&
        offset == data.size()) {
      ASSIGN_OR_RETURN(AkPublic ak, FromTpmtPublic(pub, data, AkFormat::kTpmtPublic));
      ak.description = Describe(ak.key.get());
      return ak;
    }
  }

  const uint8_t* p = data.data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(data.size())));
  if (key == nullptr || p != data.data() + data.size()) {
    return absl::InvalidArgumentError(
        "AK public key: not PEM, TPM2B_PUBLIC, TPMT_PUBLIC or DER SubjectPublicKeyInfo (or "
        "truncated, or followed by extra bytes)");
  }
  RETURN_IF_ERROR(CheckSpkiKeyType(key.get()));
  AkPublic ak;
  ak.format = AkFormat::kDer;
  ak.description = Describe(key.get());
  ak.key = std::move(key);
  return ak;
}

}  // namespace bootgate::tpm
