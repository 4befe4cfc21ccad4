#include "server/bootgated/policy_service.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "server/bootgated/convert.h"
#include "server/bootgated/findings_diff.h"
#include "server/bootgated/policy_audit.h"
#include "server/bootgated/reappraisal.h"
#include "server/bootgated/request_log.h"
#include "server/bootgated/serve.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/policy/load.h"
#include "verifier/policy/validate.h"

namespace bootgate::service {
namespace {

v1::StoredPolicy ToStored(const ActivePolicy& p, bool active) {
  v1::StoredPolicy out;
  *out.mutable_policy() = p.policy;
  *out.mutable_stored_at() = ToTimestamp(p.stored_at);
  out.set_active(active);
  return out;
}

}  // namespace

absl::StatusOr<v1::Policy> LoadCandidate(const v1::PolicySource& source) {
  switch (source.source_case()) {
    case v1::PolicySource::kPolicy: {
      std::vector<policy::ValidationError> errors = policy::ValidatePolicy(source.policy());
      if (errors.empty()) return source.policy();
      std::vector<std::string> lines;
      for (const auto& e : errors)
        lines.push_back(absl::StrCat(policy::FormatPath(e.path), ": ", e.message));
      return absl::InvalidArgumentError(absl::StrCat("candidate: ", absl::StrJoin(lines, "\n")));
    }
    case v1::PolicySource::kJson:
      return policy::LoadPolicy(source.json(), policy::PolicyFormat::kJson, "candidate");
    case v1::PolicySource::kTextproto:
      return policy::LoadPolicy(source.textproto(), policy::PolicyFormat::kTextproto, "candidate");
    default:
      return absl::InvalidArgumentError("candidate is required: set policy, json or textproto");
  }
}

absl::StatusOr<v1::DryRunResponse> DryRun(ServiceContext& context, const v1::Policy& candidate,
                                          absl::Time at) {
  // Every registered host: the ones with evidence are re-evaluated (reappraisal.h, as a push
  // does), the others are reported as hosts_without_evidence (whatever group or selector would
  // place them).
  ASSIGN_OR_RETURN(std::vector<server::store::Host> hosts, context.store->ListHosts());
  const absl::Time now = absl::Now();
  // Judged on the machine's cores; the response lists the hosts in host_id order all the same.
  struct DryRunHost {
    absl::Status status;
    bool evidence = false;
    std::optional<v1::VerdictChange> change;
  };
  std::vector<DryRunHost> judged(hosts.size());
  const policy::HostGroupIndex groups(candidate);
  ForEachHostInParallel(hosts.size(), ReappraisalThreads(), [&](size_t i) {
    const server::store::Host& host = hosts[i];
    DryRunHost& j = judged[i];
    absl::StatusOr<std::optional<HostReappraisal>> r =
        ReappraiseLatest(context, host, candidate, at, now, &groups);
    if (!r.ok()) {
      j.status = r.status();
      return false;
    }
    if (!*r) return true;
    j.evidence = true;
    if ((*r)->outcome != HostReappraisal::Outcome::kChanged) return true;
    FindingsDiff findings = DiffFindings((*r)->current.findings(), (*r)->candidate.findings());
    v1::VerdictChange& change = j.change.emplace();
    change.set_host_id(host.host_id);
    change.set_attestation_id((*r)->current.attestation_id());
    change.set_eligibility_changed((*r)->current.placement_eligible() !=
                                   (*r)->candidate.placement_eligible());
    for (v1::Finding& f : findings.added) *change.add_findings_added() = std::move(f);
    for (v1::Finding& f : findings.removed) *change.add_findings_removed() = std::move(f);
    *change.mutable_current() = std::move((*r)->current);
    *change.mutable_candidate() = std::move((*r)->candidate);
    return true;
  });
  for (const DryRunHost& j : judged) RETURN_IF_ERROR(j.status);
  v1::DryRunResponse out;
  for (size_t i = 0; i < hosts.size(); ++i) {
    DryRunHost& j = judged[i];
    if (!j.evidence) {
      out.add_hosts_without_evidence(hosts[i].host_id);
      continue;
    }
    out.set_hosts_evaluated(out.hosts_evaluated() + 1);
    if (j.change) *out.add_changes() = *std::move(j.change);
  }
  return out;
}

grpc::ServerUnaryReactor* PolicyServiceImpl::Get(grpc::CallbackServerContext* call,
                                                 const v1::GetPolicyRequest* request,
                                                 v1::StoredPolicy* response) {
  static constexpr MethodSpec kGet{"PolicyService.Get", Permission::kOperate};
  return ServeUnary(
      context_, call, kGet, "", request, response,
      [](const Call& c, const v1::GetPolicyRequest& r) -> absl::StatusOr<v1::StoredPolicy> {
        auto active = c.context.policies->Current();
        if (r.version().empty() || (active && active->policy.version() == r.version())) {
          if (!active)
            return absl::NotFoundError("no active policy: push one with PolicyService.Put");
          return ToStored(*active, true);
        }
        ASSIGN_OR_RETURN(auto found, c.context.policies->FindVersion(r.version()));
        return ToStored(*found, false);
      });
}

grpc::ServerUnaryReactor* PolicyServiceImpl::Put(grpc::CallbackServerContext* call,
                                                 const v1::PutPolicyRequest* request,
                                                 v1::StoredPolicy* response) {
  static constexpr MethodSpec kPut{"PolicyService.Put", Permission::kAdminister, true};
  return ServeUnary(
      context_, call, kPut, "", request, response,
      [](const Call& c, const v1::PutPolicyRequest& r) -> absl::StatusOr<v1::StoredPolicy> {
        ASSIGN_OR_RETURN(v1::Policy candidate, LoadCandidate(r.candidate()));
        auto previous = c.context.policies->Current();
        ASSIGN_OR_RETURN(
            auto stored,
            c.context.policies->Push(candidate, r.expected_active_version(), c.caller.identity));
        AuditPolicyChange(c.context, c.caller, previous ? &previous->policy : nullptr,
                          stored->policy, stored->store_version, r.reason(), stored->stored_at);
        // The pushed policy applies at once, not at each host's next attestation: within this
        // call, ending a second before its deadline so the caller gets the counts
        // (complete: false) rather than DEADLINE_EXCEEDED for a policy that was stored.
        const absl::Duration left = c.deadline - absl::Now() - absl::Seconds(1);
        v1::StoredPolicy out = ToStored(*stored, true);
        *out.mutable_reappraisal() = ReappraiseAll(
            c.context, stored, c.caller, absl::StrCat("push store_version=", stored->store_version),
            std::clamp(left, absl::ZeroDuration(), kReappraisalBudget));
        return out;
      });
}

grpc::ServerUnaryReactor* PolicyServiceImpl::Validate(grpc::CallbackServerContext* call,
                                                      const v1::ValidatePolicyRequest* request,
                                                      v1::ValidatePolicyResponse* response) {
  static constexpr MethodSpec kValidate{"PolicyService.Validate", Permission::kOperate};
  return ServeUnary(
      context_, call, kValidate, "", request, response,
      [](const Call&,
         const v1::ValidatePolicyRequest& r) -> absl::StatusOr<v1::ValidatePolicyResponse> {
        v1::ValidatePolicyResponse out;
        auto loaded = LoadCandidate(r.candidate());
        out.set_valid(loaded.ok());
        if (!loaded.ok()) {
          for (absl::string_view line : absl::StrSplit(loaded.status().message(), '\n')) {
            out.add_errors(std::string(line));
          }
        }
        return out;
      });
}

grpc::ServerUnaryReactor* PolicyServiceImpl::DryRun(grpc::CallbackServerContext* call,
                                                    const v1::DryRunRequest* request,
                                                    v1::DryRunResponse* response) {
  static constexpr MethodSpec kDryRun{"PolicyService.DryRun", Permission::kOperate};
  return ServeUnary(
      context_, call, kDryRun, "", request, response,
      [](const Call& c, const v1::DryRunRequest& r) -> absl::StatusOr<v1::DryRunResponse> {
        ASSIGN_OR_RETURN(v1::Policy candidate, LoadCandidate(r.candidate()));
        return service::DryRun(c.context, candidate,
                               r.has_at() ? FromTimestamp(r.at()) : absl::Now());
      });
}

}  // namespace bootgate::service
