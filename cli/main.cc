// bootgate: the operator and agent command line. Each command group lives in its own file.
#include <CLI/CLI.hpp>
#include <cstdlib>

#include "cli/attest_command.h"
#include "cli/audit_command.h"
#include "cli/baseline_command.h"
#include "cli/enroll_command.h"
#include "cli/eventlog_command.h"
#include "cli/exit_codes.h"
#include "cli/history_command.h"
#include "cli/host_command.h"
#include "cli/placement_command.h"
#include "cli/policy_command.h"
#include "cli/policy_remote.h"
#include "cli/quote_command.h"

int main(int argc, char** argv) {
  // tss2-mu logs every unmarshalling failure to stderr; for hostile input that is noise next
  // to bootgate's own one-line error. A user who wants the library's log sets TSS2_LOG.
  setenv("TSS2_LOG", "all+none", /*overwrite=*/0);
  CLI::App app{"bootgate: measured-boot attestation verifier"};
  app.require_subcommand(1);
  int exit_code = bootgate::cli::kExitOk;
  bootgate::cli::AddEventlogCommand(app, exit_code);
  bootgate::cli::AddQuoteCommand(app, exit_code);
  bootgate::cli::AddPolicyCommand(app, exit_code);
  bootgate::cli::AddBaselineCommand(app, exit_code);
  // The service commands (issue 6); push and dry-run join the offline policy group.
  bootgate::cli::AddPolicyRemoteCommands(*app.get_subcommand("policy"), exit_code);
  bootgate::cli::AddEnrollCommand(app, exit_code);
  bootgate::cli::AddAttestCommand(app, exit_code);
  bootgate::cli::AddHostCommand(app, exit_code);
  bootgate::cli::AddPlacementCommand(app, exit_code);
  bootgate::cli::AddHistoryCommand(app, exit_code);
  bootgate::cli::AddAuditCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? bootgate::cli::kExitOk : bootgate::cli::kExitBadInput;
  }
  return exit_code;
}
