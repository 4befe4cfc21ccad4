// `bootgate quote ...` commands.
#ifndef BOOTGATE_CLI_QUOTE_COMMAND_H_
#define BOOTGATE_CLI_QUOTE_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bootgate::cli {

// Registers the "quote" subcommand group on `app`; when one of its commands runs, it stores
// its exit code (cli/exit_codes.h) in `exit_code`.
void AddQuoteCommand(CLI::App& app, int& exit_code);

}  // namespace bootgate::cli

#endif
