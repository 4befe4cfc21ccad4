#include "server/bootgated/attestation_service.h"

#include <optional>
#include <span>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "proto/refusal_metadata.h"
#include "server/bootgated/convert.h"
#include "server/bootgated/hosts_service.h"
#include "server/bootgated/request_log.h"
#include "server/bootgated/serve.h"
#include "server/bootgated/tpm_rollback.h"
#include "server/bootgated/verdict_recorder.h"
#include "verifier/appraisal/appraise_evidence.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/tpm/ak_public.h"
#include "verifier/tpm/quote.h"

namespace bootgate::service {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

absl::Status CheckSize(const std::string& field, size_t size, uint32_t limit,
                       const char* limit_name) {
  if (size <= limit) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(field, " is ", size,
                                                   " bytes; this server accepts at most ", limit,
                                                   " (limits.", limit_name, ")"));
}

absl::Status CheckRequest(const v1::AttestRequest& r, const v1::Limits& limits) {
  if (r.host_id().empty()) return absl::InvalidArgumentError("host_id is required");
  if (r.token().empty()) {
    return absl::InvalidArgumentError("token is required: call Attestation.Challenge first");
  }
  if (r.quote().empty()) {
    return absl::InvalidArgumentError("quote is required: the TPMS_ATTEST of `tpm2_quote -m`");
  }
  if (r.signature().empty()) {
    return absl::InvalidArgumentError(
        "signature is required: the TPMT_SIGNATURE of `tpm2_quote -s`");
  }
  RETURN_IF_ERROR(CheckSize("event_log", r.event_log().size(), limits.max_event_log_bytes(),
                            "max_event_log_bytes"));
  RETURN_IF_ERROR(
      CheckSize("quote", r.quote().size(), limits.max_quote_bytes(), "max_quote_bytes"));
  RETURN_IF_ERROR(CheckSize("signature", r.signature().size(), limits.max_signature_bytes(),
                            "max_signature_bytes"));
  RETURN_IF_ERROR(CheckSize("pcrs", r.pcrs().size(), limits.max_pcrs_bytes(), "max_pcrs_bytes"));
  return absl::OkStatus();
}

// Moves the event log out of `request`: call it once the appraisal is done with the log.
VerdictRecord RecordOf(v1::AttestRequest& request, const server::store::Host& host,
                       const std::string& token_id, const crypto::Digest& nonce) {
  VerdictRecord record;
  record.host_id = request.host_id();
  record.host_group = host.group;
  record.attestation_id = token_id;
  record.nonce = nonce;
  record.evidence = {request.quote(), request.signature(), request.pcrs(),
                     std::move(*request.mutable_event_log())};
  return record;
}

bool HasEvidenceRejection(const appraisal::Appraisal& a) {
  for (const appraisal::Finding& f : a.findings) {
    if (f.layer == appraisal::Layer::kEvidence) return true;
  }
  return false;
}

// The finding every attestation of a host carries while a rollback caught earlier is open.
appraisal::Finding OpenRollbackFinding(const server::store::TpmRollback& r) {
  appraisal::Finding f;
  f.code = "tpm-rollback-unacknowledged";
  f.layer = appraisal::Layer::kEvidence;
  f.severity = appraisal::Severity::kContraindicated;
  f.seen = absl::StrCat(r.code, " caught at ",
                        absl::FormatTime(absl::RFC3339_sec, r.detected_at, absl::UTCTimeZone()),
                        ": ", r.seen);
  f.allowed = "no unacknowledged TPM rollback";
  f.message = absl::StrCat("TPM rollback caught earlier and not yet acknowledged (", f.seen,
                           "; expected ", r.allowed, ")");
  f.hint =
      "an admin acknowledges the rollback (`bootgate host ack-rollback HOST --reason ...`) or "
      "allows a re-enrollment (`bootgate host reenroll`) after investigating the host";
  return f;
}

void Contraindicate(appraisal::Appraisal& result, appraisal::Finding f) {
  result.findings.insert(result.findings.begin(), std::move(f));
  result.tier = appraisal::Tier::kContraindicated;
  result.placement_eligible = false;
}

// The verdict of attributable evidence that does not parse: contraindicated, with one
// evidence-layer finding that says what did not parse.
appraisal::Appraisal MalformedEvidence(const std::shared_ptr<const ActivePolicy>& active,
                                       const std::string& group, const std::string& message,
                                       absl::Time now) {
  appraisal::Finding f;
  f.code = "malformed-evidence";
  f.layer = appraisal::Layer::kEvidence;
  f.message = message;
  f.hint = "send the quote (`tpm2_quote -m`), signature (`-s`) and the binary event log unchanged";
  return ServerVerdict(active, group, std::move(f), now);
}

// The refusal for an unknown or revoked host; OK for one that may attest. `lookup` is how the
// store's lookup of `host_id` went, `host` the row it found.
absl::Status MayAttest(ServiceContext& context, const std::string& host_id,
                       const absl::Status& lookup, const server::store::Host* host) {
  if (absl::IsNotFound(lookup)) {
    context.metrics->Unattributed("unknown-host");
    return absl::NotFoundError(
        absl::StrCat("host \"", host_id,
                     "\" is not registered: enroll it (`bootgate enroll`) or, in a lab, "
                     "register it (`bootgate host add`)"));
  }
  if (!lookup.ok()) return lookup;
  if (host->status == server::store::kHostRevoked) {
    context.metrics->Unattributed("ak-revoked");
    absl::Status revoked = absl::FailedPreconditionError(absl::StrCat(
        "the AK of host \"", host_id, "\" was revoked by ", host->status_changed_by, " at ",
        absl::FormatTime(absl::RFC3339_sec, host->status_changed_at, absl::UTCTimeZone()), " (",
        host->status_reason,
        "): an admin must allow re-enrollment (`bootgate host reenroll`), "
        "then enroll again"));
    revoked.SetPayload(kRefusalPayloadUrl, absl::Cord(v1::kRefusalAkRevoked));
    return revoked;
  }
  return absl::OkStatus();
}

// The registered host with what Attest needs of its TPM's history, or the refusal for an
// unknown or revoked one.
absl::StatusOr<server::store::HostForAttest> AttestingHost(ServiceContext& context,
                                                           const std::string& host_id) {
  auto found = context.store->GetHostForAttest(host_id);
  RETURN_IF_ERROR(MayAttest(context, host_id, found.status(), found.ok() ? &found->host : nullptr));
  return found;
}

}  // namespace

absl::StatusOr<std::optional<tpm::ClockInfo>> AddServerFindings(
    ServiceContext& context, const std::string& host_id, const std::string& quote_bytes,
    const std::string& ak_fingerprint, const server::store::RollbackState& state, bool have_policy,
    RollbackRecording recording, absl::Time now, appraisal::Appraisal& result) {
  if (!have_policy) {
    appraisal::Finding f;
    f.code = "no-policy";
    f.layer = appraisal::Layer::kPolicy;
    f.message = "bootgated has no policy: push one (PolicyService.Put) or set policy_file";
    result.findings.insert(result.findings.begin(), std::move(f));
    result.tier = appraisal::Tier::kContraindicated;
    result.placement_eligible = false;
  }

  // The quote's clock info is trustworthy only once its signature verified: an evidence
  // rejection keeps none, so a forged quote cannot move this AK's rollback baseline (the store
  // raises it with every recorded quote that has one, and never lowers it).
  std::optional<tpm::ClockInfo> clock;
  std::optional<appraisal::Finding> rollback;
  if (!HasEvidenceRejection(result)) {
    ASSIGN_OR_RETURN(tpm::Quote quote, tpm::DecodeQuote(Bytes(quote_bytes)));
    clock = quote.clock_info;
    if (state.highest) rollback = CounterRollback(*state.highest, quote.clock_info);
  }
  // A rollback stays caught: the host is contraindicated until an admin acknowledges it or
  // re-enrolls the host, whatever its later quotes say.
  if (!state.open.empty()) Contraindicate(result, OpenRollbackFinding(state.open.front()));
  if (rollback) {
    if (state.open.empty() && recording == RollbackRecording::kRecord) {
      server::store::TpmRollback caught;
      caught.host_id = host_id;
      caught.ak_name = ak_fingerprint;
      caught.detected_at = now;
      caught.code = rollback->code;
      caught.seen = rollback->seen;
      caught.allowed = rollback->allowed;
      RETURN_IF_ERROR(context.store->RecordRollback(caught).status());
    }
    Contraindicate(result, *std::move(rollback));
  }
  return clock;
}

absl::StatusOr<v1::ChallengeResponse> Challenge(ServiceContext& context,
                                                const v1::ChallengeRequest& request,
                                                absl::Time now) {
  if (request.host_id().empty()) return absl::InvalidArgumentError("host_id is required");
  // The host row alone: its TPM's history matters only once it attests.
  auto found = context.store->GetHost(request.host_id());
  RETURN_IF_ERROR(
      MayAttest(context, request.host_id(), found.status(), found.ok() ? &*found : nullptr));
  ASSIGN_OR_RETURN(server::IssuedToken issued, context.tokens->Issue(request.host_id(), now));
  v1::ChallengeResponse response;
  response.set_token(issued.token);
  *response.mutable_expires_at() = ToTimestamp(issued.expires);
  return response;
}

absl::StatusOr<v1::Verdict> Attest(ServiceContext& context, v1::AttestRequest& request,
                                   absl::Time now) {
  if (absl::Status checked = CheckRequest(request, context.config.limits()); !checked.ok()) {
    context.metrics->Unattributed(absl::IsResourceExhausted(checked) ? "too-large"
                                                                     : "missing-field");
    return checked;
  }
  auto attesting = AttestingHost(context, request.host_id());
  if (!attesting.ok()) return attesting.status();
  const server::store::Host* const host = &attesting->host;

  auto token = context.tokens->Verify(request.token(), request.host_id(), now);
  if (!token.ok()) {
    const auto kind = server::TokenRejectionOf(token.status());
    const std::string reason = kind ? std::string(server::TokenRejectionName(*kind)) : "invalid";
    context.metrics->TokenRejected(reason);
    context.metrics->Unattributed(absl::StrCat("token-", reason));
    return token.status();
  }

  const AkCache::Parsed ak = context.aks->Get(host->ak_public);
  if (!ak->ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the AK registered for host \"", request.host_id(),
                     "\" does not parse: ", ak->status().message()));
  }
  ASSIGN_OR_RETURN(crypto::Digest nonce, server::QualifyingData(request.token()));
  // The fingerprint stored with the host is AkFingerprint of this very ak_public: both are
  // written together, and only by Register and enrollment, from the parsed key. Computing it
  // again would DER-encode the key through OpenSSL's encoder framework (~70 us an Attest).
  const std::string& ak_fingerprint = host->ak_name;

  appraisal::Evidence evidence;
  evidence.message = Bytes(request.quote());
  evidence.signature = Bytes(request.signature());
  evidence.ak = (*ak)->key.get();
  if (!request.event_log().empty()) evidence.event_log = Bytes(request.event_log());
  if (!request.pcrs().empty()) evidence.pcr_file = Bytes(request.pcrs());

  std::shared_ptr<const ActivePolicy> active = context.policies->Current();
  static const v1::Policy* const kNoPolicy = [] {
    auto* p = new v1::Policy;
    p->set_name("none");
    return p;
  }();
  const v1::Policy& policy = active ? active->policy : *kNoPolicy;
  auto appraised = appraisal::AppraiseEvidence(evidence, nonce, policy, request.host_id(), now);
  if (!appraised.ok()) {
    // Attributable (registered host, valid token) but unparsable: a verdict all the same, so
    // the token is consumed and the host is no longer eligible; the caller gets the status.
    const std::string message =
        absl::StrCat("evidence does not parse: ", appraised.status().message());
    VerdictRecord record = RecordOf(request, *host, token->token_id, nonce);
    RETURN_IF_ERROR(RecordVerdict(context, std::move(record),
                                  MalformedEvidence(active, host->group, message, now), active, now)
                        .status());
    return absl::InvalidArgumentError(message);
  }
  appraisal::Appraisal result = *std::move(appraised);
  ASSIGN_OR_RETURN(std::optional<tpm::ClockInfo> clock,
                   AddServerFindings(context, request.host_id(), request.quote(), ak_fingerprint,
                                     attesting->rollback, active != nullptr,
                                     RollbackRecording::kRecord, now, result));
  VerdictRecord record = RecordOf(request, *host, token->token_id, nonce);
  if (clock) {
    record.ak_fingerprint = ak_fingerprint;
    record.clock = clock;
  }
  return RecordVerdict(context, std::move(record), result, active, now);
}

AttestationService::AttestationService(ServiceContext* context) : context_(context) {
  AddMethod(new grpc::internal::RpcServiceMethod("/bootgate.v1.Attestation/Challenge",
                                                 grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
  MarkMethodCallback(
      0,
      new grpc::internal::CallbackUnaryHandler<v1::ChallengeRequest, v1::ChallengeResponse>(
          [this](grpc::CallbackServerContext* call, const v1::ChallengeRequest* request,
                 v1::ChallengeResponse* response) { return Challenge(call, request, response); }));
}

grpc::ServerUnaryReactor* AttestationService::Challenge(grpc::CallbackServerContext* call,
                                                        const v1::ChallengeRequest* request,
                                                        v1::ChallengeResponse* response) {
  return ServeUnary(context_, call, kChallengeMethod, request->host_id(), request, response,
                    [](const Call& c, const v1::ChallengeRequest& r) {
                      return service::Challenge(c.context, r, absl::Now());
                    });
}

const MethodSpec kChallengeMethod{"Challenge", Permission::kAttest, true};
const MethodSpec kAttestMethod{"Attest", Permission::kAttest, true};

absl::StatusOr<v1::Verdict> ServeAttest(const Call& c, v1::AttestRequest& r) {
  // Deadlines are honoured before the work starts: a caller that already gave up must not
  // consume its token.
  if (c.deadline <= absl::Now()) {
    return absl::DeadlineExceededError("the call's deadline passed before it was served");
  }
  auto verdict = service::Attest(c.context, r, absl::Now());
  if (verdict.ok()) {
    c.log.set_tier(v1::TierName(verdict->tier()));
    c.context.metrics->ObserveAttestLatency(absl::ToDoubleSeconds(c.log.elapsed()));
  }
  return verdict;
}

}  // namespace bootgate::service
