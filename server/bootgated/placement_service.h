// Placement.Get / Watch for admission controllers (proto/bootgate/v1/placement.proto).
#ifndef BOOTGATE_SERVER_BOOTGATED_PLACEMENT_SERVICE_H_
#define BOOTGATE_SERVER_BOOTGATED_PLACEMENT_SERVICE_H_

#include <string>

#include "absl/status/statusor.h"
#include "bootgate/v1/placement.grpc.pb.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

struct MethodSpec;

// Placement.Get without its transport: NOT_FOUND for an unregistered host.
absl::StatusOr<v1::PlacementStatus> GetPlacement(ServiceContext& context,
                                                 const std::string& host_id);
extern const MethodSpec kPlacementGetMethod;

class PlacementService final : public v1::Placement::CallbackService {
 public:
  explicit PlacementService(ServiceContext* context) : context_(context) {}
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* call,
                                const v1::GetPlacementRequest* request,
                                v1::PlacementStatus* response) override;
  // A write reactor subscribed to the PlacementHub until the caller cancels or the server
  // shuts down (UNAVAILABLE).
  grpc::ServerWriteReactor<v1::PlacementChange>* Watch(
      grpc::CallbackServerContext* call, const v1::WatchPlacementRequest* request) override;

 private:
  ServiceContext* context_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_PLACEMENT_SERVICE_H_
