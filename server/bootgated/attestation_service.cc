#include "server/bootgated/attestation_service.h"

#include <optional>
#include <span>

#include "absl/time/clock.h"
#include "absl/strings/str_cat.h"
#include "server/bootgated/convert.h"
#include "server/bootgated/hosts_service.h"
#include "server/bootgated/request_log.h"
#include "server/verdict_signer.h"
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
    return absl::InvalidArgumentError("signature is required: the TPMT_SIGNATURE of `tpm2_quote -s`");
  }
  RETURN_IF_ERROR(CheckSize("event_log", r.event_log().size(), limits.max_event_log_bytes(),
                            "max_event_log_bytes"));
  RETURN_IF_ERROR(CheckSize("quote", r.quote().size(), limits.max_quote_bytes(), "max_quote_bytes"));
  RETURN_IF_ERROR(CheckSize("signature", r.signature().size(), limits.max_signature_bytes(),
                            "max_signature_bytes"));
  RETURN_IF_ERROR(CheckSize("pcrs", r.pcrs().size(), limits.max_pcrs_bytes(), "max_pcrs_bytes"));
  return absl::OkStatus();
}

bool HasEvidenceRejection(const appraisal::Appraisal& a) {
  for (const appraisal::Finding& f : a.findings) {
    if (f.layer == appraisal::Layer::kEvidence) return true;
  }
  return false;
}

// A TPM's resetCount only grows (until TPM2_Clear) and restartCount only grows within one
// reset: a quote whose counters are lower than an earlier quote by the same AK was made
// before it (a replayed or rolled-back TPM state).
std::optional<appraisal::Finding> CounterRollback(const server::store::ClockInfo& last,
                                                  const tpm::ClockInfo& now) {
  const bool reset_down = now.reset_count < last.reset_count;
  const bool restart_down = now.reset_count == last.reset_count && now.restart_count < last.restart_count;
  if (!reset_down && !restart_down) return std::nullopt;
  appraisal::Finding f;
  f.code = reset_down ? "reset-count-decreased" : "restart-count-decreased";
  f.layer = appraisal::Layer::kEvidence;
  f.severity = appraisal::Severity::kContraindicated;
  f.seen = absl::StrCat("resetCount ", now.reset_count, ", restartCount ", now.restart_count);
  f.allowed = absl::StrCat("at least resetCount ", last.reset_count, ", restartCount ",
                           last.restart_count, " (the previous attestation with this AK)");
  f.message = absl::StrCat("the quote's TPM ", reset_down ? "resetCount" : "restartCount",
                           " went down since this AK's previous attestation (", f.seen, " < ",
                           f.allowed, "): the quote is older than one already seen");
  f.hint = "if the TPM was cleared, register the host's new AK with `bootgate host add`";
  return f;
}

// The verdict of attributable evidence that does not parse: contraindicated, with one
// evidence-layer finding that says what did not parse.
appraisal::Appraisal MalformedEvidence(const v1::Policy& policy, const std::string& group,
                                       const std::string& message, absl::Time now) {
  appraisal::Appraisal a;
  a.tier = appraisal::Tier::kContraindicated;
  a.placement_eligible = false;
  a.policy_name = policy.name();
  a.policy_version = policy.version();
  a.group = group;
  a.issued = now;
  a.expires = now;
  appraisal::Finding f;
  f.code = "malformed-evidence";
  f.layer = appraisal::Layer::kEvidence;
  f.severity = appraisal::Severity::kContraindicated;
  f.message = message;
  f.hint = "send the quote (`tpm2_quote -m`), signature (`-s`) and the binary event log unchanged";
  a.findings.push_back(std::move(f));
  return a;
}

// Signs `result`, stores it as the attestation of `token` (durably, once) and publishes it to
// Placement watchers. ALREADY_EXISTS when the token was used before (by any replica).
absl::StatusOr<v1::Verdict> StoreVerdict(ServiceContext& context, const v1::AttestRequest& request,
                                         const server::store::Host& host,
                                         const server::TokenInfo& token,
                                         const crypto::Digest& nonce,
                                         const std::string& ak_fingerprint,
                                         appraisal::Appraisal result,
                                         const std::shared_ptr<const ActivePolicy>& active,
                                         std::optional<tpm::ClockInfo> clock, absl::Time now) {
  VerdictDetails details;
  for (const appraisal::Finding& f : result.findings) details.findings.push_back(FindingToProto(f));
  details.policy_version = result.policy_version;
  details.exceptions_used = result.exceptions_used;
  details.qualifying_data = nonce;

  server::store::Attestation record;
  record.host_id = request.host_id();
  record.group = result.group.empty() ? host.group : result.group;
  record.received_at = now;
  record.token_id = token.token_id;
  record.tier = std::string(appraisal::TierName(result.tier));
  record.placement_eligible = result.placement_eligible;
  record.policy_name = result.policy_name;
  record.policy_version = active ? active->store_version : 0;
  record.expires_at = result.expires;
  record.findings_json = DetailsToJson(details);
  record.evidence = {request.quote(), request.signature(), request.pcrs(), request.event_log()};
  // Only a verified quote says which AK signed it and what its clock was.
  if (clock) {
    record.ak_name = ak_fingerprint;
    record.clock_info = {clock->clock_ms, clock->reset_count, clock->restart_count};
  }
  // The token id is the attestation's public id (convert.h): the JWT names the record before
  // the store commits it, and History.Get finds it by the same value.
  server::VerdictSubject subject{request.host_id(), token.token_id, nonce};
  ASSIGN_OR_RETURN(record.verdict_jwt, server::SignVerdict(*context.signing_keys, result, subject));

  const absl::Time store_start = absl::Now();
  auto id = context.store->RecordAttestation(record);
  context.metrics->ObserveStoreLatency("record_attestation",
                                       absl::ToDoubleSeconds(absl::Now() - store_start));
  if (absl::IsAlreadyExists(id.status())) {
    context.metrics->TokenRejected("reused");
    context.metrics->Unattributed("token-reused");
    return absl::AlreadyExistsError(
        "token already used: each challenge is accepted once; call Attestation.Challenge again");
  }
  if (absl::IsFailedPrecondition(id.status())) {
    return absl::NotFoundError(absl::StrCat("host \"", request.host_id(), "\" is no longer registered"));
  }
  if (!id.ok()) return id.status();
  record.id = *id;
  context.metrics->AttestationStored(record.tier);
  ASSIGN_OR_RETURN(v1::Verdict verdict, VerdictFromRecord(record));
  context.placement->Publish(verdict);
  return verdict;
}

}  // namespace

absl::StatusOr<std::string> AdminIdentity(const ServiceContext& context,
                                          const grpc::CallbackServerContext& call) {
  if (context.config.tls().client_ca_file().empty()) return std::string("local");
  auto auth = call.auth_context();
  if (auth) {
    for (const auto& cn : auth->FindPropertyValues("x509_common_name")) {
      const std::string name(cn.data(), cn.size());
      for (const std::string& admin : context.config.admin_identities()) {
        if (admin == name) return name;
      }
    }
  }
  return absl::PermissionDeniedError(
      "this method is for admins: present a client certificate whose CN is in admin_identities");
}

absl::StatusOr<v1::ChallengeResponse> Challenge(ServiceContext& context,
                                                const v1::ChallengeRequest& request,
                                                absl::Time now) {
  if (request.host_id().empty()) return absl::InvalidArgumentError("host_id is required");
  auto host = context.store->GetHost(request.host_id());
  if (absl::IsNotFound(host.status())) {
    context.metrics->Unattributed("unknown-host");
    return absl::NotFoundError(absl::StrCat("host \"", request.host_id(),
                                            "\" is not registered: register it first "
                                            "(Hosts.Register, `bootgate host add`)"));
  }
  if (!host.ok()) return host.status();
  ASSIGN_OR_RETURN(server::IssuedToken issued, context.tokens->Issue(request.host_id(), now));
  v1::ChallengeResponse response;
  response.set_token(issued.token);
  *response.mutable_expires_at() = ToTimestamp(issued.expires);
  return response;
}

absl::StatusOr<v1::Verdict> Attest(ServiceContext& context, const v1::AttestRequest& request,
                                   absl::Time now) {
  if (absl::Status checked = CheckRequest(request, context.config.limits()); !checked.ok()) {
    context.metrics->Unattributed(absl::IsResourceExhausted(checked) ? "too-large" : "missing-field");
    return checked;
  }
  auto host = context.store->GetHost(request.host_id());
  if (absl::IsNotFound(host.status())) {
    context.metrics->Unattributed("unknown-host");
    return absl::NotFoundError(absl::StrCat("host \"", request.host_id(),
                                            "\" is not registered (Hosts.Register)"));
  }
  if (!host.ok()) return host.status();

  auto token = context.tokens->Verify(request.token(), request.host_id(), now);
  if (!token.ok()) {
    const auto kind = server::TokenRejectionOf(token.status());
    const std::string reason = kind ? std::string(server::TokenRejectionName(*kind)) : "invalid";
    context.metrics->TokenRejected(reason);
    context.metrics->Unattributed(absl::StrCat("token-", reason));
    return token.status();
  }

  auto ak = tpm::ParseAkPublic(Bytes(host->ak_public));
  if (!ak.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("the AK registered for host \"",
                                                      request.host_id(), "\" does not parse: ",
                                                      ak.status().message()));
  }
  ASSIGN_OR_RETURN(crypto::Digest nonce, server::QualifyingData(request.token()));
  ASSIGN_OR_RETURN(const std::string ak_fingerprint, AkFingerprint(ak->key.get()));

  appraisal::Evidence evidence;
  evidence.message = Bytes(request.quote());
  evidence.signature = Bytes(request.signature());
  evidence.ak = ak->key.get();
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
    ASSIGN_OR_RETURN(v1::Verdict stored,
                     StoreVerdict(context, request, *host, *token, nonce, ak_fingerprint,
                                  MalformedEvidence(policy, host->group, message, now), active,
                                  std::nullopt, now));
    (void)stored;
    return absl::InvalidArgumentError(message);
  }
  appraisal::Appraisal result = *std::move(appraised);
  if (!active) {
    appraisal::Finding f;
    f.code = "no-policy";
    f.layer = appraisal::Layer::kPolicy;
    f.message = "bootgated has no policy: push one (PolicyService.Put) or set policy_file";
    result.findings.insert(result.findings.begin(), std::move(f));
    result.tier = appraisal::Tier::kContraindicated;
    result.placement_eligible = false;
  }

  // The quote's clock info is trustworthy only once its signature verified: an evidence
  // rejection keeps none, so a forged quote cannot move this AK's rollback baseline.
  std::optional<tpm::ClockInfo> clock;
  if (!HasEvidenceRejection(result)) {
    ASSIGN_OR_RETURN(tpm::Quote quote, tpm::DecodeQuote(Bytes(request.quote())));
    clock = quote.clock_info;
    auto last = context.store->LastClockInfo(request.host_id(), ak_fingerprint);
    if (!last.ok()) return last.status();
    if (*last) {
      if (auto rollback = CounterRollback(**last, quote.clock_info)) {
        result.findings.insert(result.findings.begin(), *std::move(rollback));
        result.tier = appraisal::Tier::kContraindicated;
        result.placement_eligible = false;
      }
    }
  }
  return StoreVerdict(context, request, *host, *token, nonce, ak_fingerprint, std::move(result),
                      active, clock, now);
}

grpc::ServerUnaryReactor* AttestationService::Challenge(grpc::CallbackServerContext* call,
                                                        const v1::ChallengeRequest* request,
                                                        v1::ChallengeResponse* response) {
  auto* reactor = call->DefaultReactor();
  context_->workers->Submit([this, call, request, response, reactor] {
    RequestLog log(context_->metrics.get(), "Challenge");
    log.set_host(request->host_id());
    auto result = service::Challenge(*context_, *request, absl::Now());
    if (result.ok()) *response = *std::move(result);
    reactor->Finish(log.Done(ToGrpcStatus(result.status())));
    (void)call;
  });
  return reactor;
}

grpc::ServerUnaryReactor* AttestationService::Attest(grpc::CallbackServerContext* call,
                                                     const v1::AttestRequest* request,
                                                     v1::Verdict* response) {
  auto* reactor = call->DefaultReactor();
  context_->workers->Submit([this, call, request, response, reactor] {
    RequestLog log(context_->metrics.get(), "Attest");
    log.set_host(request->host_id());
    // Deadlines are honoured before the work starts: a caller that already gave up must not
    // consume its token.
    if (call->deadline() <= std::chrono::system_clock::now()) {
      reactor->Finish(log.Done(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                            "the call's deadline passed before it was served")));
      return;
    }
    auto result = service::Attest(*context_, *request, absl::Now());
    if (result.ok()) {
      log.set_tier(TierProtoName(result->tier()));
      context_->metrics->ObserveAttestLatency(absl::ToDoubleSeconds(log.elapsed()));
      *response = *std::move(result);
    }
    reactor->Finish(log.Done(ToGrpcStatus(result.status())));
  });
  return reactor;
}

}  // namespace bootgate::service
