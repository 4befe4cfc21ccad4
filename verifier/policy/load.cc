#include "verifier/policy/load.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "verifier/policy/validate.h"

namespace bootgate::policy {
namespace {

// Policies are written by people; anything this large is not one.
constexpr size_t kMaxPolicyBytes = 16 << 20;

class RecordingErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit RecordingErrorCollector(absl::string_view source) : source_(source) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    // The tokenizer counts from 0; editors count from 1.
    errors_.push_back(absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ", message));
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

using google::protobuf::TextFormat;

// The nearest location the textproto gives for `path`: the field itself if it was written,
// else the closest enclosing element that was (a missing field has no line of its own).
std::optional<TextFormat::ParseLocation> Locate(const TextFormat::ParseInfoTree& root,
                                                const google::protobuf::Descriptor* descriptor,
                                                const FieldPath& path) {
  std::optional<TextFormat::ParseLocation> best;
  const TextFormat::ParseInfoTree* tree = &root;
  for (const PathStep& step : path) {
    if (tree == nullptr || descriptor == nullptr) break;
    const google::protobuf::FieldDescriptor* field = descriptor->FindFieldByName(step.field);
    if (field == nullptr || (field->is_repeated() != (step.index >= 0))) break;
    const TextFormat::ParseLocation loc = tree->GetLocation(field, step.index);
    if (loc.line >= 0) best = loc;
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) break;
    tree = tree->GetTreeForNested(field, step.index);
    descriptor = field->message_type();
  }
  return best;
}

absl::Status Refuse(const std::vector<std::string>& lines) {
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

}  // namespace

absl::StatusOr<PolicyFormat> PolicyFormatFromPath(absl::string_view path) {
  if (absl::EndsWithIgnoreCase(path, ".json")) return PolicyFormat::kJson;
  for (absl::string_view ext : {".textproto", ".txtpb", ".pbtxt"}) {
    if (absl::EndsWithIgnoreCase(path, ext)) return PolicyFormat::kTextproto;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": cannot tell the policy format from the name (.json, .textproto, .txtpb)"));
}

absl::StatusOr<v1::Policy> LoadPolicy(absl::string_view text, PolicyFormat format,
                                      absl::string_view source_name) {
  if (text.size() > kMaxPolicyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, ": ", text.size(),
                                                   " bytes is more than a policy may be (",
                                                   kMaxPolicyBytes, ")"));
  }
  v1::Policy policy;
  TextFormat::ParseInfoTree info_tree;
  if (format == PolicyFormat::kJson) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    // protobuf 3.21's util::Status is its own type, not absl::Status: convert by hand.
    const auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(text.data(), text.size()), &policy, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_name, ": not a policy in JSON: ", std::string(status.message())));
    }
  } else {
    RecordingErrorCollector collector(source_name);
    TextFormat::Parser parser;
    parser.RecordErrorsTo(&collector);
    parser.WriteLocationsTo(&info_tree);
    if (!parser.ParseFromString(std::string(text), &policy)) {
      if (collector.errors().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(source_name, ": not a policy textproto"));
      }
      return Refuse(collector.errors());
    }
  }
  const std::vector<ValidationError> errors = ValidatePolicy(policy);
  if (errors.empty()) return policy;
  std::vector<std::string> lines;
  for (const ValidationError& e : errors) {
    std::string where = std::string(source_name);
    if (format == PolicyFormat::kTextproto) {
      if (auto loc = Locate(info_tree, v1::Policy::descriptor(), e.path); loc.has_value()) {
        absl::StrAppend(&where, ":", loc->line + 1, ":", loc->column + 1);
      }
    }
    const std::string path = FormatPath(e.path);
    lines.push_back(path.empty() ? absl::StrCat(where, ": ", e.message)
                                 : absl::StrCat(where, ": ", path, ": ", e.message));
  }
  return Refuse(lines);
}

}  // namespace bootgate::policy
