// server/bootgated/admission_review.cc on arbitrary bytes: the body a caller posts to the
// Kubernetes admission webhook. ParseAdmissionReview answers a status and never throws; for
// what it accepts, the node maps to a host id, and the AdmissionReview answered for every kind
// of placement is JSON that echoes the request's uid exactly.
#include <cstddef>
#include <cstdint>
#include <string>

#include "nlohmann/json.hpp"
#include "server/bootgated/admission_review.h"

namespace {

using namespace bootgate::service;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckAnswer(const PodPlacementRequest& request, const AdmissionAnswer& answer) {
  const auto response = nlohmann::json::parse(AdmissionReviewResponse(request.uid, answer));
  Check(response["apiVersion"] == "admission.k8s.io/v1" && response["kind"] == "AdmissionReview");
  const auto& r = response["response"];
  Check(r["allowed"] == answer.allowed && r["status"]["code"] == answer.code);
  // Byte for byte: a uid that parsed from JSON is valid UTF-8, nothing is replaced.
  Check(r["uid"] == request.uid);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<PodPlacementRequest> request = ParseAdmissionReview(body);
  if (!request.ok()) return 0;
  Check(!request->uid.empty());
  const std::string host = HostIdForNode("k8s-{node_short}-{node}", request->node);
  Check(host.size() >= 5 + request->node.size());
  bootgate::v1::PlacementStatus eligible;
  eligible.set_eligible(true);
  eligible.set_reason(bootgate::v1::PLACEMENT_REASON_ELIGIBLE);
  bootgate::v1::PlacementStatus denied;
  denied.set_reason(bootgate::v1::PLACEMENT_REASON_CONTRAINDICATED);
  bootgate::v1::Finding* finding = denied.mutable_verdict()->add_findings();
  finding->set_severity("contraindicated");
  finding->set_code(request->node);
  finding->set_message(request->what);
  for (const absl::StatusOr<bootgate::v1::PlacementStatus>& placement :
       {absl::StatusOr<bootgate::v1::PlacementStatus>(eligible),
        absl::StatusOr<bootgate::v1::PlacementStatus>(denied),
        absl::StatusOr<bootgate::v1::PlacementStatus>(absl::NotFoundError("no such host")),
        absl::StatusOr<bootgate::v1::PlacementStatus>(absl::UnavailableError("store"))}) {
    const AdmissionAnswer answer = JudgePlacement(*request, host, placement);
    Check(answer.allowed == (placement.ok() && placement->eligible()));
    CheckAnswer(*request, answer);
  }
  return 0;
}
