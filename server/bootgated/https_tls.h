// TLS of the HTTPS JSON API (https_api.h), the same as gRPC's (tls_credentials.h): the server's
// certificate chain and key are taken from ServerTls at each handshake, so a SIGHUP reload
// applies to the next handshake; client certificates are requested and verified by
// VerifyClientCertificate (client_cert_verifier.h) against the same swappable ClientTrust, each
// refusal logged once (event=tls_refused). TLS 1.2 or later; no session resumption, so every
// connection's certificate is verified against the CAs of its own handshake.
#ifndef BOOTGATE_SERVER_BOOTGATED_HTTPS_TLS_H_
#define BOOTGATE_SERVER_BOOTGATED_HTTPS_TLS_H_

#include <openssl/ssl.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/bootgated/client_cert_verifier.h"
#include "server/bootgated/swappable.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::service {

// A private key and the certificate chain it goes with, parsed once for many handshakes.
class TlsIdentity {
 public:
  // `pem`: the key and the chain, leaf first (TlsFiles::identity_pem, already checked to match).
  static absl::StatusOr<std::shared_ptr<const TlsIdentity>> FromPem(absl::string_view pem);
  X509* leaf() const { return leaf_.get(); }
  EVP_PKEY* key() const { return key_.get(); }
  STACK_OF(X509) * intermediates() const { return intermediates_.get(); }

 private:
  crypto::X509Ptr leaf_;
  crypto::EvpPkeyPtr key_;
  crypto::X509StackPtr intermediates_;
};

// The identity new handshakes use, swappable while they run (SIGHUP).
using TlsIdentityHolder = Swappable<TlsIdentity>;

// Sets up an SSL_CTX for the HTTPS server (cpp-httplib's SSLServer callback). `identity` and
// `trust` are borrowed: they must outlive every connection of the context.
bool ConfigureHttpsContext(SSL_CTX& ctx, const TlsIdentityHolder* identity,
                           const ClientTrust* trust);

// The client certificate an HTTPS connection presented and ConfigureHttpsContext's verification
// accepted; null when it presented none.
crypto::X509Ptr VerifiedPeerCertificate(const SSL* ssl);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_HTTPS_TLS_H_
