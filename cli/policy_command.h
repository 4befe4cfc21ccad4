// `bootgate policy check` (offline verdict for an evidence bundle) and `bootgate policy
// validate` (load and validate a policy file).
#ifndef BOOTGATE_CLI_POLICY_COMMAND_H_
#define BOOTGATE_CLI_POLICY_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bootgate::cli {

// Registers the "policy" subcommand group on `app`; the command that runs stores its exit
// code (cli/exit_codes.h) in `exit_code`: check -> 0 eligible (affirming or warning),
// 1 contraindicated, 2 bad input; validate -> 0 valid, 2 refused.
void AddPolicyCommand(CLI::App& app, int& exit_code);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_POLICY_COMMAND_H_
