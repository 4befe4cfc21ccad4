#include "cli/policy_io.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/file_input.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/policy/load.h"

namespace bootgate::cli {
namespace {

constexpr uint64_t kMaxPolicySize = 4 * 1024 * 1024;

}  // namespace

absl::StatusOr<v1::Policy> ReadPolicyFile(const std::string& path) {
  // A file that is not there says so before anything is said of its name.
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileLimited(path, kMaxPolicySize));
  ASSIGN_OR_RETURN(policy::PolicyFormat format, policy::PolicyFormatFromPath(path));
  const std::string text(bytes.begin(), bytes.end());
  return policy::LoadPolicy(text, format, path);
}

absl::StatusOr<std::string> SerializePolicy(const v1::Policy& p, const std::string& path) {
  ASSIGN_OR_RETURN(policy::PolicyFormat format, policy::PolicyFormatFromPath(path));
  std::string out;
  if (format == policy::PolicyFormat::kJson) {
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    if (!google::protobuf::util::MessageToJsonString(p, &out, options).ok()) {
      return absl::InternalError("cannot serialize the policy as JSON");
    }
    return out;
  }
  if (!google::protobuf::TextFormat::PrintToString(p, &out)) {
    return absl::InternalError("cannot serialize the policy as textproto");
  }
  return absl::StrCat(
      "# proto-file: proto/bootgate/v1/policy.proto\n# proto-message: bootgate.v1.Policy\n", out);
}

absl::Status WriteFileAtomically(const std::string& text, const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) return absl::InternalError(absl::StrCat(tmp, ": cannot write"));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::InternalError(absl::StrCat(path, ": cannot replace"));
  }
  return absl::OkStatus();
}

absl::Status WritePolicyFile(const v1::Policy& p, const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, SerializePolicy(p, path));
  return WriteFileAtomically(text, path);
}

}  // namespace bootgate::cli
