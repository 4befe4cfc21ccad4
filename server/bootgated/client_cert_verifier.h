// Mutual TLS client certificates, verified by bootgated itself: gRPC's TLS handshake proves that
// the client holds the key of the certificate it sent (TLS CertificateVerify), and this module
// decides whether that certificate chains to the configured client CA, so that every refused
// handshake is logged once with its reason (event=tls_refused reason=expired subject=...), and so
// that the trusted CAs can be swapped at run time (SIGHUP) without touching open connections.
//
// The checks are OpenSSL's own (X509_verify_cert) with the settings an OpenSSL TLS server uses
// for its clients, so nothing is accepted that SslServerCredentials' verification refused:
// purpose "ssl_client" (an extendedKeyUsage, when present, must allow clientAuth), validity at
// the time of the handshake for every certificate of the chain, the system's security level for
// keys and signature digests (Debian: level 2), and at most kMaxClientChainDepth intermediates.
#ifndef BOOTGATE_SERVER_BOOTGATED_CLIENT_CERT_VERIFIER_H_
#define BOOTGATE_SERVER_BOOTGATED_CLIENT_CERT_VERIFIER_H_

#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "server/bootgated/swappable.h"

namespace bootgate::service {

inline constexpr int kMaxClientChainDepth = 8;

// The CAs client certificates must chain to: a PEM bundle (roots and, optionally, their
// intermediates). Immutable once built; shared by concurrent handshakes.
class ClientCaBundle {
 public:
  // InvalidArgument naming `source` when the text holds no certificate or a block that does not
  // parse.
  static absl::StatusOr<std::shared_ptr<const ClientCaBundle>> FromPem(absl::string_view pem,
                                                                       absl::string_view source);
  ~ClientCaBundle();
  ClientCaBundle(const ClientCaBundle&) = delete;
  ClientCaBundle& operator=(const ClientCaBundle&) = delete;

  int size() const { return size_; }
  // Hex SHA-256 of the PEM text it was made from (tells a changed bundle from the same one).
  const std::string& sha256() const { return sha256_; }
  X509_STORE* store() const { return store_; }

 private:
  ClientCaBundle() = default;
  X509_STORE* store_ = nullptr;
  int size_ = 0;
  std::string sha256_;
};

// What the verification of one presented certificate found. `reason` is empty when accepted;
// otherwise one of: no_certificate, malformed, expired, not_yet_valid, unknown_ca,
// bad_signature, wrong_purpose, chain_too_long, weak_key, invalid_ca, invalid (anything else;
// `detail` holds OpenSSL's words).
struct ClientCertificateCheck {
  std::string reason;
  std::string detail;     // OpenSSL's error string, e.g. "certificate has expired"
  int depth = 0;          // which certificate failed: 0 the client's own, 1 its issuer, ...
  std::string subject;    // of the presented (leaf) certificate, RFC 2253
  std::string issuer;     // its issuer, RFC 2253
  std::string serial;     // hex
  std::string not_after;  // "2026-12-03T13:42:04Z"
  std::string sha256;     // fingerprint of the certificate's DER
  bool accepted() const { return reason.empty(); }
};

// Verifies `leaf_pem` (empty: the client sent none) with the intermediates in `chain_pem` (may be
// empty, may repeat the leaf) against `cas` (null: everything is refused, unknown_ca), at `at`
// (default: now).
ClientCertificateCheck VerifyClientCertificate(const ClientCaBundle* cas,
                                               absl::string_view leaf_pem,
                                               absl::string_view chain_pem,
                                               std::optional<time_t> at = std::nullopt);

// The trusted client CAs of one server, swappable while handshakes run (SIGHUP).
using ClientTrust = Swappable<ClientCaBundle>;

// The gRPC verifier that runs VerifyClientCertificate after every TLS handshake (synchronously)
// and refuses the connection unless the certificate is accepted, writing one
// `event=tls_refused` line per refusal. Make it with
// grpc::experimental::ExternalCertificateVerifier::Create<ClientCertificateVerifier>(trust).
class ClientCertificateVerifier : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit ClientCertificateVerifier(std::shared_ptr<const ClientTrust> trust)
      : trust_(std::move(trust)) {}
  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> callback, grpc::Status* sync_status) override;
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  std::shared_ptr<const ClientTrust> trust_;
};

// Writes the event=tls_refused line for a refused check.
void LogRefusedHandshake(const ClientCertificateCheck& check);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_CLIENT_CERT_VERIFIER_H_
