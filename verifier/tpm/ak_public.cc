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
    // The first "PUBLIC KEY" block (others skipped, as PEM_read_bio_PUBKEY does), its DER read
    // by d2i_PUBKEY: PEM_read_bio_PUBKEY goes through OpenSSL 3's decoder framework, three times
    // the cost, and a policy push parses every host's AK. An encrypted block is refused.
    crypto::BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    EvpPkeyPtr key;
    while (bio != nullptr) {
      char* name = nullptr;
      char* header = nullptr;
      unsigned char* der = nullptr;
      long der_size = 0;
      if (PEM_read_bio(bio.get(), &name, &header, &der, &der_size) != 1) break;
      const bool spki = std::strcmp(name, PEM_STRING_PUBLIC) == 0;
      if (spki && header[0] == '\0') {
        const unsigned char* p = der;
        key.reset(d2i_PUBKEY(nullptr, &p, der_size));
      }
      OPENSSL_free(name);
      OPENSSL_free(header);
      OPENSSL_free(der);
      if (spki) break;
    }
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
    if (Tss2_MU_TPMT_PUBLIC_Unmarshal(data.data(), data.size(), &offset, &pub) == TSS2_RC_SUCCESS &&
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
