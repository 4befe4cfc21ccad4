// libFuzzer target: the TPM structure parsers of verifier/tpm on the same bytes: TPMS_ATTEST
// (DecodeQuote), the tpm2-tools PCR file, and AK public keys (TPM2B_PUBLIC / TPMT_PUBLIC /
// DER / PEM). Checks invariants of what the decoders return, not only the absence of crashes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "verifier/crypto/hash.h"
#include "verifier/tpm/ak_public.h"
#include "verifier/tpm/pcr_digest.h"
#include "verifier/tpm/pcr_file.h"
#include "verifier/tpm/quote.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);

  auto quote = bootgate::tpm::DecodeQuote(bytes);
  if (quote.ok()) {
    for (const auto& bank : quote->pcr_selection) {
      for (size_t i = 1; i < bank.pcrs.size(); ++i) {
        if (bank.pcrs[i - 1] >= bank.pcrs[i]) __builtin_trap();  // ascending, no duplicates
      }
    }
    (void)bootgate::tpm::FormatPcrSelection(quote->pcr_selection, true);
  }

  auto file = bootgate::tpm::ParseTpm2ToolsPcrFile(bytes);
  if (file.ok()) {
    // Every selected PCR has a value of its bank's size, so the digest is computable.
    auto digest = bootgate::tpm::ComputePcrDigest(bootgate::crypto::HashAlg::kSha256,
                                                  file->selection, file->values);
    if (!digest.ok()) __builtin_trap();
  }

  auto ak = bootgate::tpm::ParseAkPublic(bytes);
  if (ak.ok() && ak->key == nullptr) __builtin_trap();
  return 0;
}
