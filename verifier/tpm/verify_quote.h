// The one entry point for checking a TPM2 quote: decode, type and magic, AK signature,
// qualifying data, PCR coverage. CheckPcrDigest (pcr_digest.h) then ties PCR values to it.
//
// Outcomes (see quote_error.h): OK; InvalidArgument when the evidence is malformed;
// PermissionDenied with a QuoteRejection when it was evaluated and does not prove the claim.
#ifndef BOOTGATE_VERIFIER_TPM_VERIFY_QUOTE_H_
#define BOOTGATE_VERIFIER_TPM_VERIFY_QUOTE_H_

#include <openssl/evp.h>

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "verifier/crypto/pcr_values.h"
#include "verifier/tpm/quote.h"
#include "verifier/tpm/signature.h"

namespace bootgate::tpm {

// Borrowed views: the bytes and the key must outlive the VerifyQuote call.
struct QuoteEvidence {
  std::span<const uint8_t> message;    // TPMS_ATTEST (tpm2_quote -m)
  std::span<const uint8_t> signature;  // TPMT_SIGNATURE (tpm2_quote -s)
  EVP_PKEY* ak = nullptr;              // the AK the verifier trusts for this host
};

// Whether VerifyQuote ties the quote to a fresh challenge.
enum class Freshness {
  // The default, and the only mode of the service and the agent: the quote's qualifying data
  // must equal a non-empty expected nonce.
  kRequireNonce,
  // Offline inspection only (`bootgate quote verify --no-freshness-check`) of a quote captured
  // elsewhere, e.g. a cloud vTPM quote with empty qualifying data: everything but the
  // qualifying data is checked. Such a quote proves a PCR state at some time, not now, so it
  // must never lead to a verdict; bootgated never sets it.
  kNotCheckedOfflineOnly,
};

struct QuoteExpectations {
  std::vector<uint8_t> nonce;  // the qualifying data the verifier asked for; must not be empty
                               // (must be empty with Freshness::kNotCheckedOfflineOnly)
  PcrSelection required_pcrs;  // PCRs the quote must cover (it may cover more)
  bool allow_sha1 = false;     // accept SHA-1 signatures (legacy TPMs only)
  Freshness freshness = Freshness::kRequireNonce;
};

struct VerifiedQuote {
  Quote quote;
  VerifiedSignature signature;  // signature.hash is the hash of quote.pcr_digest
  // True when quote.extra_data equalled the expected nonce; false only with
  // Freshness::kNotCheckedOfflineOnly (quote.extra_data is then whatever the quote carried).
  bool freshness_checked = false;
};

// Runs, in order, stopping at the first failure:
//   1. DecodeQuote: malformed -> InvalidArgument; magic -> kBadMagic; type -> kNotAQuote;
//   2. VerifyTpmSignature over the exact message bytes -> kUnsupportedScheme,
//      kKeySchemeMismatch, kBadSignature (or InvalidArgument for malformed signature bytes);
//   3. extraData == expectations.nonce (constant time) -> kNonceMismatch
//      ("quote nonce 1a2b... does not match the expected nonce 3c4d...");
//   4. the quote's selection covers expectations.required_pcrs -> kPcrSelectionMissing.
// InvalidArgument also if `evidence.ak` is null or `expectations.nonce` is empty (a quote
// without fresh qualifying data proves nothing about now). With
// `expectations.freshness == Freshness::kNotCheckedOfflineOnly` step 3 is skipped, whatever
// extraData holds (empty or not), `freshness_checked` is false, and a non-empty
// `expectations.nonce` is InvalidArgument (a caller cannot both expect a nonce and not check it).
absl::StatusOr<VerifiedQuote> VerifyQuote(const QuoteEvidence& evidence,
                                          const QuoteExpectations& expectations);

// CheckPcrDigest(verified.quote, verified.signature.hash, values): see pcr_digest.h.
absl::Status CheckPcrDigest(const VerifiedQuote& verified, const crypto::PcrValues& values);

}  // namespace bootgate::tpm

#endif  // BOOTGATE_VERIFIER_TPM_VERIFY_QUOTE_H_
