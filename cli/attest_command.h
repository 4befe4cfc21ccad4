// `bootgate attest`: the host agent. Asks bootgated for a challenge, quotes the TPM with the
// persisted AK over SHA-256(token), sends the quote and the event log, prints the verdict.
#ifndef BOOTGATE_CLI_ATTEST_COMMAND_H_
#define BOOTGATE_CLI_ATTEST_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bootgate::cli {

// The kernel's export of the firmware event log.
inline constexpr char kDefaultEventLog[] = "/sys/kernel/security/tpm0/binary_bios_measurements";

// Registers "attest" on `app`; its exit code (cli/exit_codes.h) goes to `exit_code`:
// 0 placement eligible, 1 not eligible, 2 could not attest (server, TPM, usage). With --watch
// it re-attests every interval until SIGINT/SIGTERM and exits with the last attempt's code.
void AddAttestCommand(CLI::App& app, int& exit_code);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_ATTEST_COMMAND_H_
