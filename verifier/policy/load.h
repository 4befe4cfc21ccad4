// Reads a policy (proto/bootgate/v1/policy.proto) from JSON or textproto with protobuf's own
// parsers, then validates it (validate.h). A policy is either loaded whole or refused.
#ifndef BOOTGATE_VERIFIER_POLICY_LOAD_H_
#define BOOTGATE_VERIFIER_POLICY_LOAD_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bootgate/v1/policy.pb.h"

namespace bootgate::policy {

enum class PolicyFormat { kJson, kTextproto };

// ".json" -> kJson; ".textproto", ".txtpb", ".pbtxt" -> kTextproto; anything else
// InvalidArgument. Looks at the name only.
absl::StatusOr<PolicyFormat> PolicyFormatFromPath(absl::string_view path);

// Parses and validates `text`. Unknown fields are errors in both formats. Returns
// InvalidArgument whose message starts with `source_name` and locates every problem:
//   textproto: "<source>:<line>:<column>: groups[0].kernel.allowed[1].sha256: ..." (1-based)
//   JSON:      "<source>: groups[0].kernel.allowed[1].sha256: ..." (field path; JSON syntax
//              errors carry protobuf's own description)
// Validation errors are all reported, one per line, not only the first.
absl::StatusOr<v1::Policy> LoadPolicy(absl::string_view text, PolicyFormat format,
                                      absl::string_view source_name);

}  // namespace bootgate::policy

#endif  // BOOTGATE_VERIFIER_POLICY_LOAD_H_
