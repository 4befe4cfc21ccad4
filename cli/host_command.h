// `bootgate host add|show|list|revoke|reenroll|ack-rollback`: the host registry and the AK
// lifecycle (Hosts.Register / Get / List / Revoke / AllowReenroll / AcknowledgeRollback).
#ifndef BOOTGATE_CLI_HOST_COMMAND_H_
#define BOOTGATE_CLI_HOST_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bootgate::cli {

// Registers the "host" group on `app`:
//   host add HOST --ak AK.pub [--group G] [--reason TEXT]   register by hand (the lab path)
//   host show HOST                                          one host, its binding and status
//   host list                                               every host, one row each
//   host revoke HOST --reason TEXT                          revoke the host's AK
//   host reenroll HOST --reason TEXT                        let the next enrollment rebind it
//   host ack-rollback HOST --reason TEXT                    acknowledge a caught TPM rollback
// all with --json. Exit code: 0 done, 2 error (the server's status code name and message on
// stderr).
void AddHostCommand(CLI::App& app, int& exit_code);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_HOST_COMMAND_H_
