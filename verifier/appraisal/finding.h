// Findings: the vocabulary in which every stage after replay explains itself. A verdict is
// explainable because each finding names the layer, the PCR, the event, what was seen, what
// was allowed, and what an operator can do about it.
#ifndef BOOTGATE_VERIFIER_APPRAISAL_FINDING_H_
#define BOOTGATE_VERIFIER_APPRAISAL_FINDING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace bootgate::appraisal {

// The layers of the boot chain, bottom up, plus the evidence itself.
enum class Layer {
  kEvidence,    // the quote and the log as evidence: signature, nonce, replay, clock
  kEventLog,    // the log's structure: separators, misplaced or unknown events
  kFirmware,    // CRTM version, firmware blobs, PCR 0/2
  kSecureBoot,  // SecureBoot/SetupMode/DeployedMode, PK, KEK, db, dbx, authorities
  kBootLoader,  // shim, grub or another loader (PCR 4 images before the kernel)
  kKernel,      // kernel or hypervisor image (PCR 4) and its command line (PCR 8)
  kPolicy,      // the policy itself: no matching group, empty baseline layer
};

// "evidence", "event-log", "firmware", "secure-boot", "boot-loader", "kernel", "policy".
absl::string_view LayerName(Layer layer);

// What a finding does to the verdict when nothing waives it.
enum class Severity {
  kContraindicated,  // the host must not receive workloads
  kWarning,          // worth an operator's attention; placement still allowed
  kInfo,             // worth knowing (a known firmware or boot loader quirk); no effect on the tier
};

absl::string_view SeverityName(Severity severity);  // "contraindicated", "warning", "info""

struct Finding {
  // Stable, machine-readable kind, used by exceptions to say which finding they waive:
  // "image-not-allowed", "secure-boot-disabled", "config-after-separator", ...
  std::string code;
  Layer layer = Layer::kEvidence;
  Severity severity = Severity::kContraindicated;
  std::optional<uint32_t> pcr;
  std::optional<uint32_t> event_index;
  std::string seen;     // what the evidence shows ("grub sha256 3f2a…")
  std::string allowed;  // what the baseline allows ("baseline debian-12-grub: 2 digests")
  // One line a person can act on: "event 26 (EV_EFI_BOOT_SERVICES_APPLICATION, PCR 4):
  // digest 3f2a… is not an allowed grub (baseline debian-12)".
  std::string message;
  std::string hint;  // what to do if this is expected: "add it with `bootgate baseline add-image`"
  // Set when an exception waives this finding: its name. A waived finding stays in the
  // verdict (nothing is hidden) but no longer contraindicates.
  std::optional<std::string> waived_by;
};

}  // namespace bootgate::appraisal

#endif  // BOOTGATE_VERIFIER_APPRAISAL_FINDING_H_
