#include "verifier/tpm/signature.h"

#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "verifier/bytes/reader.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/openssl_ptr.h"
#include "verifier/tpm/quote_error.h"

namespace bootgate::tpm {
namespace {

// The digest of a signature scheme. SM3 is refused: it only goes with SM2 signatures, which
// bootgate does not verify.
const EVP_MD* Md(crypto::HashAlg alg) {
  return alg == crypto::HashAlg::kSm3_256 ? nullptr : crypto::EvpMd(alg);
}

absl::StatusOr<crypto::HashAlg> CheckHash(uint16_t scheme, uint16_t hash_id,
                                          const SignatureOptions& options) {
  const std::optional<crypto::HashAlg> hash = crypto::HashAlgFromTpmId(hash_id);
  if (!hash.has_value() || Md(*hash) == nullptr) {
    return QuoteRejected(QuoteRejection::kUnsupportedScheme,
                         absl::StrFormat("%s signature with hash 0x%04x is not supported (sha256, "
                                         "sha384, sha512 are)",
                                         SignatureSchemeName(scheme), hash_id));
  }
  if (*hash == crypto::HashAlg::kSha1 && !options.allow_sha1) {
    return QuoteRejected(
        QuoteRejection::kUnsupportedScheme,
        absl::StrCat(SignatureSchemeName(scheme),
                     " signature uses sha1, which is refused unless explicitly "
                     "allowed (--allow-sha1); use an AK whose signing scheme hashes with sha256"));
  }
  return *hash;
}

absl::Status BadSignature(const VerifiedSignature& sig, EVP_PKEY* key) {
  return QuoteRejected(
      QuoteRejection::kBadSignature,
      absl::StrCat(SignatureSchemeName(sig.scheme), "/", crypto::HashAlgName(sig.hash),
                   " signature does not verify with the AK (", EVP_PKEY_get_bits(key), "-bit ",
                   EVP_PKEY_is_a(key, "RSA") ? "RSA" : "EC",
                   " key): the quote was not signed by this AK or was altered"));
}

// Returns OK if `signature` verifies; kBadSignature if OpenSSL says it does not.
absl::Status EvpVerify(std::span<const uint8_t> message, std::span<const uint8_t> signature,
                       EVP_PKEY* key, const VerifiedSignature& sig) {
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (ctx == nullptr || EVP_DigestVerifyInit(ctx.get(), &pctx, Md(sig.hash), nullptr, key) != 1) {
    return BadSignature(sig, key);
  }
  if (sig.scheme == TPM2_ALG_RSASSA && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return absl::InternalError("OpenSSL: cannot select PKCS#1 v1.5 padding");
  }
  if (sig.scheme == TPM2_ALG_RSAPSS &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1 ||
       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, Md(sig.hash)) != 1)) {
    return absl::InternalError("OpenSSL: cannot select PSS padding");
  }
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                       message.size()) != 1) {
    return BadSignature(sig, key);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> EcdsaDer(const TPMS_SIGNATURE_ECC& ecc) {
  crypto::EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(ecc.signatureR.buffer, ecc.signatureR.size, nullptr);
  BIGNUM* s = BN_bin2bn(ecc.signatureS.buffer, ecc.signatureS.size, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return absl::InternalError("OpenSSL: cannot build an ECDSA signature");
  }
  // r and s are owned by sig from here on.
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return absl::InternalError("OpenSSL: cannot encode an ECDSA signature");
  std::vector<uint8_t> der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) {
    return absl::InternalError("OpenSSL: cannot encode an ECDSA signature");
  }
  return der;
}

}  // namespace

std::string SignatureSchemeName(uint16_t scheme) {
  switch (scheme) {
    case TPM2_ALG_RSASSA:
      return "rsassa";
    case TPM2_ALG_RSAPSS:
      return "rsapss";
    case TPM2_ALG_ECDSA:
      return "ecdsa";
    case TPM2_ALG_ECDAA:
      return "ecdaa";
    case TPM2_ALG_SM2:
      return "sm2";
    case TPM2_ALG_ECSCHNORR:
      return "ecschnorr";
    case TPM2_ALG_HMAC:
      return "hmac";
    case TPM2_ALG_NULL:
      return "null";
  }
  return absl::StrFormat("0x%04x", scheme);
}

absl::StatusOr<VerifiedSignature> VerifyTpmSignature(std::span<const uint8_t> message,
                                                     std::span<const uint8_t> tpmt_signature,
                                                     EVP_PKEY* key,
                                                     const SignatureOptions& options) {
  // Name the scheme before unmarshalling the union: an unknown scheme is a rejection with its
  // name, not a generic parse failure.
  bytes::Reader peek(tpmt_signature);
  ASSIGN_OR_RETURN(const uint16_t scheme, peek.U16Be("TPMT_SIGNATURE sigAlg"));
  if (scheme != TPM2_ALG_RSASSA && scheme != TPM2_ALG_RSAPSS && scheme != TPM2_ALG_ECDSA) {
    return QuoteRejected(QuoteRejection::kUnsupportedScheme,
                         absl::StrCat("signature scheme ", SignatureSchemeName(scheme),
                                      " is not supported (rsassa, rsapss, ecdsa are)"));
  }
  TPMT_SIGNATURE sig = {};
  size_t offset = 0;
  const TSS2_RC rc =
      Tss2_MU_TPMT_SIGNATURE_Unmarshal(tpmt_signature.data(), tpmt_signature.size(), &offset, &sig);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "signature (TPMT_SIGNATURE, %d bytes) is truncated or malformed (tss2-mu error 0x%x)",
        tpmt_signature.size(), rc));
  }
  if (offset != tpmt_signature.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "signature has %d trailing bytes after the TPMT_SIGNATURE structure (%d bytes)",
        tpmt_signature.size() - offset, offset));
  }

  VerifiedSignature out;
  out.scheme = scheme;
  const bool rsa_key = EVP_PKEY_is_a(key, "RSA");
  const bool ec_key = EVP_PKEY_is_a(key, "EC");
  if (scheme == TPM2_ALG_ECDSA) {
    ASSIGN_OR_RETURN(out.hash, CheckHash(scheme, sig.signature.ecdsa.hash, options));
    if (!ec_key) {
      return QuoteRejected(QuoteRejection::kKeySchemeMismatch,
                           "ecdsa signature but the AK is not an EC key: wrong AK for this quote");
    }
    ASSIGN_OR_RETURN(std::vector<uint8_t> der, EcdsaDer(sig.signature.ecdsa));
    RETURN_IF_ERROR(EvpVerify(message, der, key, out));
    return out;
  }
  // RSASSA and RSAPSS share TPMS_SIGNATURE_RSA.
  const TPMS_SIGNATURE_RSA& rsa =
      scheme == TPM2_ALG_RSASSA ? sig.signature.rsassa : sig.signature.rsapss;
  ASSIGN_OR_RETURN(out.hash, CheckHash(scheme, rsa.hash, options));
  if (!rsa_key) {
    return QuoteRejected(QuoteRejection::kKeySchemeMismatch,
                         absl::StrCat(SignatureSchemeName(scheme),
                                      " signature but the AK is not an RSA key: wrong AK for "
                                      "this quote"));
  }
  RETURN_IF_ERROR(
      EvpVerify(message, std::span<const uint8_t>(rsa.sig.buffer, rsa.sig.size), key, out));
  return out;
}

}  // namespace bootgate::tpm
