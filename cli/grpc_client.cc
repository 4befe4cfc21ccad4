#include "cli/grpc_client.h"

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/exit_codes.h"
#include "cli/file_input.h"

namespace bootgate::cli {
namespace {

// The host part of "host:port", "[v6]:port" or "dns:///host:port".
absl::string_view HostPart(absl::string_view address) {
  if (absl::StartsWith(address, "dns:///")) address.remove_prefix(7);
  if (absl::StartsWith(address, "ipv4:")) address.remove_prefix(5);
  if (absl::StartsWith(address, "ipv6:")) address.remove_prefix(5);
  if (absl::StartsWith(address, "[")) {
    const size_t end = address.find(']');
    return end == absl::string_view::npos ? address.substr(1) : address.substr(1, end - 1);
  }
  const size_t colon = address.rfind(':');
  // More than one colon without brackets: a bare IPv6 address without a port.
  if (colon != absl::string_view::npos && address.find(':') == colon)
    return address.substr(0, colon);
  return address;
}

}  // namespace

void AddServerOptions(CLI::App& cmd, ServerOptions& options) {
  cmd.add_option(
      "--server", options.address,
      absl::StrCat("bootgated address (default: $BOOTGATE_SERVER, else ", kDefaultServer, ")"));
  cmd.add_option("--ca", options.ca_file, "PEM CA certificates: use TLS and trust these roots");
  cmd.add_option("--timeout", options.timeout_seconds, "deadline of each call, in seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

std::string ResolveServer(const ServerOptions& options) {
  if (!options.address.empty()) return options.address;
  const char* env = std::getenv("BOOTGATE_SERVER");
  if (env != nullptr && *env != '\0') return env;
  return kDefaultServer;
}

bool IsLoopback(absl::string_view address) {
  if (absl::StartsWith(address, "unix:") || absl::StartsWith(address, "unix-abstract:"))
    return true;
  const absl::string_view host = HostPart(address);
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ServerOptions& options) {
  const std::string address = ResolveServer(options);
  if (options.ca_file.empty()) {
    if (!IsLoopback(address)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "server ", address, " is not on loopback: pass --ca FILE to connect with TLS"));
    }
    return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  }
  absl::StatusOr<std::vector<uint8_t>> roots = ReadFileLimited(options.ca_file, 1 << 20);
  if (!roots.ok()) return roots.status();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs.assign(roots->begin(), roots->end());
  return grpc::CreateChannel(address, grpc::SslCredentials(ssl));
}

void SetDeadline(grpc::ClientContext& context, const ServerOptions& options) {
  context.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000)));
}

absl::string_view StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN_CODE";
  }
}

int ReportRpcError(absl::string_view what, const grpc::Status& status,
                   const ServerOptions& options) {
  std::string message = status.error_message();
  // gRPC's connection errors span lines; the contract here is one line.
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "bootgate: " << what << ": " << StatusCodeName(status.error_code()) << ": "
            << message << " (server " << ResolveServer(options) << ")\n";
  return kExitBadInput;
}

int ReportError(absl::string_view message) {
  std::cerr << "bootgate: " << message << "\n";
  return kExitBadInput;
}

}  // namespace bootgate::cli
