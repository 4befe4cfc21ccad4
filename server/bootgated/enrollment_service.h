// Enrollment.Start / Finish (proto/bootgate/v1/enrollment.proto): the normal trust path of an
// AK. Start checks the EK certificate chain (or the vTPM AK certificate), the AK's attributes
// and the host's binding, and makes a credential in software; only SHA-256 of its secret is
// kept, in the store, never sent back. Finish compares the activated secret in constant time
// and binds the AK (and the EK's identity) to the host.
#ifndef BOOTGATE_SERVER_BOOTGATED_ENROLLMENT_SERVICE_H_
#define BOOTGATE_SERVER_BOOTGATED_ENROLLMENT_SERVICE_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootgate/v1/enrollment.grpc.pb.h"
#include "server/bootgated/access.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

absl::StatusOr<v1::StartEnrollmentResponse> StartEnrollment(ServiceContext& context,
                                                            const v1::StartEnrollmentRequest& r,
                                                            const Caller& caller, absl::Time now);
absl::StatusOr<v1::Host> FinishEnrollment(ServiceContext& context,
                                          const v1::FinishEnrollmentRequest& r,
                                          const Caller& caller, absl::Time now);

class EnrollmentService final : public v1::Enrollment::CallbackService {
 public:
  explicit EnrollmentService(ServiceContext* context) : context_(context) {}
  grpc::ServerUnaryReactor* Start(grpc::CallbackServerContext* call,
                                  const v1::StartEnrollmentRequest* request,
                                  v1::StartEnrollmentResponse* response) override;
  grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* call,
                                   const v1::FinishEnrollmentRequest* request,
                                   v1::Host* response) override;

 private:
  ServiceContext* context_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_ENROLLMENT_SERVICE_H_
