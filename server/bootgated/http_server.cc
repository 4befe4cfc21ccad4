#include "server/bootgated/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/bootgated/server.h"
#include "server/jwks.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::service {

absl::StatusOr<int> BindHttpServer(httplib::Server& server, const std::string& address,
                                   const std::string& setting) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat(setting, " \"", address, "\" is not host:port"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  // cpp-httplib's default sets SO_REUSEPORT, which lets a second server share the port.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  const int bound =
      port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) return absl::UnavailableError(ListenError(setting, address));
  return bound;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address,
                                                              ServiceContext* context) {
  std::unique_ptr<HttpServer> out(new HttpServer);
  out->server_ = std::make_unique<httplib::Server>();
  out->server_->Get("/.well-known/jwks.json",
                    [context](const httplib::Request&, httplib::Response& res) {
                      auto jwks = server::JwksJson(*context->signing_keys);
                      if (!jwks.ok()) {
                        res.status = 500;
                        res.set_content(std::string(jwks.status().message()), "text/plain");
                        return;
                      }
                      res.set_content(*jwks, "application/jwk-set+json");
                    });
  HttpServer* self = out.get();
  out->server_->Get("/metrics", [context, self](const httplib::Request&, httplib::Response& res) {
    self->CountHosts(*context);
    res.set_content(context->metrics->Serialize(), "text/plain; version=0.0.4");
  });
  // Liveness: the process answers. Readiness: and its store answers a query (a load balancer
  // or Kubernetes probe sends work only then).
  out->server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  out->server_->Get("/readyz", [context](const httplib::Request&, httplib::Response& res) {
    const auto store = context->store->Durability();
    if (store.ok()) {
      res.set_content("ready\n", "text/plain");
      return;
    }
    res.status = 503;
    res.set_content(absl::StrCat("not ready: store: ", store.status().message(), "\n"),
                    "text/plain");
  });
  ASSIGN_OR_RETURN(out->port_, BindHttpServer(*out->server_, address, "http_address"));
  httplib::Server* server = out->server_.get();
  out->thread_ = std::thread([server] { server->listen_after_bind(); });
  return out;
}

void HttpServer::CountHosts(ServiceContext& context) {
  absl::MutexLock lock(&count_mu_);
  const absl::Time now = absl::Now();
  if (now - counted_at_ < kHostCountInterval) return;
  counted_at_ = now;
  auto counts = context.store->CountHostsByEligibility(now);
  if (counts.ok()) context.metrics->SetHostCounts(*counts);
}

HttpServer::~HttpServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace bootgate::service
