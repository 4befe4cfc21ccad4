// What enrollment trusts, loaded at start from ServerConfig.enrollment (and again on SIGHUP):
// the TPM manufacturers' EK CA bundles and the CAs that issue vTPM AK certificates.
#ifndef BOOTGATE_SERVER_BOOTGATED_ENROLLMENT_TRUST_H_
#define BOOTGATE_SERVER_BOOTGATED_ENROLLMENT_TRUST_H_

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootgate/v1/config.pb.h"
#include "server/bootgated/swappable.h"
#include "verifier/enroll/certificate_chain.h"

namespace bootgate::service {

struct EnrollmentTrust {
  std::optional<enroll::TrustBundle> ek_cas;  // nullopt: no EK CA configured (EK path refused)
  std::optional<enroll::TrustBundle> ak_cas;  // nullopt: AK certificates refused
  absl::Duration pending_ttl = absl::Minutes(5);
};

// Reads every configured bundle. NotFound / InvalidArgument naming the file that cannot be read
// or holds no certificate: a server must not start with a trust anchor it cannot use.
absl::StatusOr<EnrollmentTrust> LoadEnrollmentTrust(const v1::EnrollmentConfig& config);

// The trust in use, replaced whole on reload: a call keeps the one it got for its whole run.
using EnrollmentTrustHolder = Swappable<EnrollmentTrust>;

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_ENROLLMENT_TRUST_H_
