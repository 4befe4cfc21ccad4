#include "verifier/appraisal/appraise_evidence.h"

#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "verifier/appraisal/appraise.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/eventlog/compare.h"
#include "verifier/eventlog/decode.h"
#include "verifier/eventlog/parse.h"
#include "verifier/eventlog/replay.h"
#include "verifier/policy/evaluate.h"
#include "verifier/tpm/pcr_file.h"
#include "verifier/tpm/quote_error.h"

namespace bootgate::appraisal {
namespace {

Finding EvidenceFinding(std::string code, std::string message) {
  Finding f;
  f.code = std::move(code);
  f.layer = Layer::kEvidence;
  f.severity = Severity::kContraindicated;
  f.message = std::move(message);
  return f;
}

// A rejection status (tpm/quote_error.h) becomes a finding; anything else stays an error.
absl::StatusOr<Finding> RejectionFinding(const absl::Status& status, absl::string_view context) {
  std::optional<tpm::QuoteRejection> r = tpm::GetQuoteRejection(status);
  if (!r.has_value()) return status;
  Finding f = EvidenceFinding(std::string(tpm::QuoteRejectionName(*r)),
                              absl::StrCat(context, status.message()));
  f.hint =
      "the evidence does not prove this boot: re-attest; if it repeats, treat the host as "
      "compromised or its AK enrollment as wrong";
  return f;
}

std::string Short(const crypto::Digest& d) {
  const std::string hex = bytes::ToHex(d);
  return hex.size() <= 16 ? hex : absl::StrCat(hex.substr(0, 16), "…");
}

Finding ReplayMismatchFinding(const eventlog::PcrMismatch& m) {
  Finding f =
      EvidenceFinding("log-replay-mismatch",
                      absl::StrCat("event log does not replay to the quoted PCRs: ", m.message));
  f.pcr = m.pcr;
  f.seen =
      absl::StrCat(crypto::HashAlgName(m.bank), " PCR ", m.pcr, " replays to ", Short(m.replayed));
  f.allowed = absl::StrCat("the quoted value ", Short(m.quoted));
  f.hint =
      "the log was edited, truncated or extended after boot, or is another boot's log: "
      "nothing in it can be trusted";
  return f;
}

std::map<crypto::HashAlg, std::set<uint32_t>> QuotedPcrs(const tpm::PcrSelection& selection) {
  std::map<crypto::HashAlg, std::set<uint32_t>> out;
  for (const tpm::PcrBankSelection& b : selection) {
    out[b.bank].insert(b.pcrs.begin(), b.pcrs.end());
  }
  return out;
}

absl::Status Malformed(absl::string_view what, const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", status.message()));
}

}  // namespace

absl::StatusOr<VerifiedEvidence> VerifyEvidence(const Evidence& evidence,
                                                std::span<const uint8_t> expected_nonce) {
  if (expected_nonce.empty()) return absl::InvalidArgumentError("no expected nonce");
  VerifiedEvidence out;
  tpm::QuoteExpectations expect;
  expect.nonce.assign(expected_nonce.begin(), expected_nonce.end());
  expect.allow_sha1 = evidence.allow_sha1_signature;
  absl::StatusOr<tpm::VerifiedQuote> verified = tpm::VerifyQuote(
      {.message = evidence.message, .signature = evidence.signature, .ak = evidence.ak}, expect);
  if (!verified.ok()) {
    ASSIGN_OR_RETURN(Finding f, RejectionFinding(verified.status(), "quote: "));
    out.rejections.push_back(std::move(f));
    return out;
  }
  out.quote = *std::move(verified);

  std::optional<tpm::PcrFile> file;
  if (evidence.pcr_file.has_value()) {
    absl::StatusOr<tpm::PcrFile> parsed = tpm::ParseTpm2ToolsPcrFile(*evidence.pcr_file);
    if (!parsed.ok()) return Malformed("PCR file", parsed.status());
    absl::Status digest = tpm::CheckPcrDigest(*out.quote, parsed->values);
    if (!digest.ok()) {
      ASSIGN_OR_RETURN(Finding f, RejectionFinding(digest, "PCR file: "));
      out.rejections.push_back(std::move(f));
      return out;
    }
    file = *std::move(parsed);
  }

  if (!evidence.event_log.has_value()) {
    Finding f = EvidenceFinding("no-event-log",
                                "no event log: the quote alone does not show how the host booted");
    f.hint = "send the log with the quote (/sys/kernel/security/tpm0/binary_bios_measurements)";
    out.rejections.push_back(std::move(f));
    return out;
  }
  absl::StatusOr<eventlog::EventLog> log = eventlog::ParseEventLog(*evidence.event_log);
  if (!log.ok()) return Malformed("event log", log.status());
  absl::StatusOr<eventlog::ReplayResult> replay = eventlog::Replay(*log);
  if (!replay.ok()) {
    if (replay.status().code() != absl::StatusCode::kInvalidArgument) return replay.status();
    // The bytes parse, but the log cannot describe any TPM's PCRs: evaluated and rejected.
    out.rejections.push_back(
        EvidenceFinding("log-replay-failed",
                        absl::StrCat("event log cannot be replayed: ", replay.status().message())));
    return out;
  }
  if (file.has_value()) {
    const eventlog::Comparison cmp = eventlog::CompareWithQuoted(*replay, file->values);
    for (const eventlog::PcrMismatch& m : cmp.mismatches) {
      out.rejections.push_back(ReplayMismatchFinding(m));
    }
    if (!out.rejections.empty()) return out;
  }
  // Always, with or without a PCR file: the replay is what feeds the boot chain, so the
  // replay itself must hash to the signed digest.
  absl::Status digest = tpm::CheckPcrDigest(*out.quote, replay->pcrs);
  if (!digest.ok()) {
    ASSIGN_OR_RETURN(Finding f, RejectionFinding(digest, "event log replay: "));
    out.rejections.push_back(std::move(f));
    return out;
  }

  // Decoded through the cache: what a fleet sends over and over is decoded once.
  std::vector<std::shared_ptr<const eventlog::DecodedEvent>> decoded;
  std::vector<const eventlog::DecodedEvent*> decoded_events;
  decoded.reserve(log->events.size());
  decoded_events.reserve(log->events.size());
  for (const eventlog::Event& e : log->events) {
    decoded.push_back(eventlog::DecodeEventCached(e));
    decoded_events.push_back(decoded.back().get());
  }
  out.boot =
      bootstate::ExtractBootState(*log, *replay, decoded_events, out.quote->quote.pcr_selection);
  return out;
}

Appraisal AppraiseVerifiedEvidence(const VerifiedEvidence& verified,
                                   const bootgate::v1::Policy& policy, const std::string& host_id,
                                   absl::Time now, const policy::HostGroupIndex* groups) {
  if (!verified.rejections.empty()) {
    // Evidence findings are never waived (exceptions.h): no exception to apply.
    return Appraise(verified.rejections, {}, policy, policy::FindGroup(policy, host_id, groups),
                    now);
  }
  policy::EvaluationContext context;
  context.host_id = host_id;
  context.groups = groups;
  context.clock_safe = verified.quote->quote.clock_info.safe;
  context.quoted_pcrs = QuotedPcrs(verified.quote->quote.pcr_selection);
  context.now = now;
  return AppraiseBootState(verified.boot.state, verified.boot.findings, context, policy);
}

absl::StatusOr<Appraisal> AppraiseEvidence(const Evidence& evidence,
                                           std::span<const uint8_t> expected_nonce,
                                           const bootgate::v1::Policy& policy,
                                           const std::string& host_id, absl::Time now,
                                           const policy::HostGroupIndex* groups) {
  ASSIGN_OR_RETURN(VerifiedEvidence verified, VerifyEvidence(evidence, expected_nonce));
  return AppraiseVerifiedEvidence(verified, policy, host_id, now, groups);
}

}  // namespace bootgate::appraisal
