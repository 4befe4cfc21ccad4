#include "verifier/tpm/verify_quote.h"

#include "absl/strings/str_cat.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"
#include "verifier/tpm/pcr_digest.h"
#include "verifier/tpm/quote_error.h"

namespace bootgate::tpm {

absl::StatusOr<VerifiedQuote> VerifyQuote(const QuoteEvidence& evidence,
                                          const QuoteExpectations& expectations) {
  if (evidence.ak == nullptr) return absl::InvalidArgumentError("no AK public key given");
  const bool check_nonce = expectations.freshness == Freshness::kRequireNonce;
  if (check_nonce && expectations.nonce.empty()) {
    return absl::InvalidArgumentError("no expected nonce given: a quote without one is replayable");
  }
  if (!check_nonce && !expectations.nonce.empty()) {
    return absl::InvalidArgumentError(
        "an expected nonce was given but the freshness check is off: give one or the other");
  }
  VerifiedQuote out;
  ASSIGN_OR_RETURN(out.quote, DecodeQuote(evidence.message));
  ASSIGN_OR_RETURN(out.signature,
                   VerifyTpmSignature(evidence.message, evidence.signature, evidence.ak,
                                      SignatureOptions{.allow_sha1 = expectations.allow_sha1}));
  if (check_nonce && !crypto::ConstantTimeEquals(out.quote.extra_data, expectations.nonce)) {
    return QuoteRejected(
        QuoteRejection::kNonceMismatch,
        absl::StrCat("quote nonce ",
                     out.quote.extra_data.empty() ? std::string("(empty)")
                                                  : bytes::ToHex(out.quote.extra_data),
                     " does not match the expected nonce ", bytes::ToHex(expectations.nonce),
                     ": the quote is stale or was made for another challenge"));
  }
  out.freshness_checked = check_nonce;
  const PcrSelection missing =
      MissingFromSelection(out.quote.pcr_selection, expectations.required_pcrs);
  if (!missing.empty()) {
    return QuoteRejected(
        QuoteRejection::kPcrSelectionMissing,
        absl::StrCat("quote covers ", FormatPcrSelection(out.quote.pcr_selection), " but not ",
                     FormatPcrSelection(missing), ", which must be attested"));
  }
  return out;
}

absl::Status CheckPcrDigest(const VerifiedQuote& verified, const crypto::PcrValues& values) {
  return CheckPcrDigest(verified.quote, verified.signature.hash, values);
}

}  // namespace bootgate::tpm
