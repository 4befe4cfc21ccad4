// libFuzzer target: TPMT_SIGNATURE unmarshalling and verification. The input is a signature
// checked against two real swtpm quotes with their AKs (RSA-2048 RSASSA and ECC P-256 ECDSA,
// from tests/unit/tpm/swtpm_evidence.h), so seeds from swtpm reach the OpenSSL verify path.
// Never crashes, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "tests/unit/tpm/swtpm_evidence.h"
#include "verifier/tpm/ak_public.h"
#include "verifier/tpm/signature.h"

namespace {

namespace swtpm = bootgate::tpm::testing::swtpm;

bootgate::tpm::AkPublic LoadKey(std::span<const uint8_t> tpm2b_public) {
  auto ak = bootgate::tpm::ParseAkPublic(tpm2b_public);
  if (!ak.ok()) __builtin_trap();  // the embedded keys are known good
  return *std::move(ak);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bootgate::tpm::AkPublic kRsa = LoadKey(swtpm::kRsaAkTpm2b);
  static const bootgate::tpm::AkPublic kEcc = LoadKey(swtpm::kEccAkTpm2b);
  const std::span<const uint8_t> sig(data, size);
  for (const bool allow_sha1 : {false, true}) {
    const bootgate::tpm::SignatureOptions options{.allow_sha1 = allow_sha1};
    for (const auto* ak : {&kRsa, &kEcc}) {
      (void)bootgate::tpm::VerifyTpmSignature(swtpm::kRsaQuoteMsg, sig, ak->key.get(), options);
      (void)bootgate::tpm::VerifyTpmSignature(swtpm::kEccQuoteMsg, sig, ak->key.get(), options);
    }
  }
  return 0;
}
