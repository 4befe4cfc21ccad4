#include "server/bootgated/keys_service.h"

#include "server/bootgated/request_log.h"
#include "server/jwks.h"

namespace bootgate::service {

grpc::ServerUnaryReactor* KeysService::Get(grpc::CallbackServerContext* call,
                                           const v1::GetKeysRequest* /*request*/,
                                           v1::GetKeysResponse* response) {
  auto* reactor = call->DefaultReactor();
  RequestLog log(context_->metrics.get(), "Keys.Get");
  auto jwks = server::JwksJson(*context_->signing_keys);
  if (jwks.ok()) {
    response->set_jwks_json(*jwks);
    response->set_active_kid(context_->signing_keys->active().kid);
  }
  reactor->Finish(log.Done(ToGrpcStatus(jwks.status())));
  return reactor;
}

}  // namespace bootgate::service
