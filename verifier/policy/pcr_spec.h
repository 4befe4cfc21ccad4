// "sha256:0-7,9,14": a bank and a set of PCRs, as HostGroup.required_pcrs spells them.
#ifndef BOOTGATE_VERIFIER_POLICY_PCR_SPEC_H_
#define BOOTGATE_VERIFIER_POLICY_PCR_SPEC_H_

#include <cstdint>
#include <set>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "verifier/crypto/hash.h"

namespace bootgate::policy {

struct PcrSpec {
  crypto::HashAlg bank;
  std::set<uint32_t> pcrs;
};

// InvalidArgument for an unknown bank, an empty list, a PCR outside 0-23, a reversed range
// ("7-3") or anything that is not digits, '-' and ','.
absl::StatusOr<PcrSpec> ParsePcrSpec(absl::string_view text);

}  // namespace bootgate::policy

#endif  // BOOTGATE_VERIFIER_POLICY_PCR_SPEC_H_
