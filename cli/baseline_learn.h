// The policy `bootgate baseline learn` writes: one group that allows exactly the boot chain a
// verified evidence bundle shows. Pure: BootState in, Policy out.
#ifndef BOOTGATE_CLI_BASELINE_LEARN_H_
#define BOOTGATE_CLI_BASELINE_LEARN_H_

#include <string>

#include "bootgate/v1/policy.pb.h"
#include "cli/pcr_defaults.h"
#include "verifier/bootstate/boot_state.h"
#include "verifier/tpm/quote.h"

namespace bootgate::cli {

struct LearnOptions {
  std::string policy_name;  // default "learned-<group>"
  std::string version;      // required
  std::string group;        // required
  std::string host_id;      // required
  int64_t verdict_ttl_seconds = 3600;
};

// Returns a policy with one group for `host_id`: required banks = the replayed banks,
// required PCRs = kBootChainPcrs as far as the quote covered them, in each quoted bank the log
// replayed (so the source evidence passes, and so does `bootgate attest` with its default
// selection on the same host; a quote of sha1:0-9 gives "sha1:0-9", never "sha256:..."), the
// firmware (CRTM version, blob and PCR 0 sha256
// digests), Secure Boot (`required` as the log shows it: true when enabled, an explicit false
// when disabled, unset when not measured; PK, KEK, db as measured; dbx must contain every
// measured sha256 entry and at least as many entries; the non-db authorities' certificates),
// every boot loader and the kernel by sha256 Authenticode digest (or, for a multiboot boot,
// the hypervisor, dom0 kernel and other modules by the sha256 of the files grub measured),
// the initrd (the sha256 of each file grub loaded for it and of the one the EFI stub
// measured), the exact command line, and grub's exact command sequence with the
// configuration files it read (sha256 of each).
// A layer the log shows nothing of (no sha256 bank, no kernel image) is left empty, which the
// policy reports as an empty-baseline-layer finding: learn never allows what it did not see.
v1::Policy LearnPolicy(const bootstate::BootState& state, const tpm::PcrSelection& quoted,
                       const LearnOptions& options);

// The policy as textproto, with a comment above each `required: false` saying that Secure Boot
// was off on the source host and is not required.
std::string LearnedPolicyText(const v1::Policy& policy);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_BASELINE_LEARN_H_
