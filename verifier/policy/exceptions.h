// Time-bound exceptions: each waives exactly one kind of finding (code + optional event, PCR
// and seen selectors) for exactly one host or group, from `created` until `expires`.
#ifndef BOOTGATE_VERIFIER_POLICY_EXCEPTIONS_H_
#define BOOTGATE_VERIFIER_POLICY_EXCEPTIONS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bootgate/v1/policy.pb.h"
#include "verifier/appraisal/finding.h"

namespace bootgate::policy {

// Sets `waived_by` on every finding an exception covers for `host_id` (or its `group_name`,
// empty when the host has no group) at `now`. The first matching exception in policy order
// wins. A finding that only an expired exception matches stays unwaived and its message says
// so: "... (exception X expired on 2026-03-31)". One that only a not-yet-valid exception matches
// says "(exception X starts on ...)".
// Never waived, whatever an exception says: the findings of never_waivable.h (evidence that is
// not trustworthy is not a baseline question), even when validation was bypassed.
// Returns the names of the exceptions used, in policy order, without duplicates.
std::vector<std::string> ApplyExceptions(std::vector<appraisal::Finding>& findings,
                                         const v1::Policy& policy, const std::string& host_id,
                                         const std::string& group_name, absl::Time now);

}  // namespace bootgate::policy

#endif  // BOOTGATE_VERIFIER_POLICY_EXCEPTIONS_H_
