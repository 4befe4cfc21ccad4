#include "tests/unit/enroll/software_activate.h"

#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "verifier/bytes/reader.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"
#include "verifier/crypto/openssl_ptr.h"
#include "verifier/tpm/tpm_key.h"

namespace bootgate::enroll::testing {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr char kIdentity[] = "IDENTITY";

absl::StatusOr<crypto::HashAlg> NameAlg(const TPMT_PUBLIC& ek) {
  auto alg = crypto::HashAlgFromTpmId(ek.nameAlg);
  if (!alg) return absl::InvalidArgumentError("EK nameAlg is not a hash");
  return *alg;
}

absl::StatusOr<Bytes> RsaSeed(EVP_PKEY* ek_private, crypto::HashAlg alg,
                              std::span<const uint8_t> encrypted) {
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, ek_private, nullptr));
  void* label = OPENSSL_memdup(kIdentity, sizeof(kIdentity));
  if (ctx == nullptr || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), crypto::EvpMd(alg)) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), crypto::EvpMd(alg)) != 1 ||
      EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, sizeof(kIdentity)) != 1) {
    return absl::InternalError("OAEP setup failed");
  }
  Bytes seed(encrypted.size());
  size_t len = seed.size();
  if (EVP_PKEY_decrypt(ctx.get(), seed.data(), &len, encrypted.data(), encrypted.size()) != 1) {
    return absl::InvalidArgumentError("RSA-OAEP decryption of the seed failed");
  }
  seed.resize(len);
  return seed;
}

absl::StatusOr<Bytes> EccSeed(EVP_PKEY* ek_private, const TPMT_PUBLIC& ek, crypto::HashAlg alg,
                              std::span<const uint8_t> encrypted) {
  // TPMS_ECC_POINT: TPM2B x || TPM2B y, nothing after.
  bytes::Reader r(encrypted);
  ASSIGN_OR_RETURN(uint16_t x_size, r.U16Be("x size"));
  ASSIGN_OR_RETURN(auto x, r.Bytes(x_size, "x"));
  ASSIGN_OR_RETURN(uint16_t y_size, r.U16Be("y size"));
  ASSIGN_OR_RETURN(auto y, r.Bytes(y_size, "y"));
  if (!r.empty() || x.size() > TPM2_MAX_ECC_KEY_BYTES || y.size() > TPM2_MAX_ECC_KEY_BYTES) {
    return absl::InvalidArgumentError("not a TPMS_ECC_POINT");
  }
  TPMT_PUBLIC point = ek;
  point.unique.ecc.x.size = x_size;
  std::memcpy(point.unique.ecc.x.buffer, x.data(), x.size());
  point.unique.ecc.y.size = y_size;
  std::memcpy(point.unique.ecc.y.buffer, y.data(), y.size());
  ASSIGN_OR_RETURN(crypto::EvpPkeyPtr peer, tpm::PublicKeyFromTpmt(point, "ephemeral point"));
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, ek_private, nullptr));
  size_t z_len = 0;
  if (ctx == nullptr || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &z_len) != 1) {
    return absl::InvalidArgumentError("ECDH with the ephemeral point failed");
  }
  Bytes z(z_len);
  if (EVP_PKEY_derive(ctx.get(), z.data(), &z_len) != 1) return absl::InternalError("ECDH");
  return KDFe(alg, z, kIdentity, x,
              std::span<const uint8_t>(ek.unique.ecc.x.buffer, ek.unique.ecc.x.size),
              static_cast<uint32_t>(8 * crypto::DigestSize(alg)));
}

const EVP_CIPHER* Cipher(const TPMT_PUBLIC& ek) {
  const TPMT_SYM_DEF_OBJECT& sym = ek.type == TPM2_ALG_RSA ? ek.parameters.rsaDetail.symmetric
                                                           : ek.parameters.eccDetail.symmetric;
  switch (sym.keyBits.aes) {
    case 128:
      return EVP_aes_128_cfb128();
    case 192:
      return EVP_aes_192_cfb128();
    case 256:
      return EVP_aes_256_cfb128();
    default:
      return nullptr;
  }
}

}  // namespace

absl::StatusOr<Bytes> RecoverSeed(EVP_PKEY* ek_private, const TPMT_PUBLIC& ek,
                                  std::span<const uint8_t> encrypted_secret) {
  ASSIGN_OR_RETURN(crypto::HashAlg alg, NameAlg(ek));
  bytes::Reader r(encrypted_secret);
  ASSIGN_OR_RETURN(uint16_t size, r.U16Be("TPM2B_ENCRYPTED_SECRET size"));
  if (size != r.remaining()) return absl::InvalidArgumentError("encrypted secret size mismatch");
  const std::span<const uint8_t> body = r.Rest();
  if (ek.type == TPM2_ALG_RSA) return RsaSeed(ek_private, alg, body);
  return EccSeed(ek_private, ek, alg, body);
}

absl::StatusOr<Bytes> ActivateCredential(EVP_PKEY* ek_private, const TPMT_PUBLIC& ek,
                                         std::span<const uint8_t> ak_name,
                                         const Credential& credential) {
  ASSIGN_OR_RETURN(crypto::HashAlg alg, NameAlg(ek));
  ASSIGN_OR_RETURN(Bytes seed, RecoverSeed(ek_private, ek, credential.encrypted_secret));
  const TPMT_SYM_DEF_OBJECT& sym = ek.type == TPM2_ALG_RSA ? ek.parameters.rsaDetail.symmetric
                                                           : ek.parameters.eccDetail.symmetric;
  const size_t digest_size = crypto::DigestSize(alg);
  ASSIGN_OR_RETURN(Bytes hmac_key,
                   KDFa(alg, seed, "INTEGRITY", {}, {}, static_cast<uint32_t>(8 * digest_size)));
  ASSIGN_OR_RETURN(Bytes sym_key, KDFa(alg, seed, "STORAGE", ak_name, {}, sym.keyBits.aes));

  bytes::Reader r(credential.credential_blob);
  ASSIGN_OR_RETURN(uint16_t blob_size, r.U16Be("TPM2B_ID_OBJECT size"));
  if (blob_size != r.remaining()) return absl::InvalidArgumentError("credential size mismatch");
  ASSIGN_OR_RETURN(uint16_t hmac_size, r.U16Be("integrityHMAC size"));
  ASSIGN_OR_RETURN(auto outer_hmac, r.Bytes(hmac_size, "integrityHMAC"));
  const std::span<const uint8_t> enc_identity = r.Rest();

  Bytes message(enc_identity.begin(), enc_identity.end());
  message.insert(message.end(), ak_name.begin(), ak_name.end());
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(crypto::EvpMd(alg), hmac_key.data(), static_cast<int>(hmac_key.size()), message.data(),
           message.size(), mac, &mac_len) == nullptr) {
    return absl::InternalError("HMAC");
  }
  if (!crypto::ConstantTimeEquals(outer_hmac, std::span<const uint8_t>(mac, mac_len))) {
    return absl::InvalidArgumentError("credential integrity check failed (TPM_RC_INTEGRITY)");
  }

  const EVP_CIPHER* cipher = Cipher(ek);
  std::unique_ptr<EVP_CIPHER_CTX, crypto::OpenSslDeleter<EVP_CIPHER_CTX_free>> ctx(
      EVP_CIPHER_CTX_new());
  const uint8_t iv[16] = {};
  Bytes plain(enc_identity.size() + 16);
  int len = 0;
  int final_len = 0;
  if (cipher == nullptr || ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, sym_key.data(), iv) != 1 ||
      EVP_DecryptUpdate(ctx.get(), plain.data(), &len, enc_identity.data(),
                        static_cast<int>(enc_identity.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain.data() + len, &final_len) != 1) {
    return absl::InternalError("AES-CFB decryption failed");
  }
  plain.resize(static_cast<size_t>(len + final_len));
  bytes::Reader p(plain);
  ASSIGN_OR_RETURN(uint16_t secret_size, p.U16Be("credential size"));
  ASSIGN_OR_RETURN(auto secret, p.Bytes(secret_size, "credential"));
  if (!p.empty()) return absl::InvalidArgumentError("bytes after the credential");
  return Bytes(secret.begin(), secret.end());
}

}  // namespace bootgate::enroll::testing
