// The verdict: what a relying party (admission controller, operator) acts on.
#ifndef BOOTGATE_VERIFIER_APPRAISAL_APPRAISAL_H_
#define BOOTGATE_VERIFIER_APPRAISAL_APPRAISAL_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "verifier/appraisal/finding.h"

namespace bootgate::appraisal {

// Trust tiers, named as IETF EAR (draft-ietf-rats-ear) names them.
enum class Tier {
  kAffirming,        // every layer matched its baseline; nothing waived
  kWarning,          // eligible, but something needs attention or an exception was used
  kContraindicated,  // not eligible
};

absl::string_view TierName(Tier tier);  // "affirming", "warning", "contraindicated"

struct Appraisal {
  Tier tier = Tier::kContraindicated;
  bool placement_eligible = false;
  std::string policy_name;
  std::string policy_version;
  std::string group;              // the host's group; empty when it has none
  absl::Time issued;              // the injected "now"
  absl::Time expires;             // issued + the group's verdict_ttl; == issued without a group
  std::vector<Finding> findings;  // waived ones included, with waived_by set
  std::vector<std::string> exceptions_used;  // names, policy order
};

}  // namespace bootgate::appraisal

#endif  // BOOTGATE_VERIFIER_APPRAISAL_APPRAISAL_H_
