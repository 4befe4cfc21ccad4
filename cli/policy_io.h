// Reading and writing policy files for the CLI: the format follows the file name
// (policy::PolicyFormatFromPath), and a policy is written back in the format it was read in.
#ifndef BOOTGATE_CLI_POLICY_IO_H_
#define BOOTGATE_CLI_POLICY_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bootgate/v1/policy.pb.h"

namespace bootgate::cli {

// Reads and validates the policy at `path` (policy::LoadPolicy). NotFound if the file does
// not exist; InvalidArgument with "path:line:column: field.path: ..." otherwise.
absl::StatusOr<v1::Policy> ReadPolicyFile(const std::string& path);

// Serializes `policy` as textproto (with the proto-file/proto-message header comments) or as
// indented JSON, by `path`'s extension. InvalidArgument for an unknown extension; Internal if
// serialization fails.
absl::StatusOr<std::string> SerializePolicy(const v1::Policy& policy, const std::string& path);

// SerializePolicy and write to `path` (through a temporary file renamed over it, so a failed
// write never leaves half a policy). Internal on I/O errors.
absl::Status WritePolicyFile(const v1::Policy& policy, const std::string& path);

// Writes `text` to `path` whole or not at all (a temporary file renamed over it).
absl::Status WriteFileAtomically(const std::string& text, const std::string& path);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_POLICY_IO_H_
