#include "verifier/enroll/certificate_chain.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <ctime>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"
#include "verifier/enroll/tcg_extensions.h"

namespace bootgate::enroll {
namespace {

using crypto::X509Ptr;
using X509StorePtr = std::unique_ptr<X509_STORE, crypto::OpenSslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, crypto::OpenSslDeleter<X509_STORE_CTX_free>>;
struct StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }  // borrowed certificates
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), StackDeleter>;

// "CN=leaf, O=Example" (most specific first), control characters escaped.
std::string OneLine(const X509_NAME* name) {
  if (name == nullptr || X509_NAME_entry_count(name) == 0) return "";
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  constexpr unsigned long kFlags = XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_DN_REV | XN_FLAG_FN_SN |
                                   XN_FLAG_DUMP_UNKNOWN_FIELDS | ASN1_STRFLGS_ESC_2253 |
                                   ASN1_STRFLGS_ESC_CTRL | ASN1_STRFLGS_UTF8_CONVERT |
                                   ASN1_STRFLGS_DUMP_UNKNOWN | ASN1_STRFLGS_DUMP_DER;
  if (bio == nullptr || X509_NAME_print_ex(bio.get(), name, 0, kFlags) < 0) return "(unprintable)";
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : "";
}

std::string CommonName(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return "";
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

absl::Time ToTime(const ASN1_TIME* t) {
  std::tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromCivil(absl::CivilSecond(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                           tm.tm_min, tm.tm_sec),
                         absl::UTCTimeZone());
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string OpenSslReason() {
  const unsigned long err = ERR_peek_last_error();
  const char* reason = err == 0 ? nullptr : ERR_reason_error_string(err);
  return reason == nullptr ? "unknown error" : reason;
}

absl::StatusOr<X509Ptr> ParseLeaf(std::span<const uint8_t> leaf, absl::string_view what) {
  if (leaf.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": empty"));
  if (leaf.size() > kMaxCertificateBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", leaf.size(), " bytes; a certificate here has at most ", kMaxCertificateBytes));
  }
  constexpr absl::string_view kPem = "-----BEGIN";
  const absl::string_view text(reinterpret_cast<const char*>(leaf.data()), leaf.size());
  if (absl::StartsWith(text, kPem)) {
    // The first certificate; more PEM blocks (a chain the agent appended) are not used.
    crypto::BioPtr bio(BIO_new_mem_buf(leaf.data(), static_cast<int>(leaf.size())));
    X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (cert == nullptr) {
      const std::string reason = OpenSslReason();
      ERR_clear_error();
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": PEM input holds no readable certificate (", reason, ")"));
    }
    return cert;
  }
  const unsigned char* p = leaf.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(leaf.size())));
  if (cert == nullptr) {
    const std::string reason = OpenSslReason();
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not a DER or PEM X.509 certificate (", reason, ")"));
  }
  if (p != leaf.data() + leaf.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", leaf.data() + leaf.size() - p,
                     " bytes follow the DER certificate (send the certificate alone)"));
  }
  return cert;
}

// What the verify callback learned about a critical extension it refused.
struct VerifyState {
  std::string refused_extension;
};

int VerifyCallback(int ok, X509_STORE_CTX* ctx) {
  if (ok == 1) return 1;
  if (X509_STORE_CTX_get_error(ctx) != X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION) return 0;
  X509* cert = X509_STORE_CTX_get_current_cert(ctx);
  auto* state = static_cast<VerifyState*>(X509_STORE_CTX_get_app_data(ctx));
  if (cert == nullptr || state == nullptr) return 0;
  const absl::Status status = CheckCriticalExtensions(cert);
  if (!status.ok()) {
    state->refused_extension = std::string(status.message());
    return 0;
  }
  X509_STORE_CTX_set_error(ctx, X509_V_OK);  // the TCG extensions: accepted
  return 1;
}

absl::Status ChainError(X509_STORE_CTX* ctx, X509* leaf, const VerifyState& state, absl::Time now,
                        absl::string_view what) {
  const int err = X509_STORE_CTX_get_error(ctx);
  const int depth = X509_STORE_CTX_get_error_depth(ctx);
  X509* at = X509_STORE_CTX_get_current_cert(ctx);
  const std::string subject = OneLine(X509_get_subject_name(leaf));
  const std::string who = absl::StrCat(what, subject.empty() ? "" : " ", subject);
  const std::string at_ca =
      depth > 0 && at != nullptr
          ? absl::StrCat("CA certificate ", OneLine(X509_get_subject_name(at)))
          : "";
  if ((err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID) &&
      at != nullptr) {
    const bool expired = err == X509_V_ERR_CERT_HAS_EXPIRED;
    const absl::Time t = ToTime(expired ? X509_get0_notAfter(at) : X509_get0_notBefore(at));
    return absl::PermissionDeniedError(
        absl::StrCat(who, at_ca.empty() ? "" : ": its ", at_ca,
                     expired ? " expired at " : " is not valid before ", Rfc3339(t), " (now ",
                     Rfc3339(now), ")"));
  }
  const std::string chain =
      absl::StrCat(who, " (issuer ", OneLine(X509_get_issuer_name(leaf)), ")");
  if (err == X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION && !state.refused_extension.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(chain, " is refused: ", state.refused_extension,
                                                    at_ca.empty() ? "" : " in its ", at_ca));
  }
  return absl::PermissionDeniedError(
      absl::StrCat(chain, " does not chain to a trusted CA: ", X509_verify_cert_error_string(err),
                   at_ca.empty() ? "" : " (at ", at_ca, at_ca.empty() ? "" : ")"));
}

}  // namespace

absl::StatusOr<TrustBundle> TrustBundle::FromPem(absl::string_view pem, absl::string_view what) {
  if (pem.size() > INT_MAX) return absl::InvalidArgumentError(absl::StrCat(what, ": too large"));
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::InternalError("trust bundle: out of memory");
  ERR_clear_error();
  TrustBundle bundle;
  int count = 0;
  while (X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509Ptr cert(raw);
    ++count;
    if (X509_check_ca(cert.get()) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": certificate ", count, " (",
                                                     OneLine(X509_get_subject_name(raw)),
                                                     ") is not a CA certificate"));
    }
    if (X509_self_signed(cert.get(), /*verify_signature=*/1) == 1) {
      bundle.roots_.push_back(std::move(cert));
    } else {
      bundle.intermediates_.push_back(std::move(cert));
    }
  }
  // Reading stops at the end of the text (no more PEM start lines) or at a broken block.
  const unsigned long err = ERR_peek_last_error();
  const bool at_end =
      err == 0 || (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE);
  const std::string reason = at_end ? "" : OpenSslReason();
  ERR_clear_error();
  if (!at_end) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": certificate ", count + 1, " is malformed (", reason, ")"));
  }
  if (count == 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": no PEM certificate found"));
  }
  return bundle;
}

void TrustBundle::Add(TrustBundle other) {
  for (X509Ptr& c : other.roots_) roots_.push_back(std::move(c));
  for (X509Ptr& c : other.intermediates_) intermediates_.push_back(std::move(c));
}

absl::StatusOr<VerifiedCertificate> VerifyCertificateChain(std::span<const uint8_t> leaf,
                                                           const TrustBundle& bundle,
                                                           absl::Time now, absl::string_view what) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseLeaf(leaf, what));
  X509StorePtr store(X509_STORE_new());
  X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (store == nullptr || untrusted == nullptr || ctx == nullptr) {
    return absl::InternalError("certificate verification: out of memory");
  }
  for (const X509Ptr& root : bundle.roots()) {
    if (X509_STORE_add_cert(store.get(), root.get()) != 1) {
      ERR_clear_error();
      return absl::InternalError("certificate verification: adding a root failed");
    }
  }
  for (const X509Ptr& intermediate : bundle.intermediates()) {
    if (sk_X509_push(untrusted.get(), intermediate.get()) <= 0) {
      return absl::InternalError("certificate verification: out of memory");
    }
  }
  VerifyState state;
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), untrusted.get()) != 1 ||
      X509_STORE_CTX_set_app_data(ctx.get(), &state) != 1) {
    ERR_clear_error();
    return absl::InternalError("certificate verification: setting up OpenSSL failed");
  }
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), absl::ToTimeT(now));
  X509_STORE_CTX_set_verify_cb(ctx.get(), &VerifyCallback);
  if (X509_verify_cert(ctx.get()) != 1) {
    absl::Status error = ChainError(ctx.get(), cert.get(), state, now, what);
    ERR_clear_error();
    return error;
  }

  VerifiedCertificate out;
  out.key.reset(X509_get_pubkey(cert.get()));
  if (out.key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": OpenSSL cannot read the certificate's public key"));
  }
  out.subject = OneLine(X509_get_subject_name(cert.get()));
  out.common_name = CommonName(X509_get_subject_name(cert.get()));
  const int der_len = i2d_X509(cert.get(), nullptr);
  if (der_len <= 0) return absl::InternalError("certificate verification: DER encoding failed");
  std::vector<uint8_t> der(static_cast<size_t>(der_len));
  uint8_t* p = der.data();
  if (i2d_X509(cert.get(), &p) != der_len) {
    return absl::InternalError("certificate verification: DER encoding failed");
  }
  ASSIGN_OR_RETURN(crypto::Digest digest, crypto::Hash(crypto::HashAlg::kSha256, der));
  out.fingerprint = bytes::ToHex(digest);
  out.not_after = ToTime(X509_get0_notAfter(cert.get()));
  return out;
}

}  // namespace bootgate::enroll
