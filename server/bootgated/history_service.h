// History.List / Get / Diff over the stored attestations (proto/bootgate/v1/history.proto).
#ifndef BOOTGATE_SERVER_BOOTGATED_HISTORY_SERVICE_H_
#define BOOTGATE_SERVER_BOOTGATED_HISTORY_SERVICE_H_

#include "absl/status/statusor.h"
#include "bootgate/v1/history.grpc.pb.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

absl::StatusOr<v1::ListAttestationsResponse> ListAttestations(ServiceContext& context,
                                                              const v1::ListAttestationsRequest& r);
absl::StatusOr<v1::AttestationRecord> GetAttestation(ServiceContext& context,
                                                     const std::string& attestation_id);
absl::StatusOr<v1::AttestationDiff> DiffAttestations(ServiceContext& context,
                                                     const v1::DiffAttestationsRequest& r);

struct MethodSpec;
extern const MethodSpec kHistoryListMethod;
extern const MethodSpec kHistoryGetMethod;

class HistoryService final : public v1::History::CallbackService {
 public:
  explicit HistoryService(ServiceContext* context) : context_(context) {}
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* call,
                                 const v1::ListAttestationsRequest* request,
                                 v1::ListAttestationsResponse* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* call,
                                const v1::GetAttestationRequest* request,
                                v1::AttestationRecord* response) override;
  grpc::ServerUnaryReactor* Diff(grpc::CallbackServerContext* call,
                                 const v1::DiffAttestationsRequest* request,
                                 v1::AttestationDiff* response) override;

 private:
  ServiceContext* context_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_HISTORY_SERVICE_H_
