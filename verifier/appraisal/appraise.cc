#include "verifier/appraisal/appraise.h"

#include <algorithm>
#include <utility>

#include "verifier/policy/exceptions.h"

namespace bootgate::appraisal {

absl::string_view TierName(Tier tier) {
  switch (tier) {
    case Tier::kAffirming:
      return "affirming";
    case Tier::kWarning:
      return "warning";
    case Tier::kContraindicated:
      return "contraindicated";
  }
  return "contraindicated";
}

Appraisal Appraise(std::vector<Finding> findings, std::vector<std::string> exceptions_used,
                   const bootgate::v1::Policy& policy, const bootgate::v1::HostGroup* group,
                   absl::Time now) {
  Appraisal a;
  const auto blocks = [](const Finding& f) {
    return !f.waived_by.has_value() && f.severity == Severity::kContraindicated;
  };
  const auto notable = [](const Finding& f) {
    return f.waived_by.has_value() || f.severity == Severity::kWarning;
  };
  if (std::any_of(findings.begin(), findings.end(), blocks)) {
    a.tier = Tier::kContraindicated;
  } else if (!exceptions_used.empty() || std::any_of(findings.begin(), findings.end(), notable)) {
    a.tier = Tier::kWarning;  // an exception caps the verdict at warning
  } else {
    a.tier = Tier::kAffirming;
  }
  a.placement_eligible = a.tier != Tier::kContraindicated;
  a.policy_name = policy.name();
  a.policy_version = policy.version();
  a.issued = now;
  a.expires = now;
  if (group != nullptr) {
    a.group = group->name();
    // Validation requires a positive TTL; a non-positive one leaves the verdict born expired.
    const absl::Duration ttl = absl::Seconds(group->verdict_ttl().seconds()) +
                               absl::Nanoseconds(group->verdict_ttl().nanos());
    if (ttl > absl::ZeroDuration()) a.expires = now + ttl;
  }
  a.findings = std::move(findings);
  a.exceptions_used = std::move(exceptions_used);
  return a;
}

Appraisal AppraiseBootState(const bootstate::BootState& state, std::vector<Finding> prior_findings,
                            const policy::EvaluationContext& context,
                            const bootgate::v1::Policy& policy) {
  std::vector<Finding> findings = std::move(prior_findings);
  std::vector<Finding> evaluated = policy::Evaluate(state, context, policy);
  findings.insert(findings.end(), std::make_move_iterator(evaluated.begin()),
                  std::make_move_iterator(evaluated.end()));
  const bootgate::v1::HostGroup* group = policy::FindGroup(policy, context.host_id, context.groups);
  std::vector<std::string> used = policy::ApplyExceptions(
      findings, policy, context.host_id, group != nullptr ? group->name() : "", context.now);
  return Appraise(std::move(findings), std::move(used), policy, group, context.now);
}

}  // namespace bootgate::appraisal
