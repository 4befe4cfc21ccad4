// X.509 certificates made with OpenSSL in the tests: CA chains with chosen validity periods,
// basicConstraints and extensions (TCG subjectDirectoryAttributes, unknown critical ones).
#ifndef BOOTGATE_TESTS_UNIT_ENROLL_CERT_BUILDER_H_
#define BOOTGATE_TESTS_UNIT_ENROLL_CERT_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::enroll::testing {

struct CertSpec {
  std::string common_name = "";  // "" for an empty subject, as TCG EK certificates often have
  bool ca = false;
  int path_length = -1;  // basicConstraints pathLenConstraint of a CA; -1 for none
  absl::Time not_before = absl::FromCivil(absl::CivilDay(2020, 1, 1), absl::UTCTimeZone());
  absl::Time not_after = absl::FromCivil(absl::CivilDay(2040, 1, 1), absl::UTCTimeZone());
  // A critical subjectDirectoryAttributes (2.5.29.9) with one attribute of this type (the TCG
  // TPM specification attribute 2.23.133.2.16 in EK certificates); "" for none.
  std::string directory_attribute_oid = "";
  // An extra critical extension of this OID (value: DER NULL); "" for none.
  std::string critical_extension_oid = "";
};

// A certificate for `key` per `spec`, issued by `issuer` with `issuer_key` (both nullptr:
// self-signed with `key`).
crypto::X509Ptr MakeCertificate(const CertSpec& spec, EVP_PKEY* key, X509* issuer,
                                EVP_PKEY* issuer_key);

std::string ToPem(X509* cert);
std::vector<uint8_t> ToDer(X509* cert);

}  // namespace bootgate::enroll::testing

#endif  // BOOTGATE_TESTS_UNIT_ENROLL_CERT_BUILDER_H_
