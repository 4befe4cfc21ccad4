// Internal to verifier/policy: one function per boot layer, each appending the findings of
// `state` against one group's baseline, plus the helpers they share. Evaluate (evaluate.h)
// calls them in layer order.
#ifndef BOOTGATE_VERIFIER_POLICY_RULES_H_
#define BOOTGATE_VERIFIER_POLICY_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "bootgate/v1/policy.pb.h"
#include "verifier/appraisal/finding.h"
#include "verifier/bootstate/boot_state.h"

namespace bootgate::policy::internal {

using appraisal::Finding;
using appraisal::Layer;
using appraisal::Severity;

// The PCRs the rules name in their findings (TCG PC Client PFP, section 3.3.4).
inline constexpr uint32_t kPcr4 = 4;  // boot applications (shim, grub, kernel)
inline constexpr uint32_t kPcr7 = 7;  // Secure Boot policy and authorities
inline constexpr uint32_t kPcr8 = 8;  // grub commands and kernel command line
inline constexpr uint32_t kPcr9 = 9;  // files grub read; load options

// Baselines are SHA-256: the bank every current TPM and log has.
std::optional<std::string> Sha256Hex(const bootstate::EventDigests& digests);

// "3f2a9c01b4de…": enough to recognise a digest in a message; `seen` keeps it whole.
std::string ShortHex(absl::string_view hex);

// "event 26 (EV_EFI_BOOT_SERVICES_APPLICATION, PCR 4): " or "PCR 7: " or "".
std::string Where(std::optional<uint32_t> event_index, absl::string_view event_type,
                  std::optional<uint32_t> pcr);

struct FindingSpec {
  absl::string_view code = {};
  Layer layer = Layer::kPolicy;
  Severity severity = Severity::kContraindicated;
  std::optional<uint32_t> pcr = std::nullopt;
  std::optional<uint32_t> event_index = std::nullopt;
  std::string seen = {};
  std::string allowed = {};
  std::string message = {};
  std::string hint = {};
};
void Add(std::vector<Finding>& out, FindingSpec spec);

// "firmware", "boot_loader", ...: a layer of the group with no allowed values. Returns true
// when the layer is empty (a finding was added: contraindicated, or layer-unpinned warning
// when `unpinned`), so the caller skips its comparisons.
bool EmptyLayer(std::vector<Finding>& out, const v1::HostGroup& group, absl::string_view layer,
                bool empty, bool unpinned);

// A digest the baseline needs but the log lacks in the sha256 bank.
void AddDigestBankMissing(std::vector<Finding>& out, Layer layer, uint32_t pcr,
                          uint32_t event_index, absl::string_view what);

void EvaluateFirmware(const bootstate::FirmwareLayer& fw, const v1::HostGroup& group,
                      std::vector<Finding>& out);
void EvaluateSecureBoot(const bootstate::SecureBootLayer& sb, const v1::HostGroup& group,
                        std::vector<Finding>& out);
void EvaluateBootLoader(const bootstate::BootLoaderLayer& bl, const v1::HostGroup& group,
                        std::vector<Finding>& out);
// boot_loader.grub (grub_rules.cc; called by EvaluateBootLoader).
void EvaluateGrub(const bootstate::BootLoaderLayer& bl, const v1::HostGroup& group,
                  std::vector<Finding>& out);
void EvaluateKernel(const bootstate::KernelLayer& k, const v1::HostGroup& group,
                    std::vector<Finding>& out);
// The command line rules alone (called by EvaluateKernel).
void EvaluateCommandLine(const bootstate::KernelLayer& k, const v1::HostGroup& group,
                         std::vector<Finding>& out);

}  // namespace bootgate::policy::internal

#endif  // BOOTGATE_VERIFIER_POLICY_RULES_H_
