// libFuzzer target: tpm::ParseAkPublic, the AK public key a `host add` or an enrollment hands
// over (PEM, DER SubjectPublicKeyInfo, TPM2B_PUBLIC or TPMT_PUBLIC). Never crashes, leaks or
// trips UBSan, whatever the bytes. Differential on SPKI: ParseAkPublic reads DER itself (not
// through OpenSSL's decoder framework), so every DER key it accepts must also be decoded by
// OpenSSL's d2i_PUBKEY, to the same key; a disagreement traps.
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "verifier/crypto/openssl_ptr.h"
#include "verifier/tpm/ak_public.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto ak = bootgate::tpm::ParseAkPublic(std::span<const uint8_t>(data, size));
  if (!ak.ok() || ak->format != bootgate::tpm::AkFormat::kDer) return 0;
  const uint8_t* p = data;
  bootgate::crypto::EvpPkeyPtr peer(d2i_PUBKEY(nullptr, &p, static_cast<long>(size)));
  if (peer == nullptr || p != data + size || EVP_PKEY_eq(ak->key.get(), peer.get()) != 1) {
    __builtin_trap();
  }
  return 0;
}
