// `bootgate policy push` and `bootgate policy dry-run`: the policy on bootgated
// (PolicyService.Put / DryRun). They join the offline `policy check|validate` group.
#ifndef BOOTGATE_CLI_POLICY_REMOTE_H_
#define BOOTGATE_CLI_POLICY_REMOTE_H_

#include <CLI/CLI.hpp>

namespace bootgate::cli {

// Adds "push FILE" (store and activate; exit 0, or 2 with the server's located errors) and
// "dry-run FILE" (which hosts' verdicts the candidate would change; exit 0, or 2) to the
// existing "policy" group `policy_group`. FILE is protobuf JSON (*.json) or textproto.
void AddPolicyRemoteCommands(CLI::App& policy_group, int& exit_code);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_POLICY_REMOTE_H_
