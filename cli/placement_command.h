// `bootgate placement HOST`: may a workload be placed on HOST now? (Placement.Get)
// `bootgate placement watch`: follow eligibility changes as they happen (Placement.Watch).
#ifndef BOOTGATE_CLI_PLACEMENT_COMMAND_H_
#define BOOTGATE_CLI_PLACEMENT_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bootgate::cli {

// Registers "placement" on `app`:
//   placement HOST [--json]        exit 0 eligible, 1 not eligible (never attested,
//                                  contraindicated or expired), 2 error
//   placement watch [HOST...] [--group G] [--count N] [--json]
//                                  one line per change (the current state of each host first)
//                                  until N changes or Ctrl-C: exit 0, or 2 when the stream
//                                  fails (server gone: UNAVAILABLE)
void AddPlacementCommand(CLI::App& app, int& exit_code);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_PLACEMENT_COMMAND_H_
