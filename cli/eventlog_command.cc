#include "cli/eventlog_command.h"

namespace bootgate::cli {

void AddEventlogCommand(CLI::App& app, int& exit_code) {
  (void)app;
  (void)exit_code;
}

}  // namespace bootgate::cli
