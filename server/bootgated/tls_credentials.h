// bootgated's TLS, built so that its certificate, key and client CAs can be replaced while it
// serves (SIGHUP, server/bootgated/reload.h), without closing a connection:
// - client certificates: gRPC requests one but does not verify it; ClientCertificateVerifier
//   (client_cert_verifier.h) does, against the ClientTrust this object swaps, and logs every
//   refused handshake (event=tls_refused). A client with no certificate is refused there too
//   (reason no_certificate): requiring one in OpenSSL would end those handshakes before any
//   reason could be logged.
// - the server's own certificate chain and key: gRPC 1.51 can only take new ones from its file
//   watcher (FileWatcherCertificateProvider, no push API), which polls. It watches a copy that
//   bootgated writes (key and chain in one file, <data_dir>/tls/identity.pem, 0600) only after
//   checking that the key matches the certificate, so a half-copied pair on disk never reaches
//   the handshake; the watcher polls it every second, so a reload takes effect for new
//   handshakes within about a second.
#ifndef BOOTGATE_SERVER_BOOTGATED_TLS_CREDENTIALS_H_
#define BOOTGATE_SERVER_BOOTGATED_TLS_CREDENTIALS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bootgate/v1/config.pb.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "server/bootgated/client_cert_verifier.h"
#include "server/bootgated/https_tls.h"

namespace bootgate::service {

// The TLS files of one config, read and checked, not yet in use.
struct TlsFiles {
  std::string identity_pem;  // the key, then the certificate chain
  std::string identity_sha256;
  std::string certificate_subject;
  std::string certificate_not_after;
  std::shared_ptr<const ClientCaBundle> client_cas;  // null when client_ca_file is empty
};

// Reads cert_file, key_file and client_ca_file. NotFound / InvalidArgument naming the setting
// and file: unreadable, no certificate, a key that does not parse or does not match the
// certificate.
absl::StatusOr<TlsFiles> ReadTlsFiles(const v1::TlsConfig& config);

class ServerTls {
 public:
  // Plaintext credentials when config.cert_file is empty; otherwise reads the files (errors as
  // ReadTlsFiles), writes the identity copy under `data_dir` and starts the watcher.
  static absl::StatusOr<std::unique_ptr<ServerTls>> Create(const v1::TlsConfig& config,
                                                           const std::string& data_dir);

  bool enabled() const { return enabled_; }
  std::shared_ptr<grpc::ServerCredentials> credentials() const { return credentials_; }
  // What the HTTPS API's handshakes use (https_tls.h); null when TLS is off. Apply swaps them.
  const TlsIdentityHolder* identity() const { return identity_.get(); }
  const ClientTrust* trust() const { return trust_.get(); }

  // Puts checked files in use, for gRPC and HTTPS: returns what changed ("server_certificate",
  // "client_ca"), empty when nothing did. An error (the identity copy cannot be written)
  // changes nothing.
  absl::StatusOr<std::vector<std::string>> Apply(const TlsFiles& files);

 private:
  ServerTls() = default;
  absl::Status WriteIdentity(const std::string& pem);

  bool enabled_ = false;
  std::string identity_path_;
  std::string identity_sha256_;
  std::shared_ptr<ClientTrust> trust_;
  std::unique_ptr<TlsIdentityHolder> identity_;
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider_;
  std::shared_ptr<grpc::ServerCredentials> credentials_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_TLS_CREDENTIALS_H_
