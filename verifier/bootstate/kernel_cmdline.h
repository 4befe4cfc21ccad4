// A kernel command line split into arguments exactly as Linux splits it (lib/cmdline.c
// next_arg(), used by parse_args() in kernel/params.c for every boot parameter), so that an
// argument holding a quoted space is one argument everywhere bootgate shows or judges it:
// grub's `kernel_cmdline:` event (grub quotes an argument holding a space as a whole,
// `"name=a b"`, and escapes \ ' " with a backslash: grub-core/lib/cmdline.c), the EFI stub's
// load options, /proc/cmdline, policy rules (`required_args`, `forbidden_args`, `exact`),
// findings and `history diff`. grub's `grub_cmd: linux ...` event shows the same argument
// unquoted and cannot be split reliably: it is never split into arguments.
#ifndef BOOTGATE_VERIFIER_BOOTSTATE_KERNEL_CMDLINE_H_
#define BOOTGATE_VERIFIER_BOOTSTATE_KERNEL_CMDLINE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace bootgate::bootstate {

struct KernelArg {
  std::string name;                  // before the first '=' ("root", "quiet")
  std::optional<std::string> value;  // after it, without the quotes the kernel strips
  // Canonical text, for display and messages: `name`, `name=value`, or `name="a b"` when the
  // value (or a name without value) holds whitespace.
  std::string text;
};

// Splits `cmdline` as the kernel does. Bounded by the input: linear time, no recursion.
std::vector<KernelArg> SplitKernelCmdline(absl::string_view cmdline);

// The same argument to the kernel: equal values, and names equal once '-' and '_' are taken
// as the same character (kernel/params.c parameq()).
bool SameArg(const KernelArg& a, const KernelArg& b);

// Arguments of `after` that `before` lacks (added) and the reverse (removed), as multisets in
// command-line order; `reordered` when neither has any but the order differs.
struct KernelArgsDiff {
  std::vector<KernelArg> added;
  std::vector<KernelArg> removed;
  bool reordered = false;
  bool empty() const { return added.empty() && removed.empty() && !reordered; }
};
KernelArgsDiff DiffKernelArgs(const std::vector<KernelArg>& before,
                              const std::vector<KernelArg>& after);

}  // namespace bootgate::bootstate

#endif  // BOOTGATE_VERIFIER_BOOTSTATE_KERNEL_CMDLINE_H_
