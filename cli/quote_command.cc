#include "cli/quote_command.h"

namespace bootgate::cli {

void AddQuoteCommand(CLI::App& app, int& exit_code) {
  (void)app;
  (void)exit_code;
}

}  // namespace bootgate::cli
