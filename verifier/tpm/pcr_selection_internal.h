// Conversions between tss2 PCR selection structures and PcrSelection, shared by the quote
// decoder and the tpm2-tools PCR file parser. Internal to verifier/tpm.
#ifndef BOOTGATE_VERIFIER_TPM_PCR_SELECTION_INTERNAL_H_
#define BOOTGATE_VERIFIER_TPM_PCR_SELECTION_INTERNAL_H_

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "verifier/tpm/quote.h"

namespace bootgate::tpm::internal {

// Adds one bank. InvalidArgument if `alg_id` is not a known hash, the bank is already in
// `selection`, or `size_of_select` exceeds TPM2_PCR_SELECT_MAX.
absl::Status AppendBank(uint16_t alg_id, uint8_t size_of_select, const uint8_t* select,
                        PcrSelection& selection);

// Converts a decoded TPML_PCR_SELECTION (count already bounded by tss2-mu).
absl::StatusOr<PcrSelection> FromTpmlPcrSelection(const TPML_PCR_SELECTION& tpml);

// "certify", "time", ... for a TPM_ST_ATTEST_* tag; "unknown" otherwise.
absl::string_view AttestTypeName(uint16_t type);

}  // namespace bootgate::tpm::internal

#endif  // BOOTGATE_VERIFIER_TPM_PCR_SELECTION_INTERNAL_H_
