// How every unary RPC of bootgated is served: on the worker pool, measured and logged
// (RequestLog), behind the access gate (Authorize), with refusals of state-changing calls
// recorded in the audit store. Service methods only write the part specific to them:
//
//   return ServeUnary(context_, call, kHistoryList, /*host_id=*/"", request, response,
//                     [](const Call& c, const v1::ListAttestationsRequest& r) { ... });
#ifndef BOOTGATE_SERVER_BOOTGATED_SERVE_H_
#define BOOTGATE_SERVER_BOOTGATED_SERVE_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "server/bootgated/access.h"
#include "server/bootgated/audit_trail.h"
#include "server/bootgated/request_log.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

struct MethodSpec {
  const char* name;  // as in logs, metrics and audit records: "Attest", "Hosts.Revoke", ...
  Permission permission;
  // Record refusals (any status but OK and server-side failures) in the audit store too:
  // for calls that would change state (attestation, enrollment, admin calls).
  bool audit_refusals = false;
};

// What a method body gets besides its request, whatever carried it (gRPC or the HTTPS JSON API).
struct Call {
  ServiceContext& context;
  const Caller& caller;
  RequestLog& log;
  absl::Time deadline;  // the caller's; absl::InfiniteFuture() when it set none
};

// Server-side failures are not refusals of the caller.
bool IsRefusal(const absl::Status& status);

// The refusal reason a body attaches to its error status as the absl payload under this URL
// (e.g. v1::kRefusalAkRevoked); RunServed sends it to the client as trailing metadata
// (proto/refusal_metadata.h), so that clients need not read the message.
inline constexpr char kRefusalPayloadUrl[] = "bootgate.dev/refusal";
void AddRefusalMetadata(grpc::CallbackServerContext& rpc, const absl::Status& status);

// Audits a refused call (outcome "refused") and counts it.
void RecordRefusal(const Call& call, const MethodSpec& method, const std::string& host_id,
                   const absl::Status& status);

// The part of serving a request that does not depend on its transport: the access gate for
// `caller` (who the gRPC call's or the HTTPS connection's client certificate says), the body,
// refusals audited. `body` returns absl::StatusOr<Response>; `request` is the body's to change
// (Attest moves its event log out; others get it const). The caller logs `log` when it answers.
template <typename Request, typename Fn>
auto ServeAuthorized(ServiceContext& context, const absl::StatusOr<Caller>& caller,
                     absl::Time deadline, const MethodSpec& method, const std::string& host_id,
                     Request& request, RequestLog& log, Fn& body)
    -> decltype(body(std::declval<const Call&>(), request)) {
  absl::StatusOr<Caller> allowed =
      Authorize(context, caller, method.name, method.permission, host_id);
  if (!allowed.ok()) return allowed.status();
  const Call call{context, *allowed, log, deadline};
  auto result = body(call, request);
  if (!result.ok() && method.audit_refusals && IsRefusal(result.status())) {
    RecordRefusal(call, method, host_id, result.status());
  }
  return result;
}

// What ServeUnary does on a worker, for a request already in hand: measured and logged,
// ServeAuthorized; `finish` gets the status (on OK, *response is set).
template <typename Request, typename Response, typename Fn, typename Finish>
void RunServed(ServiceContext* context, grpc::CallbackServerContext* rpc, const MethodSpec& method,
               const std::string& host_id, Request& request, Response* response, Fn& body,
               Finish finish) {
  RequestLog log(context->metrics.get(), method.name);
  log.set_host(host_id);
  auto result =
      ServeAuthorized(*context, CallerOf(*context, *rpc), absl::FromChrono(rpc->deadline()), method,
                      host_id, request, log, body);
  if (result.ok()) {
    *response = *std::move(result);
  } else {
    AddRefusalMetadata(*rpc, result.status());
  }
  finish(log.Done(ToGrpcStatus(result.status())));
}

template <typename Request, typename Response, typename Fn>
grpc::ServerUnaryReactor* ServeUnary(ServiceContext* context, grpc::CallbackServerContext* rpc,
                                     const MethodSpec& method, std::string host_id,
                                     const Request* request, Response* response, Fn body) {
  auto* reactor = rpc->DefaultReactor();
  context->workers->Submit([=, &method, host_id = std::move(host_id)]() mutable {
    RunServed(context, rpc, method, host_id, *request, response, body,
              [reactor](const grpc::Status& status) { reactor->Finish(status); });
  });
  return reactor;
}

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_SERVE_H_
