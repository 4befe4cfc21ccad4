// Which PCR 4 boot application is the kernel and which are boot loaders, from what the log
// says about each image, never from one assumed order. Built on what real firmware, shim
// and grub log (captured real boots: tests/data/realboot/):
//   - Debian's grub 2.06 under shim: shim and grub are applications; grub then logs
//     `grub_cmd: linux /vmlinuz ...` (PCR 8), the file /vmlinuz (PCR 9), and the kernel's
//     application (PCR 4, Authenticode digest, zero-length device path: loaded from
//     memory; sometimes twice in a row with the same digest) BEFORE its PCR 8
//     `kernel_cmdline:`. So the kernel is the last application logged after grub's last
//     `linux`/`linuxefi` command, whatever comes after it.
//   - A kernel started by the firmware itself (EFI stub, no loader) is the only
//     application: it is the kernel. The same holds for the last application of a chain
//     whose loaders measure no grub strings (systemd-boot -> kernel, shim -> kernel).
//   - grub that measured commands but no `linux` command (a multiboot hypervisor, a
//     chainloaded image): every application is a loader; the kernel, if any, is known
//     from grub's PCR 9 files (multiboot.h).
//
// Trust: the set of PCR 4 applications, their digests and their order are proven by
// replay; their position relative to PCR 8 events (the interleaving of PCRs in the log) is
// not. A rewritten log can therefore at most move proven images between the loader and
// kernel roles, and each image is still checked against the allow-list of the role it
// lands in: with disjoint lists (what `baseline learn` and `add-image --layer` write) a
// moved image is a finding, never a pass. Device paths are display only.
#ifndef BOOTGATE_VERIFIER_BOOTSTATE_BOOT_CHAIN_H_
#define BOOTGATE_VERIFIER_BOOTSTATE_BOOT_CHAIN_H_

#include <optional>
#include <string>
#include <vector>

#include "verifier/bootstate/boot_state.h"
#include "verifier/bootstate/multiboot.h"

namespace bootgate::bootstate {

struct BootChainEvidence {
  // PCR 4 EV_EFI_BOOT_SERVICES_APPLICATION events before ExitBootServices, PCR 4 order.
  std::vector<BootImage> applications;
  // Verified grub_cmd events (PCR 8), in PCR 8 order.
  std::vector<GrubCommand> grub_commands;
  // True when any verified grub string (command or kernel_cmdline) was measured.
  bool grub_measured = false;
  // Files grub read (PCR 9), PCR 9 order.
  std::vector<BootImage> grub_files;
};

struct BootChainSplit {
  std::vector<BootImage> loaders;  // load order
  std::optional<BootImage> kernel;
  // How the kernel was identified, or why there is none: shown in verdicts and
  // `eventlog show`, e.g. "the boot application grub loaded after `linux /vmlinuz`
  // (event 30)".
  std::string kernel_reason;
  // grub's last `linux`/`linuxefi` command, with the last PCR 9 file whose path label is
  // its path argument (nullopt `file` when none is).
  std::optional<GrubLoad> grub_linux;
};

// Splits the applications into loaders and kernel by the rules above. A run of identical
// digests at the kernel's place is one image: the first event is the kernel, the others
// are listed in BootImage::repeated_in. A kernel loaded from memory (no file in its device
// path) takes the path of grub's `linux` command for display.
BootChainSplit SplitBootChain(BootChainEvidence evidence);

// The path argument of a grub `linux`, `linuxefi` or `linux16` command ("/vmlinuz" for
// "linux /vmlinuz root=..."), or nullopt when `command` is not one.
std::optional<std::string> GrubLinuxPath(absl::string_view command);

}  // namespace bootgate::bootstate

#endif  // BOOTGATE_VERIFIER_BOOTSTATE_BOOT_CHAIN_H_
