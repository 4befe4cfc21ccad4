// EK and AK certificates: trust bundles of CA certificates and verification of a leaf
// certificate's chain to one of their roots at a given instant, with the TCG EK
// certificates' critical extensions accepted and nothing else that OpenSSL does not handle.
#ifndef BOOTGATE_VERIFIER_ENROLL_CERTIFICATE_CHAIN_H_
#define BOOTGATE_VERIFIER_ENROLL_CERTIFICATE_CHAIN_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::enroll {

// CA certificates an operator trusts for one purpose (TPM manufacturers' EK CAs, or the CA
// that issues cloud vTPM AK certificates). A bundle holds roots (self-signed, trusted) and
// intermediates (used to build chains, never trusted alone).
class TrustBundle {
 public:
  // PEM text with one or more certificates ("what" names the source in errors: the file name).
  // InvalidArgument for PEM that holds no certificate, a malformed one, or a certificate that
  // is not a CA (basicConstraints CA:FALSE, or a v3 certificate without it).
  static absl::StatusOr<TrustBundle> FromPem(absl::string_view pem, absl::string_view what);

  TrustBundle() = default;
  TrustBundle(TrustBundle&&) = default;
  TrustBundle& operator=(TrustBundle&&) = default;

  void Add(TrustBundle other);  // merge bundles from several files

  const std::vector<crypto::X509Ptr>& roots() const { return roots_; }
  const std::vector<crypto::X509Ptr>& intermediates() const { return intermediates_; }

 private:
  std::vector<crypto::X509Ptr> roots_;
  std::vector<crypto::X509Ptr> intermediates_;
};

struct VerifiedCertificate {
  crypto::EvpPkeyPtr key;  // the leaf's public key
  std::string subject;  // one-line subject ("CN=..., O=...") or "" when empty (EK certs often are)
  std::string common_name;  // CN or ""
  std::string fingerprint;  // hex SHA-256 of the leaf DER
  absl::Time not_after;
};

// The largest leaf certificate VerifyCertificateChain reads.
inline constexpr size_t kMaxCertificateBytes = 16 * 1024;

// Verifies a leaf certificate (DER or PEM, at most 16 KiB) chains to a root of `bundle` at
// instant `now` (X509_VERIFY_PARAM_set_time): signatures, validity periods of every
// certificate, CA basicConstraints. TCG EK certificates mark extensions OpenSSL does not know as
// critical (subjectDirectoryAttributes 2.5.29.9 with TPM spec/security attributes): accept
// exactly those TCG ones, refuse any other unhandled critical extension. Errors:
// InvalidArgument for bytes that are not a certificate; PermissionDenied for a certificate that
// does not verify, with OpenSSL's reason and the subject/issuer, e.g.
// "EK certificate (issuer CN=swtpm-localca) does not chain to a trusted CA: unable to get local
// issuer certificate" "EK certificate expired at 2021-01-01T00:00:00Z (now 2026-...)" — `what` is
// "EK certificate"/"AK certificate".
absl::StatusOr<VerifiedCertificate> VerifyCertificateChain(std::span<const uint8_t> leaf,
                                                           const TrustBundle& bundle,
                                                           absl::Time now, absl::string_view what);

}  // namespace bootgate::enroll

#endif  // BOOTGATE_VERIFIER_ENROLL_CERTIFICATE_CHAIN_H_
