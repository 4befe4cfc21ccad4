#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"bootgate: measured-boot attestation"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
