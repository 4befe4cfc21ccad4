#include "verifier/tpm/tpm_key.h"

#include <openssl/core_names.h>

#include <cstring>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"

namespace bootgate::tpm {
namespace {

using crypto::BignumPtr;
using crypto::EvpPkeyCtxPtr;
using crypto::EvpPkeyPtr;
using crypto::OsslParamBldPtr;
using crypto::OsslParamPtr;

constexpr uint32_t kDefaultRsaExponent = 65537;  // TPM: exponent 0 means 2^16 + 1

constexpr EccCurve kCurves[] = {
    {TPM2_ECC_NIST_P256, "prime256v1", 32},
    {TPM2_ECC_NIST_P384, "secp384r1", 48},
    {TPM2_ECC_NIST_P521, "secp521r1", 66},
};

absl::StatusOr<EvpPkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld, absl::string_view what) {
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    EVP_PKEY_free(raw);
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": OpenSSL refused the ", type, " key parameters"));
  }
  return EvpPkeyPtr(raw);
}

absl::StatusOr<EvpPkeyPtr> RsaKey(const TPMT_PUBLIC& pub, absl::string_view what) {
  const TPM2B_PUBLIC_KEY_RSA& n = pub.unique.rsa;
  if (n.size == 0) return absl::InvalidArgumentError(absl::StrCat(what, ": empty RSA modulus"));
  const uint32_t e = pub.parameters.rsaDetail.exponent == 0 ? kDefaultRsaExponent
                                                            : pub.parameters.rsaDetail.exponent;
  BignumPtr bn_n(BN_bin2bn(n.buffer, n.size, nullptr));
  BignumPtr bn_e(BN_new());
  if (bn_n == nullptr || bn_e == nullptr || BN_set_word(bn_e.get(), e) != 1) {
    return absl::InternalError(absl::StrCat(what, ": building RSA parameters failed"));
  }
  return RsaPublicKey(*bn_n, *bn_e, what);
}

absl::StatusOr<EvpPkeyPtr> EccKey(const TPMT_PUBLIC& pub, absl::string_view what) {
  const uint16_t curve_id = pub.parameters.eccDetail.curveID;
  const EccCurve* curve = FindEccCurve(curve_id);
  if (curve == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: ECC curve 0x%04x is not supported (P-256, P-384, P-521 are)", what, curve_id));
  }
  const TPM2B_ECC_PARAMETER& x = pub.unique.ecc.x;
  const TPM2B_ECC_PARAMETER& y = pub.unique.ecc.y;
  if (x.size == 0 || y.size == 0 || x.size > curve->field_bytes || y.size > curve->field_bytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: ECC point coordinates of %d and %d bytes do not fit %s", what, x.size,
                        y.size, curve->group));
  }
  // Uncompressed point 04 || X || Y, coordinates left-padded to the field size.
  std::vector<uint8_t> point(1 + 2 * curve->field_bytes, 0);
  point[0] = 0x04;
  std::memcpy(point.data() + 1 + curve->field_bytes - x.size, x.buffer, x.size);
  std::memcpy(point.data() + 1 + 2 * curve->field_bytes - y.size, y.buffer, y.size);
  return EcPublicKey(*curve, point, what);
}

}  // namespace

absl::StatusOr<EvpPkeyPtr> RsaPublicKey(const BIGNUM& n, const BIGNUM& e, absl::string_view what) {
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
    return absl::InternalError(absl::StrCat(what, ": building RSA parameters failed"));
  }
  return FromData("RSA", bld.get(), what);
}

absl::StatusOr<EvpPkeyPtr> EcPublicKey(const EccCurve& curve, std::span<const uint8_t> point,
                                       absl::string_view what) {
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return absl::InternalError(absl::StrCat(what, ": building EC parameters failed"));
  }
  return FromData("EC", bld.get(), what);
}

const EccCurve* FindEccCurve(uint16_t tpm_id) {
  for (const EccCurve& c : kCurves) {
    if (c.tpm_id == tpm_id) return &c;
  }
  return nullptr;
}

const EccCurve* FindEccCurveByGroup(absl::string_view group) {
  for (const EccCurve& c : kCurves) {
    if (c.group == group) return &c;
  }
  return nullptr;
}

absl::StatusOr<EvpPkeyPtr> PublicKeyFromTpmt(const TPMT_PUBLIC& pub, absl::string_view what) {
  if (pub.type == TPM2_ALG_RSA) return RsaKey(pub, what);
  if (pub.type == TPM2_ALG_ECC) return EccKey(pub, what);
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s: TPM key type 0x%04x is not a key type bootgate accepts (RSA, ECC)", what, pub.type));
}

absl::StatusOr<std::vector<uint8_t>> TpmName(uint16_t name_alg,
                                             std::span<const uint8_t> marshaled_tpmt_public) {
  const std::optional<crypto::HashAlg> alg = crypto::HashAlgFromTpmId(name_alg);
  if (!alg.has_value()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "nameAlg 0x%04x is not a hash algorithm, so the key has no TPM Name", name_alg));
  }
  ASSIGN_OR_RETURN(crypto::Digest h, crypto::Hash(*alg, marshaled_tpmt_public));
  std::vector<uint8_t> name = {static_cast<uint8_t>(name_alg >> 8), static_cast<uint8_t>(name_alg)};
  name.insert(name.end(), h.begin(), h.end());
  return name;
}

}  // namespace bootgate::tpm
