// Audit.List (proto/bootgate/v1/audit.proto): the audit records, newest first.
#ifndef BOOTGATE_SERVER_BOOTGATED_AUDIT_SERVICE_H_
#define BOOTGATE_SERVER_BOOTGATED_AUDIT_SERVICE_H_

#include "absl/status/statusor.h"
#include "bootgate/v1/audit.grpc.pb.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

absl::StatusOr<v1::ListAuditResponse> ListAudit(ServiceContext& context,
                                                const v1::ListAuditRequest& request);

class AuditService final : public v1::Audit::CallbackService {
 public:
  explicit AuditService(ServiceContext* context) : context_(context) {}
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* call,
                                 const v1::ListAuditRequest* request,
                                 v1::ListAuditResponse* response) override;

 private:
  ServiceContext* context_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_AUDIT_SERVICE_H_
