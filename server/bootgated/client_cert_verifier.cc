#include "server/bootgated/client_cert_verifier.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/bootgated/request_log.h"
#include "verifier/bytes/reader.h"
#include "verifier/crypto/hash.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::service {
namespace {

using crypto::BioPtr;
using crypto::X509Ptr;

BioPtr MemBio(absl::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Every certificate of a PEM text, in order. Nullopt when a block does not parse (the end of the
// text is the only PEM error that is not one).
std::optional<std::vector<X509Ptr>> ReadCertificates(absl::string_view pem) {
  std::vector<X509Ptr> out;
  if (pem.empty()) return out;
  BioPtr bio = MemBio(pem);
  if (!bio) return std::nullopt;
  ERR_clear_error();
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    out.push_back(std::move(cert));
  }
  const unsigned long err = ERR_peek_last_error();
  ERR_clear_error();
  if (err != 0 &&
      !(ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)) {
    return std::nullopt;
  }
  return out;
}

std::string NameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : "";
}

std::string SerialHex(const X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) return "";
  char* hex = BN_bn2hex(bn);
  std::string out = hex == nullptr ? "" : hex;
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::string TimeText(const ASN1_TIME* time) {
  struct tm t {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &t) != 1) return "";
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02dZ", t.tm_year + 1900, t.tm_mon + 1,
                         t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
}

std::string Fingerprint(const X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &length) != 1) return "";
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

// The security level an OpenSSL TLS server of this system applies to the certificates it
// verifies (openssl.cnf's CipherString @SECLEVEL; Debian: 2).
int SystemSecurityLevel() {
  static const int level = [] {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr) return 2;
    const int l = SSL_CTX_get_security_level(ctx);
    SSL_CTX_free(ctx);
    return l < 2 ? 2 : l;
  }();
  return level;
}

const char* ReasonOf(int error) {
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "not_yet_valid";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return "unknown_ca";
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return "bad_signature";
    case X509_V_ERR_INVALID_PURPOSE:
      return "wrong_purpose";
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
      return "chain_too_long";
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
    case X509_V_ERR_CA_MD_TOO_WEAK:
      return "weak_key";
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
      return "invalid_ca";
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
      return "malformed";
    default:
      return "invalid";
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ClientCaBundle>> ClientCaBundle::FromPem(
    absl::string_view pem, absl::string_view source) {
  std::optional<std::vector<X509Ptr>> certs = ReadCertificates(pem);
  if (!certs) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": a PEM block does not parse as a certificate"));
  }
  if (certs->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": holds no PEM certificate"));
  }
  std::shared_ptr<ClientCaBundle> out(new ClientCaBundle);
  out->store_ = X509_STORE_new();
  if (out->store_ == nullptr) return absl::InternalError("X509_STORE_new failed");
  for (const X509Ptr& cert : *certs) {
    if (X509_STORE_add_cert(out->store_, cert.get()) != 1) {
      ERR_clear_error();  // a duplicate: the store already holds it
    }
  }
  out->size_ = static_cast<int>(certs->size());
  out->sha256_ = crypto::Sha256Hex(bytes::AsBytes(pem));
  return std::shared_ptr<const ClientCaBundle>(std::move(out));
}

ClientCaBundle::~ClientCaBundle() { X509_STORE_free(store_); }

ClientCertificateCheck VerifyClientCertificate(const ClientCaBundle* cas,
                                               absl::string_view leaf_pem,
                                               absl::string_view chain_pem,
                                               std::optional<time_t> at) {
  ClientCertificateCheck check;
  if (leaf_pem.empty()) {
    check.reason = "no_certificate";
    check.detail = "the client sent no certificate";
    return check;
  }
  std::optional<std::vector<X509Ptr>> leaf = ReadCertificates(leaf_pem);
  if (!leaf || leaf->size() != 1) {
    check.reason = "malformed";
    check.detail = "the client's certificate does not parse";
    return check;
  }
  X509* cert = (*leaf)[0].get();
  check.subject = NameText(X509_get_subject_name(cert));
  check.issuer = NameText(X509_get_issuer_name(cert));
  check.serial = SerialHex(cert);
  check.not_after = TimeText(X509_get0_notAfter(cert));
  check.sha256 = Fingerprint(cert);
  if (cas == nullptr) {
    check.reason = "unknown_ca";
    check.detail = "no client CA is configured";
    return check;
  }
  std::optional<std::vector<X509Ptr>> chain = ReadCertificates(chain_pem);
  if (!chain) {
    check.reason = "malformed";
    check.detail = "the client's certificate chain does not parse";
    return check;
  }
  crypto::X509StackPtr untrusted(sk_X509_new_null());
  crypto::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) {
    check.reason = "invalid";
    check.detail = "out of memory";
    return check;
  }
  for (X509Ptr& c : *chain) {
    if (sk_X509_push(untrusted.get(), c.get()) > 0) c.release();
  }
  // As an OpenSSL TLS server verifies its clients (ssl_verify_cert_chain): purpose and trust
  // "ssl_client", the security level for keys and digests; plus a bound on the chain length.
  if (X509_STORE_CTX_init(ctx.get(), cas->store(), cert, untrusted.get()) != 1 ||
      X509_STORE_CTX_set_default(ctx.get(), "ssl_client") != 1) {
    ERR_clear_error();
    check.reason = "invalid";
    check.detail = "cannot set up the verification";
    return check;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_depth(param, kMaxClientChainDepth);
  X509_VERIFY_PARAM_set_auth_level(param, SystemSecurityLevel());
  if (at) X509_VERIFY_PARAM_set_time(param, *at);
  const int verified = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  if (verified == 1) return check;  // anything else is a refusal, whatever the error says
  check.reason = error == X509_V_OK ? "invalid" : ReasonOf(error);
  check.detail = error == X509_V_OK ? "verification failed" : X509_verify_cert_error_string(error);
  check.depth = X509_STORE_CTX_get_error_depth(ctx.get());
  return check;
}

void LogRefusedHandshake(const ClientCertificateCheck& check) {
  const std::string depth = absl::StrCat(check.depth);
  std::vector<LogField> fields = {{"reason", check.reason}, {"detail", check.detail}};
  if (!check.sha256.empty()) {
    fields.push_back({"depth", depth});
    fields.push_back({"subject", check.subject});
    fields.push_back({"issuer", check.issuer});
    fields.push_back({"serial", check.serial});
    fields.push_back({"not_after", check.not_after});
    fields.push_back({"sha256", check.sha256});
  }
  LogEvent("tls_refused", fields);
}

bool ClientCertificateVerifier::Verify(
    grpc::experimental::TlsCustomVerificationCheckRequest* request,
    std::function<void(grpc::Status)> /*callback*/, grpc::Status* sync_status) {
  const std::shared_ptr<const ClientCaBundle> cas = trust_->Get();
  const grpc::string_ref leaf = request->peer_cert();
  const grpc::string_ref chain = request->peer_cert_full_chain();
  const ClientCertificateCheck check =
      VerifyClientCertificate(cas.get(), absl::string_view(leaf.data(), leaf.size()),
                              absl::string_view(chain.data(), chain.size()));
  if (check.accepted()) {
    *sync_status = grpc::Status::OK;
  } else {
    LogRefusedHandshake(check);
    *sync_status = grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        absl::StrCat("client certificate refused: ", check.reason, " (", check.detail, ")"));
  }
  return true;  // decided synchronously
}

}  // namespace bootgate::service
