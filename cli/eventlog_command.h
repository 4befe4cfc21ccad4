// `bootgate eventlog ...` commands.
#ifndef BOOTGATE_CLI_EVENTLOG_COMMAND_H_
#define BOOTGATE_CLI_EVENTLOG_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bootgate::cli {

// Registers the "eventlog" subcommand group on `app`; when one of its commands runs, it stores
// its exit code (cli/exit_codes.h) in `exit_code`.
void AddEventlogCommand(CLI::App& app, int& exit_code);

}  // namespace bootgate::cli

#endif
