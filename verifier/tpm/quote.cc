#include "verifier/tpm/quote.h"

#include <tss2/tss2_mu.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "verifier/bytes/reader.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/pcr_values.h"
#include "verifier/tpm/pcr_selection_internal.h"
#include "verifier/tpm/quote_error.h"

namespace bootgate::tpm {

absl::StatusOr<Quote> DecodeQuote(std::span<const uint8_t> tpms_attest) {
  // Peek at magic and type first so a non-quote is named as such, whatever its body holds.
  bytes::Reader header(tpms_attest);
  ASSIGN_OR_RETURN(const uint32_t magic, header.U32Be("TPMS_ATTEST magic"));
  if (magic != TPM2_GENERATED_VALUE) {
    return QuoteRejected(
        QuoteRejection::kBadMagic,
        absl::StrFormat("attestation magic is 0x%08x, not TPM_GENERATED_VALUE 0xff544347: these "
                        "bytes were not produced by a TPM",
                        magic));
  }
  ASSIGN_OR_RETURN(const uint16_t type, header.U16Be("TPMS_ATTEST type"));
  if (type != TPM2_ST_ATTEST_QUOTE) {
    return QuoteRejected(
        QuoteRejection::kNotAQuote,
        absl::StrFormat("attestation type is 0x%04x (%s), not a quote (TPM_ST_ATTEST_QUOTE "
                        "0x8018): it does not attest PCR values",
                        type, internal::AttestTypeName(type)));
  }

  TPMS_ATTEST attest = {};
  size_t offset = 0;
  const TSS2_RC rc =
      Tss2_MU_TPMS_ATTEST_Unmarshal(tpms_attest.data(), tpms_attest.size(), &offset, &attest);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "quote message (TPMS_ATTEST, %d bytes) is truncated or malformed (tss2-mu error 0x%x)",
        tpms_attest.size(), rc));
  }
  if (offset != tpms_attest.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("quote message has %d trailing bytes after the TPMS_ATTEST structure "
                        "(%d bytes)",
                        tpms_attest.size() - offset, offset));
  }

  Quote quote;
  quote.qualified_signer.assign(attest.qualifiedSigner.name,
                                attest.qualifiedSigner.name + attest.qualifiedSigner.size);
  quote.extra_data.assign(attest.extraData.buffer, attest.extraData.buffer + attest.extraData.size);
  quote.clock_info.clock_ms = attest.clockInfo.clock;
  quote.clock_info.reset_count = attest.clockInfo.resetCount;
  quote.clock_info.restart_count = attest.clockInfo.restartCount;
  quote.clock_info.safe = attest.clockInfo.safe != 0;
  quote.firmware_version = attest.firmwareVersion;
  const TPMS_QUOTE_INFO& info = attest.attested.quote;
  ASSIGN_OR_RETURN(quote.pcr_selection, internal::FromTpmlPcrSelection(info.pcrSelect));
  quote.pcr_digest.assign(info.pcrDigest.buffer, info.pcrDigest.buffer + info.pcrDigest.size);
  return quote;
}

std::string FormatPcrSelection(const PcrSelection& selection, bool compact) {
  std::vector<std::string> banks;
  for (const PcrBankSelection& bank : selection) {
    std::string pcrs;
    if (bank.pcrs.empty()) pcrs = "none";
    for (size_t i = 0; i < bank.pcrs.size();) {
      size_t j = i;
      if (compact) {
        while (j + 1 < bank.pcrs.size() && bank.pcrs[j + 1] == bank.pcrs[j] + 1) ++j;
      }
      if (!pcrs.empty()) pcrs += ",";
      absl::StrAppend(&pcrs, bank.pcrs[i]);
      if (j > i) absl::StrAppend(&pcrs, "-", bank.pcrs[j]);
      i = j + 1;
    }
    banks.push_back(absl::StrCat(crypto::HashAlgName(bank.bank), ":", pcrs));
  }
  return absl::StrJoin(banks, "+");
}

absl::StatusOr<PcrSelection> ParsePcrSelectionSpec(absl::string_view spec) {
  PcrSelection selection;
  for (absl::string_view bank_spec : absl::StrSplit(spec, '+')) {
    const size_t colon = bank_spec.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("PCR selection \"", bank_spec, "\": want BANK:PCRS, e.g. sha256:0-7"));
    }
    const absl::string_view name = bank_spec.substr(0, colon);
    const std::optional<crypto::HashAlg> bank = crypto::HashAlgFromName(name);
    if (!bank.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("PCR selection: unknown bank \"", name, "\""));
    }
    if (std::any_of(selection.begin(), selection.end(),
                    [&](const PcrBankSelection& b) { return b.bank == *bank; })) {
      return absl::InvalidArgumentError(absl::StrCat("PCR selection: bank ", name, " given twice"));
    }
    std::vector<uint32_t> pcrs;
    for (absl::string_view item : absl::StrSplit(bank_spec.substr(colon + 1), ',')) {
      const size_t dash = item.find('-');
      uint32_t first = 0;
      uint32_t last = 0;
      const bool ok = dash == absl::string_view::npos
                          ? absl::SimpleAtoi(item, &first) && (last = first, true)
                          : absl::SimpleAtoi(item.substr(0, dash), &first) &&
                                absl::SimpleAtoi(item.substr(dash + 1), &last);
      if (!ok || first > last || last >= crypto::kPcrCount) {
        return absl::InvalidArgumentError(absl::StrCat("PCR selection: \"", item, "\" in ", name,
                                                       " is not a PCR or range within 0-23"));
      }
      for (uint32_t pcr = first; pcr <= last; ++pcr) pcrs.push_back(pcr);
    }
    std::sort(pcrs.begin(), pcrs.end());
    pcrs.erase(std::unique(pcrs.begin(), pcrs.end()), pcrs.end());
    selection.push_back({*bank, std::move(pcrs)});
  }
  return selection;
}

PcrSelection MissingFromSelection(const PcrSelection& selection, const PcrSelection& required) {
  PcrSelection missing;
  for (const PcrBankSelection& want : required) {
    auto have = std::find_if(selection.begin(), selection.end(),
                             [&](const PcrBankSelection& b) { return b.bank == want.bank; });
    PcrBankSelection lacking{want.bank, {}};
    for (uint32_t pcr : want.pcrs) {
      if (have == selection.end() ||
          std::find(have->pcrs.begin(), have->pcrs.end(), pcr) == have->pcrs.end()) {
        lacking.pcrs.push_back(pcr);
      }
    }
    if (!lacking.pcrs.empty()) missing.push_back(std::move(lacking));
  }
  return missing;
}

}  // namespace bootgate::tpm
