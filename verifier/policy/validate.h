// Semantic checks of a parsed policy, each error tied to the field it is about.
#ifndef BOOTGATE_VERIFIER_POLICY_VALIDATE_H_
#define BOOTGATE_VERIFIER_POLICY_VALIDATE_H_

#include <string>
#include <utility>
#include <vector>

#include "bootgate/v1/policy.pb.h"

namespace bootgate::policy {

// One step of a field path: a field name and, for repeated fields, the element index (-1 for
// singular fields). {{"groups",1},{"kernel",-1},{"allowed",0},{"sha256",-1}} prints as
// "groups[1].kernel.allowed[0].sha256".
struct PathStep {
  std::string field;
  int index = -1;
};
using FieldPath = std::vector<PathStep>;

std::string FormatPath(const FieldPath& path);

struct ValidationError {
  FieldPath path;
  std::string message;
};

// Returns every problem found, in field order; empty means the policy is valid. Checked:
// policy name and version present; group names present and unique; each group has hosts, no
// host in two groups (or twice in one), known banks, well-formed PCR specs (sha256:0-7,14,
// PCRs 0-23), verdict_ttl > 0; every digest is 64 lowercase hex characters (uppercase refused);
// images have names; each kernel.cmdline required_args / forbidden_args entry is exactly one
// argument as the kernel splits a command line (bootstate/kernel_cmdline.h: `name=a b` is two,
// `name="a b"` one); exceptions have name (unique), owner, reason, compensating_control,
// finding_code, a host or group target that exists for groups, a parseable expires after
// created, and a finding_code that never_waivable.h does not list (for a PCR-scoped entry: a
// `pcr` selector outside its PCRs). Empty baseline layers are NOT load errors: they are findings at
// evaluation, so that `policy check` shows them next to the evidence.
std::vector<ValidationError> ValidatePolicy(const v1::Policy& policy);

}  // namespace bootgate::policy

#endif  // BOOTGATE_VERIFIER_POLICY_VALIDATE_H_
