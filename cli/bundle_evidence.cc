#include "cli/bundle_evidence.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::cli {

absl::StatusOr<std::unique_ptr<BundleEvidence>> LoadBundleEvidence(const std::string& dir) {
  auto out = std::make_unique<BundleEvidence>();
  ASSIGN_OR_RETURN(out->bundle, LoadEvidenceBundle(dir));
  absl::StatusOr<tpm::AkPublic> ak = tpm::ParseAkPublic(out->bundle.ak);
  if (!ak.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(out->bundle.ak_path, ": ", ak.status().message()));
  }
  out->ak = *std::move(ak);
  const EvidenceBundle& b = out->bundle;
  out->evidence.message = b.message;
  out->evidence.signature = b.signature;
  out->evidence.ak = out->ak.key.get();
  if (b.eventlog.has_value()) out->evidence.event_log = std::span<const uint8_t>(*b.eventlog);
  if (b.pcrs.has_value()) out->evidence.pcr_file = std::span<const uint8_t>(*b.pcrs);
  return out;
}

}  // namespace bootgate::cli
