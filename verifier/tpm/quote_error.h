// How quote verification tells "could not evaluate" apart from "evaluated and rejected".
//
// Every function in verifier/tpm returns one of:
//   - OK;
//   - absl::InvalidArgument: the input is malformed (truncated, trailing bytes, unparsable key,
//     selection of an unknown bank). The evidence could not be evaluated (CLI exit 2);
//   - absl::PermissionDenied carrying a QuoteRejection payload: the evidence was evaluated and
//     it does not prove what it claims (bad signature, wrong nonce, digest mismatch, not a
//     quote...). The CLI maps this to exit 1 and the server to a contraindicated verdict.
// Use GetQuoteRejection() to read the kind; the status message is the user-facing reason.
#ifndef BOOTGATE_VERIFIER_TPM_QUOTE_ERROR_H_
#define BOOTGATE_VERIFIER_TPM_QUOTE_ERROR_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bootgate::tpm {

enum class QuoteRejection {
  kBadMagic,             // TPMS_ATTEST.magic != TPM_GENERATED_VALUE: not made by a TPM
  kNotAQuote,            // TPMS_ATTEST.type != TPM_ST_ATTEST_QUOTE (certify, time, ...)
  kUnsupportedScheme,    // signature scheme or hash bootgate does not accept (SHA-1 included)
  kKeySchemeMismatch,    // e.g. an ECDSA signature with an RSA AK
  kBadSignature,         // the AK did not sign these exact bytes
  kNonceMismatch,        // extraData != the expected qualifying data
  kPcrSelectionMissing,  // the quote does not cover a PCR the caller requires
  kPcrValuesMissing,     // the supplied PCR values lack a PCR the quote covers
  kPcrDigestMismatch,    // the supplied PCR values do not hash to the quote's pcrDigest
};

// "bad-magic", "not-a-quote", "unsupported-scheme", ... (stable, for logs and JSON).
absl::string_view QuoteRejectionName(QuoteRejection rejection);

// Returns a PermissionDenied status with `message` and `rejection` attached as payload.
absl::Status QuoteRejected(QuoteRejection rejection, absl::string_view message);

// Returns the rejection kind of a status made by QuoteRejected, nullopt for any other status
// (OK, InvalidArgument, ...).
std::optional<QuoteRejection> GetQuoteRejection(const absl::Status& status);

}  // namespace bootgate::tpm

#endif  // BOOTGATE_VERIFIER_TPM_QUOTE_ERROR_H_
