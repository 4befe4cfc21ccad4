// What SIGHUP does to a running bootgated: the configuration is read again and what can change
// under running calls is put in use, all of it or nothing:
//   client_ca            tls.client_ca_file: new handshakes are verified against it; open
//                        connections stay open (their certificates were checked when they opened)
//   server_certificate   tls.cert_file + tls.key_file (the key must match), for new handshakes
//                        within about a second (tls_credentials.h: gRPC's watcher polls)
//   policy_file          in use at once unless a policy was pushed (a pushed policy always wins)
//   enrollment           enrollment.ek_ca_files / ak_ca_files / pending_ttl, for new enrollments
// Each is compared by content: a file rewritten in place is a change, the same bytes are not.
// If any new file is unreadable or invalid, nothing changes and event=reload_failed says why;
// otherwise event=reloaded lists what changed and which changed settings need a restart
// (listen_address, http_address, data_dir, store, tokens, signing, limits, reflection, turning TLS
// or the client CA on or off): those keep their running values.
#ifndef BOOTGATE_SERVER_BOOTGATED_RELOAD_H_
#define BOOTGATE_SERVER_BOOTGATED_RELOAD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bootgate/v1/config.pb.h"
#include "server/bootgated/service_context.h"
#include "server/bootgated/tls_credentials.h"

namespace bootgate::service {

struct ReloadReport {
  std::vector<std::string> changed;        // "client_ca", "server_certificate", "policy_file", ...
  std::vector<std::string> needs_restart;  // settings that differ but keep their running value
};

// Reads `path` as a ServerConfig (ParseServerConfig); the default config when `path` is empty.
absl::StatusOr<v1::ServerConfig> ReadServerConfigFile(const std::string& path);

class Reloader {
 public:
  // Borrows both for its whole life. Remembers the contents in use (the enrollment bundles are
  // read again here to fingerprint them).
  Reloader(ServiceContext* context, ServerTls* tls);

  // Puts `raw` (defaults filled here) in use as described above and logs event=reloaded, or
  // changes nothing, logs event=reload_failed and returns the error naming the file at fault.
  absl::StatusOr<ReloadReport> Reload(const v1::ServerConfig& raw);

  // Logs event=reload_failed for a config that could not even be read.
  static void LogFailure(const absl::Status& status);

 private:
  ServiceContext* context_;
  ServerTls* tls_;
  absl::Mutex mu_;  // one reload at a time
  std::string enrollment_sha256_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_RELOAD_H_
