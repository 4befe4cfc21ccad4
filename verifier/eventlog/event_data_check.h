// Checks an event's data against its digests: the event type and data are not covered by
// the PCR, only the digests are, so decoded data can be trusted only where re-hashing it
// gives the logged digest. The rules follow what real firmware, shim and grub measure
// (checked on real boots):
//  - hashed over the whole event data: EV_SEPARATOR, EV_ACTION, EV_EFI_ACTION,
//    EV_EFI_GPT_EVENT, EV_S_CRTM_VERSION, EV_EFI_VARIABLE_DRIVER_CONFIG,
//    EV_EFI_VARIABLE_AUTHORITY (whole UEFI_VARIABLE_DATA; shim's PCR 7 MokListRT /
//    SbatLevel / "Shim" cert events are of this kind too);
//  - EV_EFI_VARIABLE_BOOT and _BOOT2: over VariableData (EDK2, OVMF) or over the whole
//    UEFI_VARIABLE_DATA (the PFP; many PCs' firmware): both are genuine, and `rule` says
//    which one matched (with VariableData only, name and GUID are NOT proven);
//  - EV_EFI_VARIABLE_AUTHORITY whose digest is the hash of its data without the last byte:
//    older shim builds log one byte more than they measured. Accepted as verified with
//    `quirk` = kShimAuthorityTrailingByteQuirk (callers report it); any other shortfall
//    is a mismatch;
//  - every bank must match the same way of hashing (firmware hashes one buffer);
//  - EV_IPL on PCR 8 with a grub prefix ("grub_cmd: ", "kernel_cmdline: ",
//    "module_cmdline: "): over the text after the prefix, without the trailing NUL;
//  - informational (digest is over other bytes, data is display-only): boot
//    applications and drivers (Authenticode), other EV_IPL (grub PCR 9 file loads = file
//    contents; shim PCR 14 MokList etc. = the variable contents; systemd-stub),
//    EV_EVENT_TAG (Linux initrd = file contents), firmware blobs, handoff tables,
//    EV_POST_CODE, EV_S_CRTM_CONTENTS, EV_EFI_HCRTM_EVENT, and every type not listed here;
//  - EV_NO_ACTION: not extended, not applicable.
#ifndef BOOTGATE_VERIFIER_EVENTLOG_EVENT_DATA_CHECK_H_
#define BOOTGATE_VERIFIER_EVENTLOG_EVENT_DATA_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "verifier/eventlog/event.h"

namespace bootgate::eventlog {

enum class DataCheck {
  kVerified,       // re-hashing the data (as the rule says) gives the logged digest
  kMismatch,       // it does not: the data is NOT what was measured; trust nothing in it
  kInformational,  // the digest covers other bytes: the data is display-only
  kNotApplicable,  // EV_NO_ACTION: not extended into any PCR
  kUnchecked,      // the bank's algorithm is unknown to bootgate (or OpenSSL lacks it)
};

// "verified", "MISMATCH", "informational", "n/a", "unchecked".
absl::string_view DataCheckName(DataCheck check);

struct BankDataCheck {
  uint16_t alg_id = 0;  // TPM_ALG_ID of the digest checked
  DataCheck result = DataCheck::kUnchecked;
};

struct EventDataCheck {
  // kMismatch if any bank mismatches; else kVerified if any bank verified; else the rule's
  // kind (kInformational / kNotApplicable), or kUnchecked if no bank could be checked.
  DataCheck overall = DataCheck::kUnchecked;
  std::vector<BankDataCheck> banks;  // in the order of event.digests
  // Which rule applied, e.g. "hash of the whole event data",
  // "hash of VariableData", "hash of the text after \"grub_cmd: \"", "Authenticode hash
  // of the image", or why the data could not be checked ("malformed UEFI_VARIABLE_DATA").
  // When verified, the way of hashing that matched ("hash of VariableData (EDK2/OVMF
  // convention)") where the rule allows several.
  std::string rule;
  // Set when the data verified only through a known measurement bug: its name.
  std::string quirk;
};

// EventDataCheck::quirk for shim's authority events that carry one byte more than measured.
inline constexpr absl::string_view kShimAuthorityTrailingByteQuirk = "shim-authority-trailing-byte";

// Checks `event` per the rules above. Pure; never fails. A payload that the rule needs to
// parse (UEFI_VARIABLE_DATA for _BOOT) and that does not parse gives kMismatch (the logged
// data cannot be what was measured).
EventDataCheck VerifyEventData(const Event& event);

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_EVENT_DATA_CHECK_H_
