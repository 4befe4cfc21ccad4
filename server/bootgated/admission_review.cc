#include "server/bootgated/admission_review.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "proto/tier_names.h"
#include "server/bootgated/convert.h"

namespace bootgate::service {
namespace {

using nlohmann::json;

constexpr char kApiVersion[] = "admission.k8s.io/v1";
constexpr char kKind[] = "AdmissionReview";
// How many of a verdict's findings a denial names.
constexpr int kFindingsNamed = 3;

// The string at `path` in `j`, "" when any step is missing or not of that type.
std::string StringAt(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return "";
    auto it = at->find(key);
    if (it == at->end()) return "";
    at = &*it;
  }
  return at->is_string() ? at->get<std::string>() : "";
}

std::string Rfc3339(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromTimestamp(t), absl::UTCTimeZone());
}

// "contraindicated verdict 3f2a9c01b7e4 of 2026-12-03T10:00:00Z"
std::string VerdictName(const v1::Verdict& verdict) {
  return absl::StrCat(v1::TierName(verdict.tier()), " verdict ",
                      verdict.attestation_id().substr(0, 12), " of ", Rfc3339(verdict.issued_at()));
}

// The findings that make the verdict ineligible (unwaived, contraindicated): "code: message".
std::string Blocking(const v1::Verdict& verdict) {
  std::vector<std::string> named;
  int more = 0;
  for (const v1::Finding& f : verdict.findings()) {
    if (f.severity() != "contraindicated" || f.has_waived_by()) continue;
    if (static_cast<int>(named.size()) < kFindingsNamed) {
      named.push_back(absl::StrCat(f.code(), " (", f.message(), ")"));
    } else {
      ++more;
    }
  }
  if (named.empty()) return "";
  return absl::StrCat(": ", absl::StrJoin(named, "; "),
                      more > 0 ? absl::StrCat(" and ", more, " more") : "");
}

}  // namespace

absl::StatusOr<PodPlacementRequest> ParseAdmissionReview(absl::string_view body) {
  const json review = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (review.is_discarded() || !review.is_object()) {
    return absl::InvalidArgumentError("the body is not JSON: send an AdmissionReview");
  }
  if (StringAt(review, {"apiVersion"}) != kApiVersion || StringAt(review, {"kind"}) != kKind) {
    return absl::InvalidArgumentError(
        absl::StrCat("the body is not an ", kApiVersion, " ", kKind, " (apiVersion \"",
                     StringAt(review, {"apiVersion"}), "\", kind \"", StringAt(review, {"kind"}),
                     "\"): set admissionReviewVersions: [v1] in the webhook configuration"));
  }
  const json* request = review.contains("request") ? &review["request"] : nullptr;
  if (request == nullptr || !request->is_object()) {
    return absl::InvalidArgumentError("the AdmissionReview has no request");
  }
  PodPlacementRequest out;
  out.uid = StringAt(*request, {"uid"});
  if (out.uid.empty()) return absl::InvalidArgumentError("the AdmissionReview has no request.uid");
  const std::string resource = StringAt(*request, {"resource", "resource"});
  const std::string sub = StringAt(*request, {"subResource"});
  const bool core_pods = StringAt(*request, {"resource", "group"}).empty() && resource == "pods";
  out.what = absl::StrCat(resource, sub.empty() ? "" : "/", sub, " ",
                          StringAt(*request, {"namespace"}), "/", StringAt(*request, {"name"}));
  if (!core_pods || StringAt(*request, {"operation"}) != "CREATE") return out;
  const json empty = json::object();
  const json& object = request->contains("object") ? (*request)["object"] : empty;
  if (sub == "binding") {
    const std::string kind = StringAt(object, {"target", "kind"});
    out.node = StringAt(object, {"target", "name"});
    if (out.node.empty() || (!kind.empty() && kind != "Node")) {
      return absl::InvalidArgumentError(
          absl::StrCat("the Binding of ", out.what, " names no node in object.target"));
    }
  } else if (sub.empty()) {
    out.node = StringAt(object, {"spec", "nodeName"});
  }
  return out;
}

std::string HostIdForNode(absl::string_view format, absl::string_view node) {
  const absl::string_view short_name = node.substr(0, node.find('.'));
  return absl::StrReplaceAll(format, {{"{node}", node}, {"{node_short}", short_name}});
}

AdmissionAnswer JudgePlacement(const PodPlacementRequest& request, absl::string_view host_id,
                               const absl::StatusOr<v1::PlacementStatus>& placement) {
  AdmissionAnswer answer;
  const std::string who = absl::StrCat("node ", request.node, " (bootgate host ", host_id, ")");
  if (absl::IsNotFound(placement.status())) {
    answer.message = absl::StrCat(who, " is not registered with bootgate: ", request.what,
                                  " may go only to a node that attested");
    return answer;
  }
  if (!placement.ok()) {
    answer.code = 503;
    answer.message = absl::StrCat("bootgate cannot tell whether ", who,
                                  " is eligible: ", placement.status().message());
    return answer;
  }
  const v1::Verdict& verdict = placement->verdict();
  switch (placement->reason()) {
    case v1::PLACEMENT_REASON_ELIGIBLE:
      answer.allowed = true;
      answer.code = 200;
      answer.message = absl::StrCat(who, " is eligible: ", VerdictName(verdict), ", valid until ",
                                    Rfc3339(verdict.expires_at()));
      return answer;
    case v1::PLACEMENT_REASON_NEVER_ATTESTED:
      answer.message = absl::StrCat(who, " is not eligible: it has never attested");
      return answer;
    case v1::PLACEMENT_REASON_EXPIRED:
      answer.message =
          absl::StrCat(who, " is not eligible: its latest verdict (", VerdictName(verdict),
                       ") expired at ", Rfc3339(verdict.expires_at()), "; it must attest again");
      return answer;
    default:
      answer.message =
          absl::StrCat(who, " is not eligible: ", VerdictName(verdict), Blocking(verdict));
      return answer;
  }
}

std::string AdmissionReviewResponse(absl::string_view uid, const AdmissionAnswer& answer) {
  const json out = {{"apiVersion", kApiVersion},
                    {"kind", kKind},
                    {"response",
                     {{"uid", std::string(uid)},
                      {"allowed", answer.allowed},
                      {"status", {{"code", answer.code}, {"message", answer.message}}}}}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace bootgate::service
