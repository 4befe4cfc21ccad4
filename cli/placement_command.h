// `bootgate placement HOST`: may a workload be placed on HOST now? (Placement.Get)
#ifndef BOOTGATE_CLI_PLACEMENT_COMMAND_H_
#define BOOTGATE_CLI_PLACEMENT_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bootgate::cli {

// Registers "placement" on `app`. Exit code: 0 eligible, 1 not eligible (never attested,
// contraindicated or expired), 2 error.
void AddPlacementCommand(CLI::App& app, int& exit_code);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_PLACEMENT_COMMAND_H_
