// Keys.Get: the JWKS that verifies verdict JWTs (the same document as /.well-known/jwks.json).
#ifndef BOOTGATE_SERVER_BOOTGATED_KEYS_SERVICE_H_
#define BOOTGATE_SERVER_BOOTGATED_KEYS_SERVICE_H_

#include "absl/status/statusor.h"
#include "bootgate/v1/keys.grpc.pb.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

struct MethodSpec;

// Keys.Get without its transport.
absl::StatusOr<v1::GetKeysResponse> GetKeys(const ServiceContext& context);
extern const MethodSpec kKeysGetMethod;

class KeysService final : public v1::Keys::CallbackService {
 public:
  explicit KeysService(ServiceContext* context) : context_(context) {}
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* call,
                                const v1::GetKeysRequest* request,
                                v1::GetKeysResponse* response) override;

 private:
  ServiceContext* context_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_KEYS_SERVICE_H_
