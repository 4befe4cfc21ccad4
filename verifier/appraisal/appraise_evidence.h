// The whole verifier in one call: evidence bytes and a policy in, a verdict out.
//
//   VerifyQuote -> ParseEventLog -> Replay -> CompareWithQuoted / CheckPcrDigest
//     -> DecodeEvent -> ExtractBootState -> Evaluate -> ApplyExceptions -> Appraise
//
// Two outcomes stay apart (DESIGN.md "Errors are values"):
//   - could not evaluate: bytes that do not parse (TPMS_ATTEST, TPMT_SIGNATURE, event log,
//     PCR file) or an empty expected nonce -> an error status (InvalidArgument), no verdict;
//   - evaluated and rejected: the evidence parses but proves nothing (bad signature, nonce
//     mismatch, not a quote, PCR values that do not hash to the quote's digest, a log that
//     does not replay to the quoted PCRs, no event log) -> an OK, contraindicated Appraisal
//     whose findings are in layer "evidence" and say what failed. Their codes:
//       bad-magic, not-a-quote, unsupported-scheme, key-scheme-mismatch, bad-signature,
//       nonce-mismatch, pcr-selection-missing, pcr-values-missing, pcr-digest-mismatch
//         (tpm::QuoteRejectionName of the quote check that failed, with no PCR or event)
//       log-replay-mismatch one per (bank, PCR) where the replayed log differs from the PCR
//                           file the quote verified: `pcr` set, the message names the bank,
//                           both values and the events that fed the PCR
//       log-replay-failed   the log parses but cannot be replayed (an event claiming PCR 24,
//                           a bank without digests...)
//       no-event-log        "no event log: the quote alone does not show how the host booted"
// No I/O, no clock: the caller passes the bytes and "now".
#ifndef BOOTGATE_VERIFIER_APPRAISAL_APPRAISE_EVIDENCE_H_
#define BOOTGATE_VERIFIER_APPRAISAL_APPRAISE_EVIDENCE_H_

#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootgate/v1/policy.pb.h"
#include "verifier/appraisal/appraisal.h"
#include "verifier/appraisal/finding.h"
#include "verifier/bootstate/extract.h"
#include "verifier/policy/evaluate.h"
#include "verifier/tpm/verify_quote.h"

namespace bootgate::appraisal {

// Borrowed bytes: they must outlive the call only.
struct Evidence {
  std::span<const uint8_t> message;    // TPMS_ATTEST (tpm2_quote -m)
  std::span<const uint8_t> signature;  // TPMT_SIGNATURE (tpm2_quote -s)
  EVP_PKEY* ak = nullptr;              // the AK the verifier trusts for this host (borrowed)
  std::optional<std::span<const uint8_t>> event_log;  // the TCG log, as the kernel exports it
  std::optional<std::span<const uint8_t>> pcr_file;   // tpm2-tools PCR values (tpm2_quote -o)
  bool allow_sha1_signature = false;                  // legacy TPMs only
};

// What the evidence proves before any policy is applied.
struct VerifiedEvidence {
  // Evidence-layer findings that make the evidence worthless (see the codes above). When
  // non-empty, `boot` is empty and must not be used.
  std::vector<Finding> rejections;
  std::optional<tpm::VerifiedQuote> quote;  // set once the quote itself verified
  bootstate::BootStateResult boot;          // the boot chain and the log's structural findings
};

// Runs the pipeline up to ExtractBootState. Errors: InvalidArgument for malformed bytes or
// an empty `expected_nonce`; Unimplemented / Internal from OpenSSL.
absl::StatusOr<VerifiedEvidence> VerifyEvidence(const Evidence& evidence,
                                                std::span<const uint8_t> expected_nonce);

// The verdict on evidence VerifyEvidence returned: its rejections (contraindicated, never
// waived) or AppraiseBootState with the policy of `host_id`'s group at `now`. For callers
// that also show the boot chain (`policy check`). `groups`: `policy`'s HostGroupIndex, or
// nullptr.
Appraisal AppraiseVerifiedEvidence(const VerifiedEvidence& verified,
                                   const bootgate::v1::Policy& policy, const std::string& host_id,
                                   absl::Time now, const policy::HostGroupIndex* groups = nullptr);

// VerifyEvidence, then AppraiseVerifiedEvidence.
// Rejected evidence gives a contraindicated Appraisal with the rejection findings (which no
// exception can waive). Errors as VerifyEvidence.
absl::StatusOr<Appraisal> AppraiseEvidence(const Evidence& evidence,
                                           std::span<const uint8_t> expected_nonce,
                                           const bootgate::v1::Policy& policy,
                                           const std::string& host_id, absl::Time now,
                                           const policy::HostGroupIndex* groups = nullptr);

}  // namespace bootgate::appraisal

#endif  // BOOTGATE_VERIFIER_APPRAISAL_APPRAISE_EVIDENCE_H_
