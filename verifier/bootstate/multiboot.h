// Links grub's load commands (PCR 8) to the files grub measured for them (PCR 9): a
// hypervisor booted with `multiboot2` and its modules (`module2`), the initrd files of an
// `initrd` command, the configuration files of `source`/`configfile`, so that each can be
// pinned by digest even though no EFI LoadImage (PCR 4) measures them. (boot_chain.h links the
// `linux` command the same way.)
//
// Why the link is trustworthy, and how far:
//   - grub (2.02+ with its tpm module, Debian's signed grub) measures each command it runs
//     as "grub_cmd: ..." into PCR 8 before running it, and each file it reads into PCR 9,
//     digest over the file contents. Replay proves the order of events WITHIN each PCR and
//     every digest, but NOT the interleaving of PCR 8 and PCR 9 events in the log: a log
//     writer may move a PCR 9 event before or after a PCR 8 one without changing any PCR.
//   - So the link uses only proven orders: the load commands in PCR 8 order, the files in
//     PCR 9 order, and the path argument of the (verified) command matched against the
//     path label of the file event. The label is NOT covered by the digest; it only picks
//     which of the files grub really read goes with which command.
//   - Consequence: a rewritten log can at most swap the roles of files grub really read and
//     measured (their digests are proven). It cannot introduce an unmeasured file, nor hide
//     a measured one from the role its command gave it unless another measured file with a
//     matching label exists. With every role pinned (hypervisor, dom0 kernel, modules:
//     what `bootgate baseline learn` writes), a swap still needs each file's digest to be in
//     the allow-list of the role it lands in. Leaving modules unpinned weakens this to "the
//     hypervisor and dom0 kernel are files grub read whose digests are allowed".
//   - A command whose file is not found gets GrubLoad::file = nullopt: the policy fails
//     closed on it (nothing proves what was loaded).
#ifndef BOOTGATE_VERIFIER_BOOTSTATE_MULTIBOOT_H_
#define BOOTGATE_VERIFIER_BOOTSTATE_MULTIBOOT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "verifier/bootstate/boot_state.h"

namespace bootgate::bootstate {

// Returns the loads of the last multiboot boot: the last `multiboot2`/`multiboot` command and
// the `module2`/`module` commands after it (grub discards earlier modules when a new
// multiboot kernel is loaded), each with the file it loaded: the next file in `files` (PCR 9
// order), after the file of the previous load, whose path label equals the command's path
// argument (a leading grub device "(hd0,gpt2)" is ignored on both). Options ("--nounzip")
// are skipped to find the path. Empty when `commands` has no multiboot command.
std::vector<GrubLoad> LinkMultibootLoads(const std::vector<GrubCommand>& commands,
                                         const std::vector<BootImage>& files);

// "/boot/xen.gz" for "(hd0,gpt2)/boot/xen.gz"; other paths unchanged.
absl::string_view WithoutGrubDevice(absl::string_view path);

// A grub command's words, split at spaces and tabs as grub splits them ("linux", "/vmlinuz",
// "root=..."). GrubVerb is the first alone, without splitting the rest: most commands are
// looked at only to see that they are not the one wanted.
std::vector<absl::string_view> GrubWords(absl::string_view command);
absl::string_view GrubVerb(absl::string_view command);

// The index of the first file of `files` from `from` on whose path label is `path` (a
// leading grub device ignored on both), or nullopt.
std::optional<size_t> NextFileFor(const std::vector<BootImage>& files, absl::string_view path,
                                  size_t from);

// The initrd of the last Linux boot: the files of grub's last `initrd`/`initrdefi`/`initrd16`
// command after `linux_command_event` (grub's last `linux` command; an initrd command before
// it belongs to an earlier kernel), one load per path argument (grub's `newc:NAME:` prefix
// removed), each linked to the next file with its path after the kernel's file, in PCR 9
// order (`files_from`).
std::vector<GrubLoad> LinkInitrdLoads(const std::vector<GrubCommand>& commands,
                                      uint32_t linux_command_event,
                                      const std::vector<BootImage>& files, size_t files_from);

// The file grub read for `load` (which must have one), named by the path of grub's verified
// command rather than by the file event's label, which no digest covers.
BootImage FileAsCommanded(const GrubLoad& load);

// The configuration files grub read for its `source` and `configfile` commands, each the next
// file in PCR 9 order whose path label is the command's argument.
std::vector<BootImage> LinkConfigFiles(const std::vector<GrubCommand>& commands,
                                       const std::vector<BootImage>& files);

}  // namespace bootgate::bootstate

#endif  // BOOTGATE_VERIFIER_BOOTSTATE_MULTIBOOT_H_
