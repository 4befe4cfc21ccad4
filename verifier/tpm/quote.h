// TPM2 quotes: decoding a TPMS_ATTEST (as `tpm2_quote -m` writes it) into the fields a
// verifier needs, and the PCR selection it covers.
#ifndef BOOTGATE_VERIFIER_TPM_QUOTE_H_
#define BOOTGATE_VERIFIER_TPM_QUOTE_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "verifier/crypto/hash.h"

namespace bootgate::tpm {

// One bank of a PCR selection: PCR indices ascending (the order the TPM hashes them in).
struct PcrBankSelection {
  crypto::HashAlg bank;
  std::vector<uint32_t> pcrs;
  bool operator==(const PcrBankSelection&) const = default;
};
// Banks in TPM selection order (the order the quote's pcrDigest concatenates them in).
using PcrSelection = std::vector<PcrBankSelection>;

struct ClockInfo {
  uint64_t clock_ms = 0;  // milliseconds the TPM has been powered, persisted
  uint32_t reset_count = 0;
  uint32_t restart_count = 0;
  bool safe = false;
};

struct Quote {
  std::vector<uint8_t> qualified_signer;  // TPM Name of the signing key
  std::vector<uint8_t> extra_data;        // the qualifying data (nonce) the caller supplied
  ClockInfo clock_info;
  uint64_t firmware_version = 0;
  PcrSelection pcr_selection;
  std::vector<uint8_t> pcr_digest;
};

// Decodes a TPMS_ATTEST that must be a quote. The whole input must be one structure.
// Errors:
//   - InvalidArgument: truncated, trailing bytes, fields that do not unmarshal, or a PCR
//     selection naming an unknown hash bank or the same bank twice;
//   - PermissionDenied / QuoteRejection::kBadMagic when magic != TPM_GENERATED_VALUE, and
//     QuoteRejection::kNotAQuote when type != TPM_ST_ATTEST_QUOTE (checked before the body is
//     decoded, so a certify or time attestation is named as such). These are rejections even
//     when the structure is validly signed: such bytes never prove PCR state.
absl::StatusOr<Quote> DecodeQuote(std::span<const uint8_t> tpms_attest);

// "sha256:0,1,2,3+sha1:7", or with `compact` ranges: "sha256:0-3+sha1:7". Empty banks are
// written as "sha256:none".
std::string FormatPcrSelection(const PcrSelection& selection, bool compact = false);

// Parses a selection as users write it, in tpm2-tools syntax: "sha256:0,1,2+sha1:7", with
// ranges "sha256:0-7". Banks keep the given order; PCRs are sorted, duplicates merged.
// InvalidArgument for an unknown bank, a bank given twice, or a PCR outside 0-23.
absl::StatusOr<PcrSelection> ParsePcrSelectionSpec(absl::string_view spec);

// Returns the (bank, pcr) pairs of `required` that `selection` lacks, as a selection; empty
// when `selection` covers `required`.
PcrSelection MissingFromSelection(const PcrSelection& selection, const PcrSelection& required);

}  // namespace bootgate::tpm

#endif  // BOOTGATE_VERIFIER_TPM_QUOTE_H_
