#include "server/bootgated/keys_service.h"

#include "server/bootgated/serve.h"
#include "server/jwks.h"

namespace bootgate::service {

const MethodSpec kKeysGetMethod{"Keys.Get", Permission::kReadKeys};

absl::StatusOr<v1::GetKeysResponse> GetKeys(const ServiceContext& context) {
  auto jwks = server::JwksJson(*context.signing_keys);
  if (!jwks.ok()) return jwks.status();
  v1::GetKeysResponse out;
  out.set_jwks_json(*jwks);
  out.set_active_kid(context.signing_keys->active().kid);
  return out;
}

grpc::ServerUnaryReactor* KeysService::Get(grpc::CallbackServerContext* call,
                                           const v1::GetKeysRequest* request,
                                           v1::GetKeysResponse* response) {
  return ServeUnary(context_, call, kKeysGetMethod, "", request, response,
                    [](const Call& c, const v1::GetKeysRequest&) { return GetKeys(c.context); });
}

}  // namespace bootgate::service
