// `bootgate baseline add-image` (Authenticode digests of PE files, optionally added to a
// policy's boot-loader or kernel baseline) and `bootgate baseline learn` (a policy that allows
// exactly the boot chain of a golden host's evidence bundle).
#ifndef BOOTGATE_CLI_BASELINE_COMMAND_H_
#define BOOTGATE_CLI_BASELINE_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bootgate::cli {

// Registers the "baseline" subcommand group on `app`; the command that runs stores its exit
// code in `exit_code`: 0 done, 1 (learn) the evidence does not verify or the boot is not
// clean, 2 bad input.
void AddBaselineCommand(CLI::App& app, int& exit_code);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_BASELINE_COMMAND_H_
