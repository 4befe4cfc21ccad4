#include "verifier/tpm/pcr_selection_internal.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace bootgate::tpm::internal {

absl::Status AppendBank(uint16_t alg_id, uint8_t size_of_select, const uint8_t* select,
                        PcrSelection& selection) {
  const std::optional<crypto::HashAlg> bank = crypto::HashAlgFromTpmId(alg_id);
  if (!bank.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("PCR selection names bank 0x%04x, which is not a known hash", alg_id));
  }
  if (size_of_select > TPM2_PCR_SELECT_MAX) {
    return absl::InvalidArgumentError(
        absl::StrFormat("PCR selection for %s has sizeofSelect %d (at most %d)",
                        crypto::HashAlgName(*bank), size_of_select, TPM2_PCR_SELECT_MAX));
  }
  if (std::any_of(selection.begin(), selection.end(),
                  [&](const PcrBankSelection& b) { return b.bank == *bank; })) {
    return absl::InvalidArgumentError(
        absl::StrFormat("PCR selection names bank %s twice", crypto::HashAlgName(*bank)));
  }
  PcrBankSelection out{*bank, {}};
  for (uint32_t pcr = 0; pcr < size_of_select * 8u; ++pcr) {
    if (select[pcr / 8] & (1u << (pcr % 8))) out.pcrs.push_back(pcr);
  }
  selection.push_back(std::move(out));
  return absl::OkStatus();
}

absl::StatusOr<PcrSelection> FromTpmlPcrSelection(const TPML_PCR_SELECTION& tpml) {
  PcrSelection selection;
  for (uint32_t i = 0; i < tpml.count && i < TPM2_NUM_PCR_BANKS; ++i) {
    const TPMS_PCR_SELECTION& s = tpml.pcrSelections[i];
    absl::Status status = AppendBank(s.hash, s.sizeofSelect, s.pcrSelect, selection);
    if (!status.ok()) return status;
  }
  return selection;
}

absl::string_view AttestTypeName(uint16_t type) {
  switch (type) {
    case TPM2_ST_ATTEST_CERTIFY:
      return "certify";
    case TPM2_ST_ATTEST_QUOTE:
      return "quote";
    case TPM2_ST_ATTEST_SESSION_AUDIT:
      return "session audit";
    case TPM2_ST_ATTEST_COMMAND_AUDIT:
      return "command audit";
    case TPM2_ST_ATTEST_TIME:
      return "time";
    case TPM2_ST_ATTEST_CREATION:
      return "creation";
    case TPM2_ST_ATTEST_NV:
      return "NV certify";
  }
  return "unknown";
}

}  // namespace bootgate::tpm::internal
