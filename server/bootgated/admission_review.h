// The Kubernetes admission webhook's decisions, without I/O: what an admission.k8s.io/v1
// AdmissionReview asks (which node a Pod is being placed on), the bootgate host id of that
// node, and the AdmissionReview that answers it.
//
// Judged, as a ValidatingAdmissionWebhook sees them (deploy/kubernetes/README.md):
// - `pods/binding` CREATE: the scheduler (or anyone) binding a Pod to a node; the object is a
//   Binding and the node is `object.target.name`;
// - `pods` CREATE with `spec.nodeName` set: a Pod placed directly, which never goes through a
//   binding. A Pod without a node is allowed: its binding is judged when it is scheduled.
// KubeVirt VMs run in virt-launcher Pods, so a VM start and a live migration's target Pod are
// judged as any Pod. Every other request is allowed untouched: it places nothing on a node.
#ifndef BOOTGATE_SERVER_BOOTGATED_ADMISSION_REVIEW_H_
#define BOOTGATE_SERVER_BOOTGATED_ADMISSION_REVIEW_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bootgate/v1/placement.pb.h"

namespace bootgate::service {

// The AdmissionReview request body: at most this many bytes (Kubernetes objects are at most
// about 1.5 MiB in etcd).
inline constexpr size_t kMaxAdmissionReviewBytes = 3 << 20;

struct PodPlacementRequest {
  std::string uid;   // request.uid, echoed in the response
  std::string node;  // the node the Pod goes to; empty when the request places nothing
  std::string what;  // "pods/binding default/web-1", for messages
};

// InvalidArgument for a body that is not an admission.k8s.io/v1 AdmissionReview with a request
// and its uid, or a binding that names no node.
absl::StatusOr<PodPlacementRequest> ParseAdmissionReview(absl::string_view body);

// `format` (KubernetesConfig.host_id_format) with `{node}` and `{node_short}` replaced.
std::string HostIdForNode(absl::string_view format, absl::string_view node);

struct AdmissionAnswer {
  bool allowed = false;
  int code = 403;       // status.code: 200 allowed, 403 not eligible, 503 bootgate cannot tell
  std::string message;  // status.message: why, naming the host and the findings
};

// The answer for `request`, whose node is the bootgate host `host_id` with `placement`
// (Placement.Get's answer: NOT_FOUND for an unregistered host, another error when bootgate
// cannot tell). Allowed only when the host is eligible now.
AdmissionAnswer JudgePlacement(const PodPlacementRequest& request, absl::string_view host_id,
                               const absl::StatusOr<v1::PlacementStatus>& placement);

// The admission.k8s.io/v1 AdmissionReview response: request.uid echoed, allowed, status.
std::string AdmissionReviewResponse(absl::string_view uid, const AdmissionAnswer& answer);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_ADMISSION_REVIEW_H_
