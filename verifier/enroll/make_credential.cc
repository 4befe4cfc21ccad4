#include "verifier/enroll/make_credential.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "verifier/bytes/reader.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"
#include "verifier/crypto/openssl_ptr.h"
#include "verifier/enroll/key_params.h"
#include "verifier/tpm/tpm_key.h"

namespace bootgate::enroll {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr absl::string_view kEkWhat = "EK public area";
// The label that binds the seed to credential protection: "IDENTITY" with its terminating
// NUL as OAEP label (TPM 2.0 Part 1, B.10.3), and as KDFe label for ECC (C.6.4).
constexpr char kIdentityLabel[] = "IDENTITY";  // sizeof() counts the NUL

// What MakeCredential takes from the EK: its nameAlg and its symmetric definition.
struct EkScheme {
  crypto::HashAlg name_alg;
  size_t digest_size;
  const EVP_CIPHER* cipher;  // AES-CFB with the EK's key size
  uint32_t key_bits;
};

absl::StatusOr<EkScheme> CredentialScheme(const TPMT_PUBLIC& ek) {
  if (ek.type != TPM2_ALG_RSA && ek.type != TPM2_ALG_ECC) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: key type 0x%04x cannot protect a credential (RSA or ECC needed)", kEkWhat, ek.type));
  }
  constexpr uint32_t kStorageKey = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  if ((ek.objectAttributes & kStorageKey) != kStorageKey) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: not a restricted decryption key (objectAttributes 0x%08x)", kEkWhat,
                        ek.objectAttributes));
  }
  const std::optional<crypto::HashAlg> alg = crypto::HashAlgFromTpmId(ek.nameAlg);
  if (!alg.has_value() || crypto::EvpMd(*alg) == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: nameAlg 0x%04x is not a hash algorithm bootgate can use", kEkWhat, ek.nameAlg));
  }
  const TPMT_SYM_DEF_OBJECT& sym = ek.type == TPM2_ALG_RSA ? ek.parameters.rsaDetail.symmetric
                                                           : ek.parameters.eccDetail.symmetric;
  const EVP_CIPHER* cipher = nullptr;
  if (sym.algorithm == TPM2_ALG_AES && sym.mode.aes == TPM2_ALG_CFB) {
    switch (sym.keyBits.aes) {
      case 128:
        cipher = EVP_aes_128_cfb128();
        break;
      case 192:
        cipher = EVP_aes_192_cfb128();
        break;
      case 256:
        cipher = EVP_aes_256_cfb128();
        break;
      default:
        break;
    }
  }
  if (cipher == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: symmetric definition (algorithm 0x%04x, %d bits, mode 0x%04x) is not AES-CFB "
        "with 128, 192 or 256 bits",
        kEkWhat, sym.algorithm, sym.keyBits.sym, sym.mode.sym));
  }
  return EkScheme{*alg, crypto::DigestSize(*alg), cipher, sym.keyBits.aes};
}

absl::Status CheckName(std::span<const uint8_t> name) {
  if (name.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("AK name: ", name.size(), " bytes is too short for a TPM Name"));
  }
  const uint16_t alg_id = static_cast<uint16_t>((name[0] << 8) | name[1]);
  const std::optional<crypto::HashAlg> alg = crypto::HashAlgFromTpmId(alg_id);
  if (!alg.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("AK name: algorithm 0x%04x is not a hash algorithm", alg_id));
  }
  if (name.size() != 2 + crypto::DigestSize(*alg)) {
    return absl::InvalidArgumentError(absl::StrCat("AK name: ", name.size(), " bytes, but a ",
                                                   crypto::HashAlgName(*alg), " Name has ",
                                                   2 + crypto::DigestSize(*alg)));
  }
  return absl::OkStatus();
}

// u16 big-endian size || content.
absl::StatusOr<Bytes> Tpm2b(std::span<const uint8_t> content, size_t max_size,
                            absl::string_view what) {
  if (content.size() > max_size) {
    return absl::InternalError(
        absl::StrCat(what, ": ", content.size(), " bytes exceed the ", max_size, " it can hold"));
  }
  Bytes out = {static_cast<uint8_t>(content.size() >> 8), static_cast<uint8_t>(content.size())};
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

absl::StatusOr<Bytes> AesCfbEncrypt(const EVP_CIPHER* cipher, std::span<const uint8_t> key,
                                    std::span<const uint8_t> plaintext) {
  const uint8_t iv[16] = {};  // credential protection uses a zero IV (Part 1, 24.4)
  std::unique_ptr<EVP_CIPHER_CTX, crypto::OpenSslDeleter<EVP_CIPHER_CTX_free>> ctx(
      EVP_CIPHER_CTX_new());
  Bytes out(plaintext.size() + 16);
  int len = 0;
  int final_len = 0;
  if (ctx == nullptr || key.size() != static_cast<size_t>(EVP_CIPHER_get_key_length(cipher)) ||
      EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key.data(), iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &final_len) != 1) {
    return absl::InternalError("MakeCredential: AES-CFB encryption failed");
  }
  out.resize(static_cast<size_t>(len + final_len));
  return out;
}

absl::StatusOr<Bytes> Hmac(crypto::HashAlg alg, std::span<const uint8_t> key,
                           std::span<const uint8_t> a, std::span<const uint8_t> b) {
  Bytes message(a.begin(), a.end());
  message.insert(message.end(), b.begin(), b.end());
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(crypto::EvpMd(alg), key.data(), static_cast<int>(key.size()), message.data(),
           message.size(), mac, &mac_len) == nullptr) {
    return absl::InternalError("MakeCredential: HMAC failed");
  }
  return Bytes(mac, mac + mac_len);
}

// RSA: the seed encrypted with RSA-OAEP (nameAlg for OAEP and MGF1, label "IDENTITY\0").
absl::StatusOr<Bytes> EncryptSeedRsa(EVP_PKEY* ek_key, const EkScheme& scheme,
                                     std::span<const uint8_t> seed) {
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, ek_key, nullptr));
  const EVP_MD* md = crypto::EvpMd(scheme.name_alg);
  void* label = OPENSSL_memdup(kIdentityLabel, sizeof(kIdentityLabel));
  size_t out_len = 0;
  if (ctx == nullptr || label == nullptr || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1) {
    OPENSSL_free(label);
    return absl::InternalError("MakeCredential: setting up RSA-OAEP failed");
  }
  // On success the context owns the label.
  if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, sizeof(kIdentityLabel)) != 1) {
    OPENSSL_free(label);
    return absl::InternalError("MakeCredential: setting the OAEP label failed");
  }
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &out_len, seed.data(), seed.size()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(kEkWhat, ": the RSA key is too small to encrypt a ",
                     crypto::HashAlgName(scheme.name_alg), " seed with OAEP"));
  }
  Bytes out(out_len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &out_len, seed.data(), seed.size()) != 1) {
    return absl::InternalError("MakeCredential: RSA-OAEP encryption failed");
  }
  out.resize(out_len);
  return out;
}

struct SharedSeed {
  Bytes seed;
  Bytes encrypted;  // marshaled TPMS_ECC_POINT (the ephemeral public key), without a TPM2B size
};

// ECC: an ephemeral key on the EK's curve; Z = x of ECDH(ephemeral, EK) and
// seed = KDFe(nameAlg, Z, "IDENTITY", ephemeral x, EK x); the TPM recomputes Z from the point.
absl::StatusOr<SharedSeed> SeedFromEcdh(const TPMT_PUBLIC& ek, EVP_PKEY* ek_key,
                                        const EkScheme& scheme) {
  const tpm::EccCurve* curve = tpm::FindEccCurve(ek.parameters.eccDetail.curveID);
  if (curve == nullptr) return absl::InternalError("MakeCredential: EK curve vanished");
  crypto::EvpPkeyPtr ephemeral(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve->group));
  if (ephemeral == nullptr) return absl::InternalError("MakeCredential: EC key generation failed");
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, ephemeral.get(), nullptr));
  size_t z_len = 0;
  if (ctx == nullptr || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), ek_key) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &z_len) != 1 || z_len != curve->field_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(kEkWhat, ": ECDH with the EK's point failed"));
  }
  Bytes z(z_len);
  if (EVP_PKEY_derive(ctx.get(), z.data(), &z_len) != 1 || z_len != z.size()) {
    return absl::InternalError("MakeCredential: ECDH failed");
  }
  ASSIGN_OR_RETURN(Bytes x,
                   KeyBnParam(ephemeral.get(), OSSL_PKEY_PARAM_EC_PUB_X, curve->field_bytes));
  ASSIGN_OR_RETURN(Bytes y,
                   KeyBnParam(ephemeral.get(), OSSL_PKEY_PARAM_EC_PUB_Y, curve->field_bytes));
  const TPM2B_ECC_PARAMETER& ek_x = ek.unique.ecc.x;
  SharedSeed shared;
  absl::StatusOr<Bytes> seed =
      KDFe(scheme.name_alg, z, kIdentityLabel, x, std::span<const uint8_t>(ek_x.buffer, ek_x.size),
           static_cast<uint32_t>(8 * scheme.digest_size));
  OPENSSL_cleanse(z.data(), z.size());
  if (!seed.ok()) return seed.status();
  shared.seed = *std::move(seed);
  // TPMS_ECC_POINT: TPM2B x || TPM2B y.
  ASSIGN_OR_RETURN(shared.encrypted, Tpm2b(x, TPM2_MAX_ECC_KEY_BYTES, "ECC point x"));
  ASSIGN_OR_RETURN(Bytes y2b, Tpm2b(y, TPM2_MAX_ECC_KEY_BYTES, "ECC point y"));
  shared.encrypted.insert(shared.encrypted.end(), y2b.begin(), y2b.end());
  return shared;
}

// A marshaled TPM2B_ENCRYPTED_SECRET whose size covers exactly the rest of the bytes.
absl::Status CheckEncryptedSeed(std::span<const uint8_t> encrypted_seed) {
  bytes::Reader r(encrypted_seed);
  ASSIGN_OR_RETURN(const uint16_t size, r.U16Be("TPM2B_ENCRYPTED_SECRET size"));
  if (size == 0 || size > sizeof(TPMU_ENCRYPTED_SECRET) || size != r.remaining()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "encrypted seed: TPM2B_ENCRYPTED_SECRET size ", size, " with ", r.remaining(),
        " bytes following (at most ", sizeof(TPMU_ENCRYPTED_SECRET), ", and exactly the rest)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Credential> MakeCredentialWithSeed(const TPMT_PUBLIC& ek,
                                                  std::span<const uint8_t> ak_name,
                                                  std::span<const uint8_t> secret,
                                                  std::span<const uint8_t> seed,
                                                  std::span<const uint8_t> encrypted_seed) {
  ASSIGN_OR_RETURN(const EkScheme scheme, CredentialScheme(ek));
  RETURN_IF_ERROR(CheckName(ak_name));
  if (secret.empty() || secret.size() > scheme.digest_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "credential secret: ", secret.size(), " bytes; need 1 to ", scheme.digest_size,
        " (the digest size of the EK's nameAlg ", crypto::HashAlgName(scheme.name_alg), ")"));
  }
  if (seed.size() != scheme.digest_size) {
    return absl::InvalidArgumentError(absl::StrCat("seed: ", seed.size(), " bytes; the EK's ",
                                                   crypto::HashAlgName(scheme.name_alg),
                                                   " nameAlg needs ", scheme.digest_size));
  }
  RETURN_IF_ERROR(CheckEncryptedSeed(encrypted_seed));

  // Part 1, 24.4: symKey = KDFa(nameAlg, seed, "STORAGE", Name, NULL, keyBits);
  // encIdentity = CFB_symKey(IV = 0, TPM2B_DIGEST credential);
  // HMACkey = KDFa(nameAlg, seed, "INTEGRITY", NULL, NULL, digest bits);
  // outerHMAC = HMAC_HMACkey(encIdentity || Name).
  ASSIGN_OR_RETURN(Bytes sym_key,
                   KDFa(scheme.name_alg, seed, "STORAGE", ak_name, {}, scheme.key_bits));
  ASSIGN_OR_RETURN(Bytes hmac_key, KDFa(scheme.name_alg, seed, "INTEGRITY", {}, {},
                                        static_cast<uint32_t>(8 * scheme.digest_size)));
  ASSIGN_OR_RETURN(const Bytes credential, Tpm2b(secret, scheme.digest_size, "credential"));
  absl::StatusOr<Bytes> enc_identity = AesCfbEncrypt(scheme.cipher, sym_key, credential);
  absl::StatusOr<Bytes> outer_hmac = enc_identity.ok()
                                         ? Hmac(scheme.name_alg, hmac_key, *enc_identity, ak_name)
                                         : enc_identity.status();
  OPENSSL_cleanse(sym_key.data(), sym_key.size());
  OPENSSL_cleanse(hmac_key.data(), hmac_key.size());
  if (!outer_hmac.ok()) return outer_hmac.status();

  // TPMS_ID_OBJECT: integrityHMAC (a TPM2B_DIGEST) || encIdentity (no size of its own).
  ASSIGN_OR_RETURN(Bytes id_object, Tpm2b(*outer_hmac, sizeof(TPMU_HA), "integrityHMAC"));
  id_object.insert(id_object.end(), enc_identity->begin(), enc_identity->end());
  Credential out;
  ASSIGN_OR_RETURN(out.credential_blob,
                   Tpm2b(id_object, sizeof(TPMS_ID_OBJECT), "TPM2B_ID_OBJECT"));
  out.encrypted_secret.assign(encrypted_seed.begin(), encrypted_seed.end());
  return out;
}

absl::StatusOr<Credential> MakeCredential(const TPMT_PUBLIC& ek, std::span<const uint8_t> ak_name,
                                          std::span<const uint8_t> secret) {
  ASSIGN_OR_RETURN(const EkScheme scheme, CredentialScheme(ek));
  ASSIGN_OR_RETURN(crypto::EvpPkeyPtr ek_key, tpm::PublicKeyFromTpmt(ek, kEkWhat));
  Bytes seed;
  Bytes encrypted;
  if (ek.type == TPM2_ALG_RSA) {
    seed.resize(scheme.digest_size);
    if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
      return absl::InternalError("MakeCredential: the random number generator failed");
    }
    ASSIGN_OR_RETURN(encrypted, EncryptSeedRsa(ek_key.get(), scheme, seed));
  } else {
    ASSIGN_OR_RETURN(SharedSeed shared, SeedFromEcdh(ek, ek_key.get(), scheme));
    seed = std::move(shared.seed);
    encrypted = std::move(shared.encrypted);
  }
  absl::StatusOr<Bytes> encrypted_seed =
      Tpm2b(encrypted, sizeof(TPMU_ENCRYPTED_SECRET), "TPM2B_ENCRYPTED_SECRET");
  absl::StatusOr<Credential> out =
      encrypted_seed.ok() ? MakeCredentialWithSeed(ek, ak_name, secret, seed, *encrypted_seed)
                          : encrypted_seed.status();
  OPENSSL_cleanse(seed.data(), seed.size());
  return out;
}

}  // namespace bootgate::enroll
