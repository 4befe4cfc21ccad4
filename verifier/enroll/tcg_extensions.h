// Which critical X.509 extensions OpenSSL does not handle bootgate still accepts: the TCG
// subjectDirectoryAttributes (2.5.29.9) of EK certificates, when every attribute in it is a
// TCG one (2.23.133.*: TPM specification, TPM security assertions). Internal to
// verifier/enroll.
#ifndef BOOTGATE_VERIFIER_ENROLL_TCG_EXTENSIONS_H_
#define BOOTGATE_VERIFIER_ENROLL_TCG_EXTENSIONS_H_

#include <openssl/x509.h>

#include "absl/status/status.h"

namespace bootgate::enroll {

// OK when every critical extension of `cert` is one OpenSSL handles or a TCG
// subjectDirectoryAttributes; otherwise PermissionDenied naming the first other one
// ("unhandled critical extension 1.2.3.4").
absl::Status CheckCriticalExtensions(X509* cert);

}  // namespace bootgate::enroll

#endif  // BOOTGATE_VERIFIER_ENROLL_TCG_EXTENSIONS_H_
