// The HTTPS JSON API (docs/http-api.md): what gRPC serves to agents, admission controllers and
// operators, for callers that cannot speak gRPC (shell, Python, a Kubernetes API server).
//
//   GET  /v1/hosts/{host_id}/placement   Placement.Get (eligibility + latest verdict and JWT)
//   GET  /v1/attestations?hostId=...     History.List (query parameters = the request's fields)
//   GET  /v1/attestations/{id}           History.Get
//   GET  /.well-known/jwks.json          Keys.Get's JWKS, as the document itself
//   POST /v1/hosts/{host_id}/challenge   Attestation.Challenge
//   POST /v1/hosts/{host_id}/attest      Attest (body: AttestRequest as JSON, bytes in base64)
//   POST /v1/admission/kubernetes        the Kubernetes admission webhook (admission_review.h)
//
// Bodies are the protos' JSON mapping (lowerCamelCase names, every field printed); errors are
// {"error": {"code": <HTTP>, "status": "NOT_FOUND", "message": ..., "reason": ...}} with the
// HTTP status google.rpc maps the gRPC code to. Every request passes serve.h's ServeAuthorized:
// the same access gate, request log, metrics and audit as its gRPC method, with the caller
// named by the connection's client certificate (https_tls.h).
#ifndef BOOTGATE_SERVER_BOOTGATED_HTTPS_API_H_
#define BOOTGATE_SERVER_BOOTGATED_HTTPS_API_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/bootgated/service_context.h"

namespace httplib {
class SSLServer;
}

namespace bootgate::service {

class ServerTls;

// Requests served at once: each holds at most one request body in memory (an Attest's is up to
// 4/3 of limits.max_request_bytes, its event log in base64).
inline constexpr int kHttpsThreads = 8;

class HttpsApi {
 public:
  // Binds `address` (port 0 picks one) and serves on its own thread with `tls`'s certificate and
  // client CAs (which must be enabled). Unavailable when it cannot bind (ListenError).
  static absl::StatusOr<std::unique_ptr<HttpsApi>> Start(const std::string& address,
                                                         ServiceContext* context,
                                                         const ServerTls& tls);
  ~HttpsApi();  // stops and joins
  int port() const { return port_; }

 private:
  HttpsApi() = default;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_HTTPS_API_H_
