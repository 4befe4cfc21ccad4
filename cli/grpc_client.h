// Talking to bootgated: where the server is, the channel, per-call deadlines, and how a failed
// call becomes one line on stderr and an exit code, and the client certificate of mutual TLS.
// Shared by every remote command (attest, enroll, host, placement, history, audit, policy).
#ifndef BOOTGATE_CLI_GRPC_CLIENT_H_
#define BOOTGATE_CLI_GRPC_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bootgate::cli {

// bootgated's default listen address (ServerConfig.listen_address).
inline constexpr char kDefaultServer[] = "127.0.0.1:7443";

struct ServerOptions {
  std::string address;          // --server; empty: $BOOTGATE_SERVER, then kDefaultServer
  std::string ca_file;          // --ca: PEM roots; set -> TLS. Empty: $BOOTGATE_CA
  std::string cert_file;        // --cert: PEM client certificate (chain) for mutual TLS
  std::string key_file;         // --key: its PEM private key
  double timeout_seconds = 10;  // --timeout: deadline of each call
};

// Adds --server, --ca, --cert, --key and --timeout to `cmd`.
void AddServerOptions(CLI::App& cmd, ServerOptions& options);

// Returns the address to dial: --server, else $BOOTGATE_SERVER, else kDefaultServer.
std::string ResolveServer(const ServerOptions& options);

// What the channel is made with once the environment filled in what the flags left out.
struct ResolvedTls {
  std::string ca_file;    // empty: plaintext
  std::string cert_file;  // both empty, or both set
  std::string key_file;
};

// --ca, else $BOOTGATE_CA; --cert/--key, else (when neither flag is given) $BOOTGATE_CERT /
// $BOOTGATE_KEY. InvalidArgument when only one of the certificate and the key is given, or
// they are given without a CA (mutual TLS is TLS).
absl::StatusOr<ResolvedTls> ResolveTls(const ServerOptions& options);

// True for 127.0.0.0/8, ::1, localhost and unix: addresses.
bool IsLoopback(absl::string_view address);

// Returns a channel to the resolved server: TLS with the --ca roots when given (presenting the
// --cert/--key client certificate when given), plaintext otherwise. InvalidArgument for a
// non-loopback address without --ca (evidence and admin calls never travel in clear over a
// network; the server refuses plaintext there too), for the errors of ResolveTls, an unreadable
// file, or a certificate and key that do not parse or do not belong together.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ServerOptions& options);

// Sets the call's deadline from --timeout.
void SetDeadline(grpc::ClientContext& context, const ServerOptions& options);

// "OK", "NOT_FOUND", ... (the names of the gRPC status codes).
std::string StatusCodeName(grpc::StatusCode code);

// Prints "bootgate: <what>: <CODE>: <message> (server ADDR)" on stderr and returns
// kExitBadInput: a failed call means the command could not evaluate anything.
int ReportRpcError(absl::string_view what, const grpc::Status& status,
                   const ServerOptions& options);

// Prints "bootgate: <message>" on stderr and returns kExitBadInput.
int ReportError(absl::string_view message);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_GRPC_CLIENT_H_
