// bootgated's configuration: bootgate.v1.ServerConfig read from JSON or textproto with
// protobuf's own parsers, then completed with the defaults config.proto documents.
#ifndef BOOTGATE_SERVER_BOOTGATED_CONFIG_H_
#define BOOTGATE_SERVER_BOOTGATED_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bootgate/v1/config.pb.h"

namespace bootgate::service {

// Parses `text` as ServerConfig: JSON when it starts with '{' (after whitespace), textproto
// otherwise. Unknown fields are errors. InvalidArgument naming `source_name` on failure.
absl::StatusOr<v1::ServerConfig> ParseServerConfig(absl::string_view text,
                                                   absl::string_view source_name);

// Fills every unset field with its documented default (listen 127.0.0.1:7443, HTTP
// 127.0.0.1:7480, data dir ./bootgate-data, SQLite <data_dir>/bootgate.db, token key
// <data_dir>/token.key, signing keys <data_dir>/signing, limits, 5 min token TTL).
v1::ServerConfig WithDefaults(v1::ServerConfig config);

// True for "127.0.0.1:N", "127.x.y.z:N", "[::1]:N", "localhost:N".
bool IsLoopbackAddress(absl::string_view address);

// FailedPrecondition when the gRPC or HTTP address is not loopback and no TLS certificate
// is configured (the HTTP server only ever serves public data, but binding it publicly is
// still an operator's explicit choice: it needs TLS configured too).
absl::Status CheckListenSecurity(const v1::ServerConfig& config);

// The store URL OpenStore takes: "sqlite://<path>" or the PostgreSQL conninfo.
std::string StoreUrl(const v1::ServerConfig& config);

absl::Duration ToDuration(const google::protobuf::Duration& d);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_CONFIG_H_
