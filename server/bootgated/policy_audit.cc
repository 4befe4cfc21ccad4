#include "server/bootgated/policy_audit.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "server/bootgated/audit_trail.h"

namespace bootgate::service {
namespace {

std::map<std::string, const v1::Exception*> ByName(const v1::Policy* policy) {
  std::map<std::string, const v1::Exception*> out;
  if (policy == nullptr) return out;
  for (const v1::Exception& e : policy->exceptions()) out[e.name()] = &e;
  return out;
}

std::string Describe(const v1::Exception& e) {
  return absl::StrCat(
      "exception=", e.name(), " ",
      e.has_host() ? absl::StrCat("host=", e.host()) : absl::StrCat("group=", e.group()),
      " finding=", e.finding_code(), " owner=\"", e.owner(), "\" expires=", e.expires(),
      " compensating_control=\"", e.compensating_control(), "\"");
}

}  // namespace

void AuditPolicyChange(ServiceContext& context, const Caller& caller, const v1::Policy* previous,
                       const v1::Policy& pushed, int64_t store_version, const std::string& reason,
                       absl::Time now) {
  RecordAudit(context, caller,
              {"policy.put", "", kAuditOk, reason,
               absl::StrCat("policy=", pushed.name(), " version=", pushed.version(),
                            " store_version=", store_version,
                            " previous_version=", previous ? previous->version() : "none")},
              now);
  const auto before = ByName(previous);
  const auto after = ByName(&pushed);
  for (const auto& [name, e] : after) {
    auto old = before.find(name);
    if (old != before.end() && old->second->SerializeAsString() == e->SerializeAsString()) continue;
    RecordAudit(context, caller,
                {"exception.grant", e->has_host() ? e->host() : "", kAuditOk, e->reason(),
                 absl::StrCat(Describe(*e), old == before.end() ? "" : " (changed)",
                              " policy_version=", pushed.version())},
                now);
  }
  for (const auto& [name, e] : before) {
    if (after.count(name)) continue;
    RecordAudit(context, caller,
                {"exception.remove", e->has_host() ? e->host() : "", kAuditOk, reason,
                 absl::StrCat(Describe(*e), " policy_version=", pushed.version())},
                now);
  }
}

}  // namespace bootgate::service
