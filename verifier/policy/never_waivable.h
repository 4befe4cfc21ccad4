// The one list of finding codes no exception can waive: findings that mean the evidence itself
// is not trustworthy (a forged, edited, replayed or incomplete quote or log, a rolled-back or
// revoked TPM key), as opposed to genuine evidence of a boot that differs from the baseline.
// Policy validation refuses an exception for one of them (`bootgate policy validate`,
// PolicyService.Put / Validate / DryRun, a policy file bootgated loads), and ApplyExceptions
// never applies one should such a policy get through anyway (a policy stored before the list
// grew). policies/README.md mirrors the list, reasons included; tests/unit/policy/
// never_waivable_test.cc checks that the two are identical.
#ifndef BOOTGATE_VERIFIER_POLICY_NEVER_WAIVABLE_H_
#define BOOTGATE_VERIFIER_POLICY_NEVER_WAIVABLE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/strings/string_view.h"
#include "verifier/appraisal/finding.h"

namespace bootgate::policy {

struct NeverWaivable {
  absl::string_view code;
  // The PCRs on which the finding is never waivable; empty: on every PCR. (On other PCRs the
  // same code is a warning about a firmware quirk, which an exception may waive.)
  std::span<const uint32_t> pcrs;
  absl::string_view reason;  // one line: why no exception answers it
};

// Returns the list, grouped by layer (evidence, event log, Secure Boot, boot loader, policy).
std::span<const NeverWaivable> NeverWaivableFindings();

// Returns the entry for `code`, or nullptr when an exception may waive it (on some PCR).
const NeverWaivable* FindNeverWaivable(absl::string_view code);

// Returns the entry that forbids an exception for `code` with the optional `pcr` selector:
// a PCR-scoped entry forbids it unless the exception selects a PCR outside the scope.
// nullptr when such an exception is allowed.
const NeverWaivable* ForbiddenException(absl::string_view code, std::optional<uint32_t> pcr);

// True when no exception may waive `finding` (a finding of a PCR-scoped code without a PCR
// counts as on the scope: fail closed).
bool IsNeverWaivable(const appraisal::Finding& finding);

// "PCR 4, 7" for a scoped entry, "any" for one without PCRs (the README table's column).
std::string NeverWaivablePcrs(const NeverWaivable& entry);

}  // namespace bootgate::policy

#endif  // BOOTGATE_VERIFIER_POLICY_NEVER_WAIVABLE_H_
