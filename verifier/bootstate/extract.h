// ExtractBootState: the boot chain (boot_state.h), layer by layer, out of an event log that
// replay proved, plus the structural findings of the log itself (separators, misplaced or
// unknown events, Secure Boot configuration measured too late, images after
// ExitBootServices). Pure: no I/O, no clock, never fails.
//
// Preconditions: `replay` is Replay(log) and succeeded, and the caller has checked that the
// replayed PCRs hash to the quote's pcrDigest (CheckPcrDigest) for `quoted`. If replay
// failed (for example an event claiming a PCR outside 0-23, which replay refuses), or the
// PCR digest does not match, the caller never gets here: that evidence proves nothing and is
// a finding of the evidence layer, not of this stage.
//
// What feeds the boot chain (trust rules):
//   - Only events on a PCR that `quoted` covers are considered at all. A PCR is covered when
//     a bank of `quoted` that the log replayed (present in replay.pcrs) lists it; replay
//     extends every event into every bank, so one proven bank proves the PCR's events.
//     Events on a PCR that is not covered prove nothing: their content is never used, no
//     structural rule runs on them, and each such PCR gives one "pcr-not-quoted" finding
//     (warning, evidence layer, naming the PCR, its first event and the event count). A
//     boot-chain layer that only such events would have fed is simply missing from the
//     BootState (e.g. no command line when PCR 8 is not quoted), and the policy, which
//     fails closed on missing layers, decides.
//   - Parsed content (variable values, signature lists, authorities, CRTM version, grub
//     commands and command line, EV_EFI_ACTION texts) is used only when the event's data
//     check is kVerified (DecodedEvent::trusted()).
//   - Boot images (EV_EFI_BOOT_SERVICES_APPLICATION) and firmware blobs feed by digest
//     only (their data check is kInformational): their paths and descriptions are display
//     only. grub's PCR 9 file measurements feed KernelLayer::grub_files the same way.
//
// Findings (appraisal::Finding; `code`, severity, layer), in log order:
//   pcr-not-quoted            warning          evidence     see above
//   event-data-mismatch       contraindicated  event-log    a covered event whose data does not
//                                                           hash to its digest; its content is
//                                                           ignored
//   shim-authority-trailing-byte
//                             info             event-log    an EV_EFI_VARIABLE_AUTHORITY that
//                                                           verifies only without its last byte
//                                                           (older shim; event_data_check.h)
//   unexpected-event          contraindicated  event-log    (PCR, type) pair the TCG PC Client
//                              on PCR 4 and 7,              PFP does not place there
//                              else warning                 (placement.h). On PCRs 4 and 7 the
//                                                           boot chain is read from the event
//                                                           types, and an unplaceable event
//                                                           there could hide an image or a
//                                                           configuration change.
//   missing-separator         contraindicated  event-log    no EV_SEPARATOR in PCR 4 or 7 (the
//                              (PCR 4, 7),                  log cannot show what came before
//                              else warning                 the OS loader took over)
//   duplicate-separator       contraindicated  event-log    a second separator in a PCR 0-7
//   error-separator           contraindicated  event-log    separator 0xFFFFFFFF: the firmware
//                                                           reported an error
//   odd-separator             warning          event-log    a separator value other than 0 or
//                                                           0xFFFFFFFF
//   config-after-separator    contraindicated  secure-boot  EV_EFI_VARIABLE_DRIVER_CONFIG in
//                                                           PCR 7 after its separator; its
//                                                           content is not used
//   duplicate-variable        contraindicated  secure-boot  a Secure Boot variable measured
//                                                           twice before the separator; the
//                                                           first value is kept
//   unexpected-variable       warning          secure-boot  a PCR 7 configuration variable that
//                                                           is not one of SecureBoot, PK, KEK,
//                                                           db, dbx, dbt, dbr, dbtr, SetupMode,
//                                                           AuditMode, DeployedMode (under
//                                                           their UEFI vendor GUIDs)
//   malformed-variable        contraindicated  secure-boot  a Secure Boot variable whose value
//                                                           does not parse (SecureBoot not one
//                                                           byte 0/1, db not signature lists)
//   malformed-authority       contraindicated  secure-boot  a "db" EV_EFI_VARIABLE_AUTHORITY
//                                                           that carries no certificate
//   uefi-debug-mode           contraindicated  secure-boot  EV_EFI_ACTION "UEFI Debug Mode" in
//                                                           PCR 7
//   dma-protection-disabled   warning          secure-boot  EV_EFI_ACTION "DMA Protection
//                                                           Disabled" in PCR 7
//   image-after-exit-boot-services
//                             contraindicated  boot-loader  a PCR 4 boot application after
//                                                           "Exit Boot Services Invocation"
//                                                           (PCR 5); not part of the chain
// Normal post-separator PCR 7 events (EV_EFI_VARIABLE_AUTHORITY: the db certificate that
// verified shim, shim's "Shim" certificate, SbatLevel, MokListRT, MokListXRT, ...) give no
// finding and are recorded in SecureBootLayer::authorities.
//
// Boot loader and kernel: the chain is every PCR 4 boot application before
// ExitBootServices, in load order, split into loaders and the kernel by SplitBootChain
// (boot_chain.h: grub's `linux` command, the only application, or grub that booted no
// kernel). When grub started the kernel without LoadImage (no PCR 4 event), KernelLayer::
// grub_linux holds the PCR 9 file grub read for that command. When grub booted a hypervisor with
// multiboot2 (no LoadImage), every application is a loader, KernelLayer::image is empty and
// KernelLayer::multiboot links the last `multiboot2` command and its `module2` commands to the
// files grub measured for them (multiboot.h says how far that link is trusted).
// grub's commands (PCR 8) go to BootLoaderLayer::grub_commands, the configuration files it read
// for `source`/`configfile` to grub_config_files; the files of its initrd command after the last
// `linux` to KernelLayer::grub_initrd, and an initrd the kernel's EFI stub measured itself (PCR 9
// EV_EVENT_TAG 0x8F3B22EC) to KernelLayer::stub_initrd, by digest only.
#ifndef BOOTGATE_VERIFIER_BOOTSTATE_EXTRACT_H_
#define BOOTGATE_VERIFIER_BOOTSTATE_EXTRACT_H_

#include <span>
#include <vector>

#include "verifier/appraisal/finding.h"
#include "verifier/bootstate/boot_state.h"
#include "verifier/eventlog/decode.h"
#include "verifier/eventlog/parse.h"
#include "verifier/eventlog/replay.h"
#include "verifier/tpm/quote.h"

namespace bootgate::bootstate {

struct BootStateResult {
  BootState state;
  std::vector<appraisal::Finding> findings;  // log order; empty for a conforming log
};

// Extracts the boot chain and the structural findings (see above). `decoded[i]` must be
// DecodeEvent(log.events[i]) (callers that display the log already have them); if
// `decoded` does not have one entry per event, the log is decoded here instead. `quoted`
// is the quote's PCR selection; empty means no PCR is proven (every event gives
// pcr-not-quoted and the BootState holds only `banks`). Borrowed arguments are only read
// during the call.
BootStateResult ExtractBootState(const eventlog::EventLog& log,
                                 const eventlog::ReplayResult& replay,
                                 const std::vector<eventlog::DecodedEvent>& decoded,
                                 const tpm::PcrSelection& quoted);

// The same, with `decoded[i]` pointing at DecodeEvent(log.events[i]) (as DecodeEventCached
// gives them), so that cached decodings are not copied. Every pointer must be non-null.
BootStateResult ExtractBootState(const eventlog::EventLog& log,
                                 const eventlog::ReplayResult& replay,
                                 std::span<const eventlog::DecodedEvent* const> decoded,
                                 const tpm::PcrSelection& quoted);

}  // namespace bootgate::bootstate

#endif  // BOOTGATE_VERIFIER_BOOTSTATE_EXTRACT_H_
