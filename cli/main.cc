// bootgate: the operator and agent command line. Each command group lives in its own file.
#include <CLI/CLI.hpp>
#include <cstdlib>

#include "bootgate_version.h"
#include "cli/command_tree.h"
#include "cli/exit_codes.h"

int main(int argc, char** argv) {
  // tss2-mu logs every unmarshalling failure to stderr; for hostile input that is noise next
  // to bootgate's own one-line error. A user who wants the library's log sets TSS2_LOG.
  setenv("TSS2_LOG", "all+none", /*overwrite=*/0);
  CLI::App app{"bootgate: measured-boot attestation verifier"};
  app.set_version_flag("--version", "bootgate " BOOTGATE_VERSION " (" BOOTGATE_GIT_REVISION ")");
  int exit_code = bootgate::cli::kExitOk;
  bootgate::cli::AddAllCommands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? bootgate::cli::kExitOk : bootgate::cli::kExitBadInput;
  }
  return exit_code;
}
