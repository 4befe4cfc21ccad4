#include "cli/command_tree.h"

#include "absl/strings/str_cat.h"
#include "cli/attest_command.h"
#include "cli/audit_command.h"
#include "cli/baseline_command.h"
#include "cli/enroll_command.h"
#include "cli/eventlog_command.h"
#include "cli/history_command.h"
#include "cli/host_command.h"
#include "cli/placement_command.h"
#include "cli/policy_command.h"
#include "cli/policy_remote.h"
#include "cli/quote_command.h"

namespace bootgate::cli {
namespace {

// Thrown once the whole command line has parsed and its requirements held, before any
// command runs. The commands' callbacks own their options' storage (shared_ptrs they
// capture), so they must stay alive: they are never run rather than removed.
struct ParsedWithoutRunning {};

}  // namespace

void AddAllCommands(CLI::App& app, int& exit_code) {
  app.require_subcommand(1);
  AddEventlogCommand(app, exit_code);
  AddQuoteCommand(app, exit_code);
  AddPolicyCommand(app, exit_code);
  AddBaselineCommand(app, exit_code);
  // The service commands (issue 6); push and dry-run join the offline policy group.
  AddPolicyRemoteCommands(*app.get_subcommand("policy"), exit_code);
  AddEnrollCommand(app, exit_code);
  AddAttestCommand(app, exit_code);
  AddHostCommand(app, exit_code);
  AddPlacementCommand(app, exit_code);
  AddHistoryCommand(app, exit_code);
  AddAuditCommand(app, exit_code);
}

absl::Status DryParse(const std::vector<std::string>& args) {
  CLI::App app{"bootgate"};
  int exit_code = 0;
  AddAllCommands(app, exit_code);
  // The root's parse-complete callback runs after every option is stored and checked, and
  // before any subcommand's callback (CLI::App::run_callback).
  app.parse_complete_callback([] { throw ParsedWithoutRunning{}; });
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(absl::StrCat(e.get_name(), ": ", e.what()));
  } catch (const ParsedWithoutRunning&) {
    return absl::OkStatus();
  }
  return absl::InternalError("the command line parsed, but the dry-run stop did not fire");
}

}  // namespace bootgate::cli
