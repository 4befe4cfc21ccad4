// The policy `bootgate baseline learn` writes: one group that allows exactly the boot chain a
// verified evidence bundle shows. Pure: BootState in, Policy out.
#ifndef BOOTGATE_CLI_BASELINE_LEARN_H_
#define BOOTGATE_CLI_BASELINE_LEARN_H_

#include <string>

#include "bootgate/v1/policy.pb.h"
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
// required PCRs = the quote's selection, the firmware (CRTM version, blob and PCR 0 sha256
// digests), Secure Boot (required iff enabled; PK, KEK, db as measured; dbx must contain every
// measured sha256 entry and at least as many entries; the non-db authorities' certificates),
// every boot loader and the kernel by sha256 Authenticode digest (or, for a multiboot boot,
// the hypervisor, dom0 kernel and other modules by the sha256 of the files grub measured),
// and the exact command line.
// A layer the log shows nothing of (no sha256 bank, no kernel image) is left empty, which the
// policy reports as an empty-baseline-layer finding: learn never allows what it did not see.
v1::Policy LearnPolicy(const bootstate::BootState& state, const tpm::PcrSelection& quoted,
                       const LearnOptions& options);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_BASELINE_LEARN_H_
