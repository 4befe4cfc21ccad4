// An evidence bundle directory (cli/bundle.h) turned into the verifier's Evidence, with the
// AK parsed. Shared by `policy check` and `baseline learn`.
#ifndef BOOTGATE_CLI_BUNDLE_EVIDENCE_H_
#define BOOTGATE_CLI_BUNDLE_EVIDENCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/bundle.h"
#include "verifier/appraisal/appraise_evidence.h"
#include "verifier/tpm/ak_public.h"

namespace bootgate::cli {

// Owns the bytes and the key that `evidence` borrows; not copyable or movable once
// `evidence` points into it (hence the unique_ptr from LoadBundleEvidence).
struct BundleEvidence {
  EvidenceBundle bundle;
  tpm::AkPublic ak;
  appraisal::Evidence evidence;
};

// Loads the bundle in `dir` and parses its AK. Errors as LoadEvidenceBundle, plus
// InvalidArgument "<ak path>: ..." for an unreadable AK.
absl::StatusOr<std::unique_ptr<BundleEvidence>> LoadBundleEvidence(const std::string& dir);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_BUNDLE_EVIDENCE_H_
