// bootgated: the attestation service. `bootgated [--config FILE] [--listen ADDR] [--http ADDR]
// [--https ADDR] [--data-dir DIR] [--policy FILE] [--store URL]`; flags override the file. SIGHUP
// reads the file again and puts in use what can change while calls run (TLS certificate and
// client CAs, policy_file, enrollment CAs: server/bootgated/reload.h). SIGINT/SIGTERM stop it: no
// new calls, running ones drained (up to 5 s), then event=stopped and exit 0. `bootgated
// --check-store` (with the same flags) serves nothing: it opens the configured store, prints its
// durability settings and schema version, runs its integrity check and exits 0 when the store is
// sound, 1 otherwise (for operators and crash tests). Under systemd (Type=notify) it tells the
// manager when it is ready, reloading and stopping, and pings the watchdog (systemd_notify.h).
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "bootgate_version.h"
#include "server/bootgated/config.h"
#include "server/bootgated/reload.h"
#include "server/bootgated/request_log.h"
#include "server/bootgated/server.h"
#include "server/bootgated/systemd_notify.h"
#include "server/mutex_mode.h"
#include "server/store/store.h"

namespace {

int CheckStore(const bootgate::v1::ServerConfig& raw) {
  const bootgate::v1::ServerConfig config = bootgate::service::WithDefaults(raw);
  auto store = bootgate::server::store::OpenStore(bootgate::service::StoreUrl(config));
  if (!store.ok()) {
    std::fprintf(stderr, "bootgated: %s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  auto durability = (*store)->Durability();
  if (!durability.ok()) {
    std::fprintf(stderr, "bootgated: %s\n", std::string(durability.status().message()).c_str());
    return 1;
  }
  std::printf("backend=%s schema_version=%lld durable=%s\n", durability->backend.c_str(),
              static_cast<long long>((*store)->SchemaVersion()),
              durability->durable ? "true" : "false");
  for (const auto& [name, value] : durability->values) {
    std::printf("%s=%s\n", name.c_str(), value.c_str());
  }
  const absl::Status integrity = (*store)->CheckIntegrity();
  std::printf("integrity=%s\n", integrity.ok() ? "ok" : std::string(integrity.message()).c_str());
  return integrity.ok() && durability->durable ? 0 : 1;
}

int Run(int argc, char** argv) {
  CLI::App app{"bootgated: measured-boot attestation service"};
  app.set_version_flag("--version", "bootgated " BOOTGATE_VERSION " (" BOOTGATE_GIT_REVISION ")");
  std::string config_path, listen, http, https, data_dir, policy, postgres;
  app.add_option("--config", config_path, "ServerConfig as JSON or textproto");
  app.add_option("--listen", listen, "gRPC address (default 127.0.0.1:7443; port 0: any free)");
  app.add_option("--http", http, "HTTP address for JWKS and /metrics, or \"off\"");
  app.add_option("--https", https, "HTTPS JSON API address (needs tls), or \"off\"");
  app.add_option("--data-dir", data_dir, "directory for the SQLite store and keys");
  app.add_option("--policy", policy, "policy file (JSON or textproto)");
  app.add_option("--postgres", postgres, "PostgreSQL conninfo instead of SQLite");
  bool check_store = false;
  app.add_flag("--check-store", check_store,
               "print the store's durability settings, check its integrity, and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; a usage error exits 2, as bootgate's do.
    return app.exit(e) == 0 ? 0 : 2;
  }
  // From here on, gRPC's and protobuf's own messages are escaped logfmt lines like ours.
  bootgate::service::RouteLibraryLogs();

  // The config file with the flags over it: at start, and again on SIGHUP.
  auto read_config = [&]() -> absl::StatusOr<bootgate::v1::ServerConfig> {
    auto config = bootgate::service::ReadServerConfigFile(config_path);
    if (!config.ok()) return config.status();
    if (!listen.empty()) config->set_listen_address(listen);
    if (!http.empty()) config->set_http_address(http);
    if (!https.empty()) config->set_https_address(https);
    if (!data_dir.empty()) config->set_data_dir(data_dir);
    if (!policy.empty()) config->set_policy_file(policy);
    if (!postgres.empty()) config->mutable_store()->mutable_postgres()->set_conninfo(postgres);
    return config;
  };
  auto read = read_config();
  if (!read.ok()) {
    std::fprintf(stderr, "bootgated: %s\n", std::string(read.status().message()).c_str());
    return 2;
  }
  const bootgate::v1::ServerConfig config = *std::move(read);

  if (check_store) return CheckStore(config);

  // Signals are taken by a waiting thread, so that shutdown runs outside signal context.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Before Start: a long schema migration at start keeps the watchdog fed.
  bootgate::service::SystemdNotifier systemd;
  auto server = bootgate::service::Bootgated::Start(config);
  if (!server.ok()) {
    std::fprintf(stderr, "bootgated: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  // For scripts: the ports actually bound (port 0 picks free ones).
  std::printf("grpc_port=%d http_port=%d https_port=%d\n", (*server)->grpc_port(),
              (*server)->http_port(), (*server)->https_port());
  std::fflush(stdout);
  const std::string serving =
      absl::StrCat("serving: gRPC port ", (*server)->grpc_port(), ", HTTP port ",
                   (*server)->http_port(), ", HTTPS port ", (*server)->https_port());
  systemd.Ready(serving);
  int signal = 0;
  while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) {
    systemd.Reloading();
    // A reload that fails (logged as event=reload_failed) leaves the running config in use.
    auto next = read_config();
    if (next.ok()) {
      (void)(*server)->Reload(*next);
    } else {
      bootgate::service::Reloader::LogFailure(next.status());
    }
    systemd.Ready(serving);
  }
  const char* why = signal == SIGINT ? "SIGINT" : "SIGTERM";
  systemd.Stopping(absl::StrCat("stopping on ", why, ": draining calls"));
  (*server)->Shutdown(why);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bootgate::server::UseReleaseMutexMode();
  return Run(argc, argv);
}
