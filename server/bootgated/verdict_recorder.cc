#include "server/bootgated/verdict_recorder.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/bootgated/convert.h"
#include "server/bootgated/request_log.h"
#include "server/verdict_signer.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::service {

absl::StatusOr<v1::Verdict> RecordVerdict(ServiceContext& context, VerdictRecord in,
                                          const appraisal::Appraisal& result,
                                          const std::shared_ptr<const ActivePolicy>& active,
                                          absl::Time now) {
  VerdictDetails details;
  for (const appraisal::Finding& f : result.findings) details.findings.push_back(FindingToProto(f));
  details.policy_version = result.policy_version;
  details.exceptions_used = result.exceptions_used;
  details.qualifying_data = in.nonce;
  details.reappraisal_of = in.reappraisal_of;

  server::store::Attestation record;
  record.host_id = in.host_id;
  record.group = result.group.empty() ? in.host_group : result.group;
  record.received_at = now;
  record.token_id = in.attestation_id;
  record.tier = std::string(appraisal::TierName(result.tier));
  record.placement_eligible = result.placement_eligible;
  record.policy_name = result.policy_name;
  record.policy_version = active ? active->store_version : 0;
  record.expires_at = result.expires;
  record.findings_json = DetailsToJson(details);
  record.evidence = std::move(in.evidence);
  record.only_if_latest = in.only_if_latest;
  record.revocation = in.revocation;
  if (in.clock) {
    record.ak_name = in.ak_fingerprint;
    record.clock_info = {in.clock->clock_ms, in.clock->reset_count, in.clock->restart_count};
  }
  // The attestation id is public (convert.h): the JWT names the record before the store
  // commits it, and History.Get finds it by the same value.
  server::VerdictSubject subject{in.host_id, in.attestation_id, in.nonce};
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
    return absl::NotFoundError("host \"" + in.host_id + "\" is no longer registered");
  }
  if (!id.ok()) return id.status();
  record.id = *id;
  context.metrics->AttestationStored(record.tier);
  ASSIGN_OR_RETURN(v1::Verdict verdict, VerdictFromRecord(record));
  context.placement->Publish(verdict);
  return verdict;
}

namespace {

// The verdict of attestation `id` while it is its host's latest; nullopt when a newer one of
// that host is (or will be) published, or retention removed it.
absl::StatusOr<std::optional<v1::Verdict>> VerdictIfLatest(ServiceContext& context, int64_t id) {
  ASSIGN_OR_RETURN(std::optional<server::store::Attestation> latest,
                   context.store->VerdictIfLatest(id));
  if (!latest) return std::nullopt;
  return VerdictFromRecord(*latest);
}

}  // namespace

void PublishRecorded(ServiceContext& context, int64_t id) {
  absl::StatusOr<std::optional<v1::Verdict>> verdict = VerdictIfLatest(context, id);
  if (!verdict.ok()) {
    const std::string record_id = absl::StrCat(id);
    LogEvent("replica_verdict_skipped",
             {{"record", record_id}, {"msg", verdict.status().message()}});
    return;
  }
  if (*verdict) context.placement->Publish(**verdict);
}

appraisal::Appraisal ServerVerdict(const std::shared_ptr<const ActivePolicy>& active,
                                   const std::string& group, appraisal::Finding finding,
                                   absl::Time now) {
  appraisal::Appraisal a;
  a.tier = appraisal::Tier::kContraindicated;
  a.placement_eligible = false;
  a.policy_name = active ? active->policy.name() : "none";
  a.policy_version = active ? active->policy.version() : "";
  a.group = group;
  a.issued = now;
  a.expires = now;
  finding.severity = appraisal::Severity::kContraindicated;
  a.findings.push_back(std::move(finding));
  return a;
}

}  // namespace bootgate::service
