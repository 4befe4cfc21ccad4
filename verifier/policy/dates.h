// Policy dates: "2026-03-31" (midnight UTC) or RFC 3339 ("2026-03-31T12:00:00Z").
#ifndef BOOTGATE_VERIFIER_POLICY_DATES_H_
#define BOOTGATE_VERIFIER_POLICY_DATES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace bootgate::policy {

// InvalidArgument for anything else (including an empty string).
absl::StatusOr<absl::Time> ParsePolicyDate(absl::string_view text);

// "2026-03-31" when `t` is midnight UTC, else "2026-03-31T12:00:00Z".
std::string FormatPolicyDate(absl::Time t);

}  // namespace bootgate::policy

#endif  // BOOTGATE_VERIFIER_POLICY_DATES_H_
