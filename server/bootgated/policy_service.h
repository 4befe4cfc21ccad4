// PolicyService.Get / Put / Validate / DryRun (proto/bootgate/v1/policy_service.proto).
#ifndef BOOTGATE_SERVER_BOOTGATED_POLICY_SERVICE_H_
#define BOOTGATE_SERVER_BOOTGATED_POLICY_SERVICE_H_

#include "absl/status/statusor.h"
#include "bootgate/v1/policy_service.grpc.pb.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

// Parses and validates a candidate with the loader `bootgate policy check` uses.
// InvalidArgument listing every located error.
absl::StatusOr<v1::Policy> LoadCandidate(const v1::PolicySource& source);

// Re-appraises the latest evidence of every host that has one under `candidate` at `at`.
absl::StatusOr<v1::DryRunResponse> DryRun(ServiceContext& context, const v1::Policy& candidate,
                                          absl::Time at);

class PolicyServiceImpl final : public v1::PolicyService::CallbackService {
 public:
  explicit PolicyServiceImpl(ServiceContext* context) : context_(context) {}
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* call,
                                const v1::GetPolicyRequest* request,
                                v1::StoredPolicy* response) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* call,
                                const v1::PutPolicyRequest* request,
                                v1::StoredPolicy* response) override;
  grpc::ServerUnaryReactor* Validate(grpc::CallbackServerContext* call,
                                     const v1::ValidatePolicyRequest* request,
                                     v1::ValidatePolicyResponse* response) override;
  grpc::ServerUnaryReactor* DryRun(grpc::CallbackServerContext* call,
                                   const v1::DryRunRequest* request,
                                   v1::DryRunResponse* response) override;

 private:
  ServiceContext* context_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_POLICY_SERVICE_H_
