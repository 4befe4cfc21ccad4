// The whole `bootgate` command tree (CLI11), built apart from main() so that tests can parse a
// command line with the real parser without running it (hints in findings name commands that
// must parse: tests/unit/policy/hints_test.cc).
#ifndef BOOTGATE_CLI_COMMAND_TREE_H_
#define BOOTGATE_CLI_COMMAND_TREE_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace bootgate::cli {

// Adds every bootgate command to `app`; the command that runs sets `exit_code`.
void AddAllCommands(CLI::App& app, int& exit_code);

// Parses `args` (without the program name, e.g. {"baseline", "learn", "DIR"}) with the real
// command tree, every command's action removed: nothing runs, nothing is read. OK when the
// command line parses; InvalidArgument with CLI11's message otherwise (unknown command or
// flag, missing required argument, bad value). `--help` is refused too.
absl::Status DryParse(const std::vector<std::string>& args);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_COMMAND_TREE_H_
