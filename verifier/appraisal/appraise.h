// From findings to a verdict, and the whole post-extraction pipeline in one call.
#ifndef BOOTGATE_VERIFIER_APPRAISAL_APPRAISE_H_
#define BOOTGATE_VERIFIER_APPRAISAL_APPRAISE_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bootgate/v1/policy.pb.h"
#include "verifier/appraisal/appraisal.h"
#include "verifier/appraisal/finding.h"
#include "verifier/bootstate/boot_state.h"
#include "verifier/policy/evaluate.h"

namespace bootgate::appraisal {

// Tiers findings that exceptions were already applied to: any unwaived contraindicated
// finding -> kContraindicated, not eligible; else any warning or any waived finding (or any
// exception used) -> kWarning, eligible; else kAffirming, eligible. `group` may be null (no
// group: the verdict expires when issued). Takes the policy's name and version.
Appraisal Appraise(std::vector<Finding> findings, std::vector<std::string> exceptions_used,
                   const bootgate::v1::Policy& policy, const bootgate::v1::HostGroup* group,
                   absl::Time now);

// Evaluate + ApplyExceptions + Appraise. `prior_findings` are those of earlier stages
// (quote, replay, bootstate extraction: e.g. "config-after-separator"); they come first in
// the verdict and exceptions apply to them too (within exceptions.h's limits).
Appraisal AppraiseBootState(const bootstate::BootState& state, std::vector<Finding> prior_findings,
                            const policy::EvaluationContext& context,
                            const bootgate::v1::Policy& policy);

}  // namespace bootgate::appraisal

#endif  // BOOTGATE_VERIFIER_APPRAISAL_APPRAISE_H_
