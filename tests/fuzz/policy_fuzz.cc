// Policy loading on arbitrary bytes: the first byte picks the format (even: textproto, odd:
// JSON), the rest is the policy text. A policy that loads is then evaluated against an empty
// boot state for a host of its first group, exceptions applied and appraised, so validation
// and evaluation must agree (no crash on anything validation lets through).
#include <cstddef>
#include <cstdint>
#include <string>

#include "verifier/appraisal/appraise.h"
#include "verifier/policy/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto format = (data[0] & 1) != 0 ? bootgate::policy::PolicyFormat::kJson
                                         : bootgate::policy::PolicyFormat::kTextproto;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);  // text, not a struct
  absl::StatusOr<bootgate::v1::Policy> policy = bootgate::policy::LoadPolicy(text, format, "fuzz");
  if (!policy.ok()) {
    if (policy.status().message().empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  bootgate::policy::EvaluationContext context;
  context.host_id = policy->groups(0).hosts(0);
  context.clock_safe = false;
  context.now = absl::FromUnixSeconds(1767225600);
  const bootgate::appraisal::Appraisal a = bootgate::appraisal::AppraiseBootState(
      bootgate::bootstate::BootState{}, {}, context, *policy);
  // An empty boot state never satisfies a kernel baseline (fail closed): only an exception
  // can make it eligible, and then the verdict must say which.
  if (a.placement_eligible && a.exceptions_used.empty()) __builtin_trap();
  if (!a.exceptions_used.empty() && a.tier == bootgate::appraisal::Tier::kAffirming)
    __builtin_trap();
  return 0;
}
