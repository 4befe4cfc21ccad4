// Judges a boot chain (BootState) against the baselines of the host's group: one finding per
// deviation, each naming layer, PCR, event, what was seen, what was allowed, and a hint.
// Fail closed: a host in no group, an empty baseline layer, or a layer the log does not show
// are findings that contraindicate, never silent passes.
#ifndef BOOTGATE_VERIFIER_POLICY_EVALUATE_H_
#define BOOTGATE_VERIFIER_POLICY_EVALUATE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "bootgate/v1/policy.pb.h"
#include "verifier/appraisal/finding.h"
#include "verifier/bootstate/boot_state.h"
#include "verifier/crypto/hash.h"

namespace bootgate::policy {

// Which group lists each host, built once for a policy that judges many hosts (a push over a
// fleet: FindGroup scans every group's hosts, and a policy may list a hundred thousand). Holds
// pointers into `policy`, which must outlive it unchanged.
class HostGroupIndex {
 public:
  explicit HostGroupIndex(const v1::Policy& policy);
  // FindGroup(policy, host_id), without the scan.
  const v1::HostGroup* Find(const std::string& host_id) const;

 private:
  std::unordered_map<std::string_view, const v1::HostGroup*> groups_;
};

struct EvaluationContext {
  std::string host_id;
  // The policy's HostGroupIndex, or nullptr: FindGroup scans the policy.
  const HostGroupIndex* groups = nullptr;
  // The quote's clockInfo.safe; nullopt when there is no quote to judge (nothing checked).
  // false -> "clock-not-safe", a warning: the TPM clock may have rolled back (power lost before
  // it was persisted), which is not itself evidence of tampering; the service adds the
  // checks that need history (reset/restart counts).
  std::optional<bool> clock_safe;
  // The PCRs the quote covered, per bank; nullopt: required_pcrs is not checked here.
  std::optional<std::map<crypto::HashAlg, std::set<uint32_t>>> quoted_pcrs;
  // The verifier never reads a clock: the caller injects "now".
  absl::Time now = absl::InfinitePast();
};

// Returns the group listing `host_id`, or nullptr. (Validation guarantees at most one.)
const v1::HostGroup* FindGroup(const v1::Policy& policy, const std::string& host_id);
// The same answer, from `index` (built from `policy`) when it is not nullptr.
const v1::HostGroup* FindGroup(const v1::Policy& policy, const std::string& host_id,
                               const HostGroupIndex* index);

// Returns the findings of `state` against the group of `context.host_id`, in layer order
// (evidence, firmware, secure boot, boot loader, kernel, policy). Codes (all contraindicated
// unless noted):
//   policy:      no-policy-for-host, empty-baseline-layer, layer-unpinned (warning)
//   evidence:    clock-not-safe (warning), bank-missing, pcr-not-quoted,
//                digest-bank-missing (the log has no sha256 digest to compare with a baseline)
//   firmware:    crtm-version-not-allowed, firmware-not-allowed (blob), pcr0-not-allowed
//   secure-boot: secure-boot-not-measured, secure-boot-disabled, secure-boot-setup-mode,
//                secure-boot-not-required (warning: `required: false` and Secure Boot is off),
//                pk-not-allowed, kek-not-allowed, db-cert-not-allowed, dbx-missing-revocation,
//                dbx-too-small, authority-not-in-db (a certificate the measured db holds but
//                the baseline's db does not, or a db authority without a certificate),
//                authority-not-in-measured-db (one the measured db does not hold: the log
//                contradicts itself), authority-not-allowed
//   boot-loader: image-not-allowed, boot-loader-missing (the kernel started with no loader while
//                the baseline lists loaders), grub-command-added, grub-command-removed,
//                grub-command-changed (grub's commands against the learned sequence, aligned by
//                content), grub-command-not-allowed (against command_patterns),
//                grub-config-changed (info: a grub.cfg not learned, every command as learned)
//   kernel:      kernel-not-measured, kernel-not-allowed, hypervisor-not-allowed,
//                dom0-kernel-not-allowed, dom0-kernel-not-measured, module-not-allowed,
//                multiboot-file-not-measured, initrd-not-allowed, initrd-not-measured (grub's
//                initrd command with no PCR 9 file), cmdline-not-measured,
//                cmdline-mismatch, cmdline-missing-arg, cmdline-forbidden-arg
// Every rule of a layer is checked even when another rule of it fails (an empty kernel image
// list still reports the command line's findings). Every hint names only fields, flags and
// commands that exist (tests/unit/policy/hints_test.cc checks each).
// Findings are not yet filtered by exceptions (exceptions.h).
std::vector<appraisal::Finding> Evaluate(const bootstate::BootState& state,
                                         const EvaluationContext& context,
                                         const v1::Policy& policy);

}  // namespace bootgate::policy

#endif  // BOOTGATE_VERIFIER_POLICY_EVALUATE_H_
