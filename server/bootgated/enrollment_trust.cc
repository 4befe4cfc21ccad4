#include "server/bootgated/enrollment_trust.h"

#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/duration.pb.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::service {
namespace {

constexpr size_t kMaxBundleBytes = 4 << 20;

absl::StatusOr<std::optional<enroll::TrustBundle>> LoadBundles(
    const google::protobuf::RepeatedPtrField<std::string>& files, const char* field) {
  std::optional<enroll::TrustBundle> out;
  for (const std::string& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", field, " ", path));
    std::string pem;
    pem.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (pem.size() > kMaxBundleBytes) {
      return absl::InvalidArgumentError(absl::StrCat(field, " ", path, " is larger than 4 MiB"));
    }
    ASSIGN_OR_RETURN(enroll::TrustBundle bundle, enroll::TrustBundle::FromPem(pem, path));
    if (out) {
      out->Add(std::move(bundle));
    } else {
      out = std::move(bundle);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<EnrollmentTrust> LoadEnrollmentTrust(const v1::EnrollmentConfig& config) {
  EnrollmentTrust trust;
  ASSIGN_OR_RETURN(trust.ek_cas, LoadBundles(config.ek_ca_files(), "enrollment.ek_ca_files"));
  ASSIGN_OR_RETURN(trust.ak_cas, LoadBundles(config.ak_ca_files(), "enrollment.ak_ca_files"));
  if (config.has_pending_ttl()) {
    trust.pending_ttl = absl::Seconds(config.pending_ttl().seconds()) +
                        absl::Nanoseconds(config.pending_ttl().nanos());
  }
  if (trust.pending_ttl <= absl::ZeroDuration() || trust.pending_ttl > absl::Hours(24)) {
    return absl::InvalidArgumentError("enrollment.pending_ttl must be between 0 and 24 hours");
  }
  return trust;
}

}  // namespace bootgate::service
