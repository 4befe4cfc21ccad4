#include "server/bootgated/https_tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <string>

namespace bootgate::service {
namespace {

std::string Pem(X509* cert) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return "";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : "";
}

// SSL_CTX_set_cert_cb: the identity in use when the handshake starts.
int UseCurrentIdentity(SSL* ssl, void* arg) {
  const std::shared_ptr<const TlsIdentity> identity =
      static_cast<const TlsIdentityHolder*>(arg)->Get();
  if (!identity) return 0;
  return SSL_use_certificate(ssl, identity->leaf()) == 1 &&
                 SSL_use_PrivateKey(ssl, identity->key()) == 1 &&
                 SSL_set1_chain(ssl, identity->intermediates()) == 1
             ? 1
             : 0;
}

// SSL_CTX_set_cert_verify_callback: the whole verification of a presented certificate, as the
// gRPC port's ClientCertificateVerifier does it.
int VerifyClient(X509_STORE_CTX* store_ctx, void* arg) {
  const std::shared_ptr<const ClientCaBundle> cas = static_cast<const ClientTrust*>(arg)->Get();
  std::string chain;
  if (STACK_OF(X509)* untrusted = X509_STORE_CTX_get0_untrusted(store_ctx)) {
    for (int i = 0; i < sk_X509_num(untrusted); ++i) chain += Pem(sk_X509_value(untrusted, i));
  }
  const ClientCertificateCheck check =
      VerifyClientCertificate(cas.get(), Pem(X509_STORE_CTX_get0_cert(store_ctx)), chain);
  if (check.accepted()) return 1;
  LogRefusedHandshake(check);
  X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_CERT_REJECTED);
  return 0;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const TlsIdentity>> TlsIdentity::FromPem(absl::string_view pem) {
  auto out = std::make_shared<TlsIdentity>();
  crypto::BioPtr key_bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (key_bio) out->key_.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  crypto::BioPtr chain_bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (chain_bio) {
    out->leaf_.reset(PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr));
    out->intermediates_.reset(sk_X509_new_null());
    while (X509* next = PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr)) {
      if (!out->intermediates_ || sk_X509_push(out->intermediates_.get(), next) == 0) {
        X509_free(next);
        break;
      }
    }
  }
  ERR_clear_error();  // the end of the PEM text
  if (!out->key_ || !out->leaf_ || !out->intermediates_) {
    return absl::InvalidArgumentError("the TLS identity holds no key or no certificate");
  }
  return std::shared_ptr<const TlsIdentity>(std::move(out));
}

bool ConfigureHttpsContext(SSL_CTX& ctx, const TlsIdentityHolder* identity,
                           const ClientTrust* trust) {
  if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1) return false;
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(&ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(&ctx, 0);
  SSL_CTX_set_cert_cb(&ctx, UseCurrentIdentity, const_cast<TlsIdentityHolder*>(identity));
  // Requested, not required by OpenSSL: a caller without one is answered (and logged) by the
  // access gate, as a refused certificate is by VerifyClient.
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_cert_verify_callback(&ctx, VerifyClient, const_cast<ClientTrust*>(trust));
  return true;
}

crypto::X509Ptr VerifiedPeerCertificate(const SSL* ssl) {
  if (ssl == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return nullptr;
  return crypto::X509Ptr(SSL_get1_peer_certificate(ssl));
}

}  // namespace bootgate::service
