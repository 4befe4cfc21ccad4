#include "server/bootgated/keys_service.h"

#include "server/bootgated/serve.h"
#include "server/jwks.h"

namespace bootgate::service {

grpc::ServerUnaryReactor* KeysService::Get(grpc::CallbackServerContext* call,
                                           const v1::GetKeysRequest* request,
                                           v1::GetKeysResponse* response) {
  static constexpr MethodSpec kGet{"Keys.Get", Permission::kReadKeys};
  return ServeUnary(
      context_, call, kGet, "", request, response,
      [](const Call& c, const v1::GetKeysRequest&) -> absl::StatusOr<v1::GetKeysResponse> {
        auto jwks = server::JwksJson(*c.context.signing_keys);
        if (!jwks.ok()) return jwks.status();
        v1::GetKeysResponse out;
        out.set_jwks_json(*jwks);
        out.set_active_kid(c.context.signing_keys->active().kid);
        return out;
      });
}

}  // namespace bootgate::service
