#include "server/bootgated/serve.h"

#include <string>

#include "proto/refusal_metadata.h"

namespace bootgate::service {

bool IsRefusal(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kDeadlineExceeded:
      return false;
    default:
      return true;
  }
}

void AddRefusalMetadata(grpc::CallbackServerContext& rpc, const absl::Status& status) {
  if (auto reason = status.GetPayload(kRefusalPayloadUrl); reason.has_value()) {
    rpc.AddTrailingMetadata(v1::kRefusalMetadataKey, std::string(*reason));
  }
}

void RecordRefusal(const Call& call, const MethodSpec& method, const std::string& host_id,
                   const absl::Status& status) {
  const grpc::Status grpc_status = ToGrpcStatus(status);
  const std::string code = GrpcCodeName(grpc_status.error_code());
  call.context.metrics->RefusedCall(method.name, code);
  RecordAudit(call.context, call.caller,
              {method.name, host_id, kAuditRefused, std::string(status.message()), "code=" + code},
              absl::Now());
}

}  // namespace bootgate::service
