#include "verifier/tpm/ak_public.h"

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/tpm/tpm_key.h"

namespace bootgate::tpm {
namespace {

using crypto::EvpPkeyPtr;

constexpr absl::string_view kWhat = "AK public key";

absl::StatusOr<AkPublic> FromTpmtPublic(const TPMT_PUBLIC& pub, std::span<const uint8_t> marshaled,
                                        AkFormat format) {
  if (pub.type != TPM2_ALG_RSA && pub.type != TPM2_ALG_ECC) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "AK public key: TPM key type 0x%04x is not a signing key type bootgate accepts (RSA, ECC)",
        pub.type));
  }
  AkPublic ak;
  ak.format = format;
  ASSIGN_OR_RETURN(ak.key, PublicKeyFromTpmt(pub, kWhat));
  TpmKeyInfo info;
  info.type = pub.type;
  info.name_alg = pub.nameAlg;
  info.object_attributes = pub.objectAttributes;
  // The Name is only defined for a hash nameAlg; a key with another nameAlg still verifies.
  if (crypto::HashAlgFromTpmId(pub.nameAlg).has_value()) {
    ASSIGN_OR_RETURN(info.name, TpmName(pub.nameAlg, marshaled));
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

using Asn1Sequence = std::unique_ptr<STACK_OF(ASN1_TYPE), decltype([](STACK_OF(ASN1_TYPE) * s) {
                                       sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free);
                                     })>;

// The elements of the DER SEQUENCE that is exactly `der` (nothing after it), else null. The tag
// must be a constructed SEQUENCE (0x30): d2i_ASN1_SEQUENCE_ANY also takes a primitive 0x10.
Asn1Sequence ReadSequence(std::span<const uint8_t> der) {
  constexpr uint8_t kSequenceTag = V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED;
  if (der.empty() || der[0] != kSequenceTag || der.size() > INT32_MAX) return nullptr;
  const uint8_t* p = der.data();
  Asn1Sequence seq(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, static_cast<long>(der.size())));
  if (seq == nullptr || p != der.data() + der.size()) return nullptr;
  return seq;
}

std::span<const uint8_t> StringBytes(const ASN1_STRING* s) {
  return {ASN1_STRING_get0_data(s), static_cast<size_t>(ASN1_STRING_length(s))};
}

// A DER SubjectPublicKeyInfo (RFC 5280 4.1; RFC 3279 2.3.1 rsaEncryption, RFC 5480 2.1.1
// id-ecPublicKey with a named curve), read with OpenSSL's ASN.1 parser and built with
// EVP_PKEY_fromdata: d2i_PUBKEY goes through OpenSSL 3's decoder framework, which costs about
// 90 us a key (five times the key itself) and every Attest reads its host's AK. Keys from
// outside the TPM could be anything; only RSA and the NIST curves can have made a TPM signature
// bootgate verifies.
absl::StatusOr<EvpPkeyPtr> KeyFromSpki(std::span<const uint8_t> der) {
  const auto malformed = [] {
    return absl::InvalidArgumentError(
        "AK public key: not PEM, TPM2B_PUBLIC, TPMT_PUBLIC or DER SubjectPublicKeyInfo (or "
        "truncated, or followed by extra bytes)");
  };
  Asn1Sequence spki = ReadSequence(der);
  if (spki == nullptr || sk_ASN1_TYPE_num(spki.get()) != 2) return malformed();
  const ASN1_TYPE* algorithm = sk_ASN1_TYPE_value(spki.get(), 0);
  const ASN1_TYPE* key_bits = sk_ASN1_TYPE_value(spki.get(), 1);
  if (algorithm->type != V_ASN1_SEQUENCE || key_bits->type != V_ASN1_BIT_STRING) {
    return malformed();
  }
  // The key is a whole number of bytes: no unused bits in the last one.
  const ASN1_BIT_STRING* bits = key_bits->value.bit_string;
  if ((bits->flags & ASN1_STRING_FLAG_BITS_LEFT) != 0 && (bits->flags & 0x07) != 0) {
    return malformed();
  }
  Asn1Sequence identifier = ReadSequence(StringBytes(algorithm->value.sequence));
  const int parts = identifier == nullptr ? 0 : sk_ASN1_TYPE_num(identifier.get());
  if (parts < 1 || parts > 2 || sk_ASN1_TYPE_value(identifier.get(), 0)->type != V_ASN1_OBJECT) {
    return malformed();
  }
  const int algorithm_nid = OBJ_obj2nid(sk_ASN1_TYPE_value(identifier.get(), 0)->value.object);
  const ASN1_TYPE* parameters = parts == 2 ? sk_ASN1_TYPE_value(identifier.get(), 1) : nullptr;

  if (algorithm_nid == NID_rsaEncryption) {
    // Parameters NULL (RFC 3279); some encoders leave them out.
    if (parameters != nullptr && parameters->type != V_ASN1_NULL) return malformed();
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, both positive.
    Asn1Sequence rsa = ReadSequence(StringBytes(bits));
    if (rsa == nullptr || sk_ASN1_TYPE_num(rsa.get()) != 2 ||
        sk_ASN1_TYPE_value(rsa.get(), 0)->type != V_ASN1_INTEGER ||
        sk_ASN1_TYPE_value(rsa.get(), 1)->type != V_ASN1_INTEGER) {
      return malformed();
    }
    crypto::BignumPtr n(
        ASN1_INTEGER_to_BN(sk_ASN1_TYPE_value(rsa.get(), 0)->value.integer, nullptr));
    crypto::BignumPtr e(
        ASN1_INTEGER_to_BN(sk_ASN1_TYPE_value(rsa.get(), 1)->value.integer, nullptr));
    if (n == nullptr || e == nullptr || BN_is_zero(n.get()) || BN_is_zero(e.get())) {
      return malformed();
    }
    return RsaPublicKey(*n, *e, kWhat);
  }
  if (algorithm_nid == NID_X9_62_id_ecPublicKey) {
    // ECParameters: a named curve (RFC 5480 forbids the others in certificates).
    if (parameters == nullptr || parameters->type != V_ASN1_OBJECT) {
      return absl::InvalidArgumentError(
          "AK public key: an EC key must name its curve (P-256, P-384, P-521)");
    }
    const int curve_nid = OBJ_obj2nid(parameters->value.object);
    const char* group = curve_nid == NID_undef ? nullptr : OBJ_nid2sn(curve_nid);
    const EccCurve* curve = group == nullptr ? nullptr : FindEccCurveByGroup(group);
    if (curve == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("AK public key: curve ", group == nullptr ? "(unknown)" : group,
                       " is not supported (P-256, P-384, P-521 are)"));
    }
    return EcPublicKey(*curve, StringBytes(bits), kWhat);
  }
  return absl::InvalidArgumentError("AK public key: only RSA and EC keys are supported");
}

absl::StatusOr<AkPublic> SpkiAk(absl::StatusOr<EvpPkeyPtr> key, AkFormat format) {
  if (!key.ok()) return key.status();
  AkPublic ak;
  ak.format = format;
  ak.description = Describe(key->get());
  ak.key = *std::move(key);
  return ak;
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
    // The first "PUBLIC KEY" block (others skipped, as PEM_read_bio_PUBKEY does), its DER read
    // by KeyFromSpki. An encrypted block is refused.
    crypto::BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    absl::StatusOr<EvpPkeyPtr> key = absl::InvalidArgumentError(
        "AK public key: PEM input is not a \"PUBLIC KEY\" (SubjectPublicKeyInfo)");
    while (bio != nullptr) {
      char* name = nullptr;
      char* header = nullptr;
      unsigned char* der = nullptr;
      long der_size = 0;
      if (PEM_read_bio(bio.get(), &name, &header, &der, &der_size) != 1) break;
      const bool spki = std::strcmp(name, PEM_STRING_PUBLIC) == 0;
      if (spki && header[0] == '\0') key = KeyFromSpki({der, static_cast<size_t>(der_size)});
      OPENSSL_free(name);
      OPENSSL_free(header);
      OPENSSL_free(der);
      if (spki) break;
    }
    return SpkiAk(std::move(key), AkFormat::kPem);
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
    if (Tss2_MU_TPMT_PUBLIC_Unmarshal(data.data(), data.size(), &offset, &pub) == TSS2_RC_SUCCESS &&
        offset == data.size()) {
      ASSIGN_OR_RETURN(AkPublic ak, FromTpmtPublic(pub, data, AkFormat::kTpmtPublic));
      ak.description = Describe(ak.key.get());
      return ak;
    }
  }

  return SpkiAk(KeyFromSpki(data), AkFormat::kDer);
}

}  // namespace bootgate::tpm
