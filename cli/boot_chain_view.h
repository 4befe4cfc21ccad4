// Rendering of the boot chain (bootstate::BootState) that `eventlog show` and `policy check`
// print: which image is shim, grub or another loader, which is the kernel and why, with the
// Authenticode digests that baselines pin.
#ifndef BOOTGATE_CLI_BOOT_CHAIN_VIEW_H_
#define BOOTGATE_CLI_BOOT_CHAIN_VIEW_H_

#include <nlohmann/json.hpp>
#include <string>

#include "verifier/bootstate/boot_state.h"

namespace bootgate::cli {

// {"secure_boot": true|false|null, "boot_loaders": [image...], "kernel": image|null,
//  "kernel_reason", "command_line": string|null, "command_line_event": number|null,
//  "arguments": [{"name", "value" (absent when the argument has none), "text"}]|null (the
//  command line split as the kernel splits it: bootstate/kernel_cmdline.h),
//  "load_options": image|null (the EFI stub's digest of the command line, when no loader
//  logged it as text),
//  "initrd": [{"path" (grub's initrd command), "command_event", "file": image|null}],
//  "stub_initrd": image|null (the initrd the EFI stub measured itself),
//  "grub_commands": [{"event_index", "text"}], "grub_config_files": [image...]}
// where image = {"event_index", "path", "from_memory", "repeated_in": [...],
//                "sha256": hex|null, "digests": {"sha1": hex, ...}}.
nlohmann::ordered_json BootChainJson(const bootstate::BootState& state);

// The same for a terminal: one line per image ("boot loader  event 12  shimx64.efi
// sha256 …"), grub's command count and configuration files, the kernel with how it was
// identified, the initrd files, the command line and its arguments as
// the kernel splits them ("[root=UUID=3f7c] [x=\"a b\"]").
std::string BootChainTable(const bootstate::BootState& state);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_BOOT_CHAIN_VIEW_H_
