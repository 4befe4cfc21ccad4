// `bootgate host add|show`: the host registry (Hosts.Register / Hosts.Get).
#ifndef BOOTGATE_CLI_HOST_COMMAND_H_
#define BOOTGATE_CLI_HOST_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bootgate::cli {

// Registers the "host" group on `app`: `host add HOST --ak AK.pub [--group G]` (register or
// replace the host's AK: PEM or TPM2B_PUBLIC), `host show HOST`. Exit code: 0 done, 2 error
// (the server's status code name and message on stderr).
void AddHostCommand(CLI::App& app, int& exit_code);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_HOST_COMMAND_H_
