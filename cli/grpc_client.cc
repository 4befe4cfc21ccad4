#include "cli/grpc_client.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/exit_codes.h"
#include "cli/file_input.h"
#include "verifier/crypto/openssl_ptr.h"

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

// PEM files are small; this is far above any certificate chain or key.
constexpr uint64_t kMaxPemBytes = 1 << 20;

std::string EnvOr(const std::string& flag, const char* name) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv(name);
  return env != nullptr ? env : "";
}

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadFileLimited(path, kMaxPemBytes);
  if (!bytes.ok()) return bytes.status();
  return std::string(bytes->begin(), bytes->end());
}

// A client certificate gRPC would only reject in the handshake, with a message about the
// handshake: say here which file is wrong.
absl::Status CheckClientCertificate(const ResolvedTls& tls, const std::string& cert_pem,
                                    const std::string& key_pem) {
  crypto::BioPtr cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  crypto::X509Ptr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cert ", tls.cert_file, ": no PEM certificate in it"));
  }
  crypto::BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  crypto::EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--key ", tls.key_file, ": no unencrypted PEM private key in it"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--key ", tls.key_file, " is not the key of the certificate in --cert ", tls.cert_file));
  }
  return absl::OkStatus();
}

}  // namespace

void AddServerOptions(CLI::App& cmd, ServerOptions& options) {
  cmd.add_option(
      "--server", options.address,
      absl::StrCat("bootgated address (default: $BOOTGATE_SERVER, else ", kDefaultServer, ")"));
  cmd.add_option("--ca", options.ca_file,
                 "PEM CA certificates: use TLS and trust these roots (default: $BOOTGATE_CA)");
  cmd.add_option("--cert", options.cert_file,
                 "PEM client certificate for mutual TLS, with --key and --ca "
                 "(default: $BOOTGATE_CERT)");
  cmd.add_option("--key", options.key_file, "PEM private key of --cert (default: $BOOTGATE_KEY)");
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

absl::StatusOr<ResolvedTls> ResolveTls(const ServerOptions& options) {
  ResolvedTls tls;
  tls.ca_file = EnvOr(options.ca_file, "BOOTGATE_CA");
  // The pair comes from one place: flags, or (neither flag given) the environment.
  if (options.cert_file.empty() && options.key_file.empty()) {
    tls.cert_file = EnvOr("", "BOOTGATE_CERT");
    tls.key_file = EnvOr("", "BOOTGATE_KEY");
  } else {
    tls.cert_file = options.cert_file;
    tls.key_file = options.key_file;
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        tls.cert_file.empty()
            ? "a client key without a certificate: pass --cert FILE with --key"
            : "a client certificate without its key: pass --key FILE with --cert");
  }
  if (!tls.cert_file.empty() && tls.ca_file.empty()) {
    return absl::InvalidArgumentError(
        "--cert/--key are for mutual TLS: pass --ca FILE (the roots that issued the server's "
        "certificate) too");
  }
  return tls;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ServerOptions& options) {
  const std::string address = ResolveServer(options);
  absl::StatusOr<ResolvedTls> tls = ResolveTls(options);
  if (!tls.ok()) return tls.status();
  if (tls->ca_file.empty()) {
    if (!IsLoopback(address)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "server ", address, " is not on loopback: pass --ca FILE to connect with TLS"));
    }
    return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> roots = ReadPem(tls->ca_file);
  if (!roots.ok()) return roots.status();
  ssl.pem_root_certs = std::move(*roots);
  if (!tls->cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadPem(tls->cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem(tls->key_file);
    if (!key.ok()) return key.status();
    absl::Status usable = CheckClientCertificate(*tls, *cert, *key);
    if (!usable.ok()) return usable;
    ssl.pem_cert_chain = std::move(*cert);
    ssl.pem_private_key = std::move(*key);
  }
  return grpc::CreateChannel(address, grpc::SslCredentials(ssl));
}

void SetDeadline(grpc::ClientContext& context, const ServerOptions& options) {
  context.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000)));
}

std::string StatusCodeName(grpc::StatusCode code) {
  // gRPC and Abseil number their status codes alike.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
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
