#include "verifier/tpm/pcr_digest.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/tpm/quote_error.h"

namespace bootgate::tpm {

absl::StatusOr<crypto::Digest> ComputePcrDigest(crypto::HashAlg alg, const PcrSelection& selection,
                                                const crypto::PcrValues& values) {
  std::vector<uint8_t> concat;
  PcrSelection missing;
  for (const PcrBankSelection& bank : selection) {
    const auto bank_values = values.find(bank.bank);
    PcrBankSelection lacking{bank.bank, {}};
    for (uint32_t pcr : bank.pcrs) {
      const crypto::Digest* value = nullptr;
      if (bank_values != values.end()) {
        const auto it = bank_values->second.find(pcr);
        if (it != bank_values->second.end()) value = &it->second;
      }
      if (value == nullptr) {
        lacking.pcrs.push_back(pcr);
        continue;
      }
      if (value->size() != crypto::DigestSize(bank.bank)) {
        return absl::InvalidArgumentError(
            absl::StrFormat("PCR value %s:%d has %d bytes, want %d", crypto::HashAlgName(bank.bank),
                            pcr, value->size(), crypto::DigestSize(bank.bank)));
      }
      concat.insert(concat.end(), value->begin(), value->end());
    }
    if (!lacking.pcrs.empty()) missing.push_back(std::move(lacking));
  }
  if (!missing.empty()) {
    return QuoteRejected(QuoteRejection::kPcrValuesMissing,
                         absl::StrCat("supplied PCR values lack ", FormatPcrSelection(missing),
                                      ", which the quote covers"));
  }
  return crypto::Hash(alg, concat);
}

absl::Status CheckPcrDigest(const Quote& quote, crypto::HashAlg alg,
                            const crypto::PcrValues& values) {
  ASSIGN_OR_RETURN(const crypto::Digest digest, ComputePcrDigest(alg, quote.pcr_selection, values));
  if (!crypto::ConstantTimeEquals(digest, quote.pcr_digest)) {
    return QuoteRejected(
        QuoteRejection::kPcrDigestMismatch,
        absl::StrCat("PCR digest mismatch: quote covers ", FormatPcrSelection(quote.pcr_selection),
                     " and the supplied values hash to ", bytes::ToHex(digest), " (",
                     crypto::HashAlgName(alg), "), quote says ", bytes::ToHex(quote.pcr_digest)));
  }
  return absl::OkStatus();
}

}  // namespace bootgate::tpm
