// `bootgate audit`: who did what, to which host, when and why (Audit.List).
#ifndef BOOTGATE_CLI_AUDIT_COMMAND_H_
#define BOOTGATE_CLI_AUDIT_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bootgate::cli {

// Registers "audit" on `app`:
//   audit [--host H] [--actor A] [--action X] [--outcome ok|denied|refused] [--since T]
//         [--limit N] [--json]
// Newest first; follows the server's pages until N records (default 100). Exit code 0, or 2
// on error.
void AddAuditCommand(CLI::App& app, int& exit_code);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_AUDIT_COMMAND_H_
