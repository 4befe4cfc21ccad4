// Bootgated: one running server (gRPC services, health, reflection when configured, HTTP),
// built from a ServerConfig. main.cc runs one; tests and the load benchmark embed one.
#ifndef BOOTGATE_SERVER_BOOTGATED_SERVER_H_
#define BOOTGATE_SERVER_BOOTGATED_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bootgate/v1/config.pb.h"
#include "grpcpp/server.h"
#include "server/bootgated/service_context.h"

namespace bootgate::service {

class AttestReceiver;
class HttpServer;
class HttpsApi;
class InFlightCalls;
class PeriodicTask;
class Reloader;
class ServerTls;

// Why `address` (the setting named `what`, "listen_address" or "http_address") cannot be listened
// on, for the error of a failed start: "cannot listen on listen_address 127.0.0.1:7443 (port
// 7443): port 7443 is already in use (another bootgated?)". Probes with a bind of its own.
std::string ListenError(const std::string& what, const std::string& address);

class Bootgated {
 public:
  // Fills defaults, refuses non-loopback addresses without TLS (FailedPrecondition), creates the
  // data dir (0700), opens and migrates the store, loads or creates the token and signing keys,
  // loads policy_file, and starts serving. Errors name the file or setting at fault. A port
  // another process listens on (another bootgated) is Unavailable naming the port: neither
  // port is opened with SO_REUSEPORT, so two servers never share one.
  static absl::StatusOr<std::unique_ptr<Bootgated>> Start(const v1::ServerConfig& config);
  ~Bootgated();  // Shutdown()

  int grpc_port() const { return grpc_port_; }
  int http_port() const;   // 0 when HTTP is off
  int https_port() const;  // 0 when the HTTPS API is off
  ServiceContext& context() { return *context_; }

  // Blocks until Shutdown() is called from another thread.
  void Wait();
  // Reads what `config` names again and puts in use what can change while calls run (see
  // reload.h): event=reloaded, or event=reload_failed and the error, nothing changed.
  absl::Status Reload(const v1::ServerConfig& config);
  // Ends watches (UNAVAILABLE), stops accepting calls, waits for running ones (up to 5 s, then
  // cancels them), and logs event=stopped with `why` and how many calls were drained and
  // cancelled.
  void Shutdown(absl::string_view why = "shutdown");

 private:
  Bootgated() = default;
  std::unique_ptr<ServiceContext> context_;
  // Other replicas' verdicts for this one's watchers; stopped before context_ goes.
  std::unique_ptr<server::store::AttestationFeed> replica_feed_;
  std::unique_ptr<ServerTls> tls_;
  std::unique_ptr<Reloader> reloader_;
  std::unique_ptr<InFlightCalls> calls_;
  std::unique_ptr<AttestReceiver> attest_receiver_;  // destroyed after server_
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<HttpsApi> https_;
  std::unique_ptr<PeriodicTask> free_memory_returner_;  // null under glibc
  int grpc_port_ = 0;
  bool shut_down_ = false;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_SERVER_H_
