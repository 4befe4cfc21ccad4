// The small plain-HTTP server beside gRPC, loopback only: GET /.well-known/jwks.json, /metrics,
// /healthz and /readyz.
#ifndef BOOTGATE_SERVER_BOOTGATED_HTTP_SERVER_H_
#define BOOTGATE_SERVER_BOOTGATED_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/bootgated/service_context.h"

namespace httplib {
class Server;
}

namespace bootgate::service {

// Binds `server` to `address` ("127.0.0.1:7480"; port 0 picks a free one) with SO_REUSEADDR and
// never SO_REUSEPORT (one server per port); returns the port. Unavailable naming `setting` and
// why (ListenError) when it cannot bind.
absl::StatusOr<int> BindHttpServer(httplib::Server& server, const std::string& address,
                                   const std::string& setting);

class HttpServer {
 public:
  // Binds `address` ("127.0.0.1:7480"; port 0 picks a free one) and serves on its own thread.
  // Unavailable when it cannot bind, saying why (ListenError: a port another server holds is
  // named). The socket has SO_REUSEADDR only, never SO_REUSEPORT: one server per port.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address,
                                                           ServiceContext* context);
  ~HttpServer();  // stops and joins
  int port() const { return port_; }

 private:
  HttpServer() = default;
  // bootgate_hosts: counted again by a scrape at most every kHostCountInterval (a pass over
  // every host's latest verdict), so that scrapers cannot load the store.
  static constexpr absl::Duration kHostCountInterval = absl::Seconds(15);
  void CountHosts(ServiceContext& context);
  absl::Mutex count_mu_;
  absl::Time counted_at_ ABSL_GUARDED_BY(count_mu_) = absl::InfinitePast();
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_HTTP_SERVER_H_
