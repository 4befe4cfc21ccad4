#include "cli/eventlog_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "cli/boot_chain_view.h"
#include "cli/eventlog_view.h"
#include "cli/exit_codes.h"
#include "cli/file_input.h"
#include "verifier/bootstate/extract.h"
#include "verifier/eventlog/parse.h"

namespace bootgate::cli {
namespace {

struct ShowOptions {
  std::string path;
  bool json = false;
};

bool AnyDataMismatch(const EventlogView& view) {
  for (const eventlog::DecodedEvent& d : view.decoded) {
    if (d.data_check.overall == eventlog::DataCheck::kMismatch) return true;
  }
  return false;
}

// The boot chain as the log alone shows it: every replayed PCR counts as proven, since no
// quote is at hand (`policy check` shows the chain as a quote proves it).
bootstate::BootState LogBootChain(const EventlogView& view) {
  tpm::PcrSelection every_pcr;
  for (const auto& [bank, values] : view.replay->pcrs) {
    tpm::PcrBankSelection selection{.bank = bank, .pcrs = {}};
    for (const auto& [pcr, value] : values) selection.pcrs.push_back(pcr);
    every_pcr.push_back(std::move(selection));
  }
  return bootstate::ExtractBootState(view.log, *view.replay, view.decoded, every_pcr).state;
}

int RunShow(const ShowOptions& options) {
  // The file size is checked before reading, so a huge or sparse file is refused at once.
  absl::StatusOr<std::vector<uint8_t>> bytes =
      ReadFileLimited(options.path, eventlog::ParseLimits{}.max_log_size);
  if (!bytes.ok()) {
    std::cerr << "bootgate: " << bytes.status().message() << "\n";
    return kExitBadInput;
  }
  absl::StatusOr<EventlogView> view = MakeEventlogView(*bytes);
  if (!view.ok()) {
    std::cerr << "bootgate: " << options.path << ": " << view.status().message() << "\n";
    return kExitBadInput;
  }
  if (options.json) {
    nlohmann::ordered_json out = EventlogToJson(*view);
    out["boot_chain"] =
        view->replay.ok() ? BootChainJson(LogBootChain(*view)) : nlohmann::ordered_json(nullptr);
    // Strings decoded from the log may hold invalid UTF-8: replace rather than throw.
    std::cout << out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  } else {
    std::cout << EventlogToTable(*view);
    if (view->replay.ok()) std::cout << "\n" << BootChainTable(LogBootChain(*view));
  }
  if (!view->replay.ok()) {
    std::cerr << "bootgate: " << options.path
              << ": replay failed: " << view->replay.status().message() << "\n";
    return kExitBadInput;
  }
  return AnyDataMismatch(*view) ? kExitRejected : kExitOk;
}

}  // namespace

void AddEventlogCommand(CLI::App& app, int& exit_code) {
  CLI::App* group = app.add_subcommand("eventlog", "Inspect TCG event logs");
  group->require_subcommand(1);

  auto options = std::make_shared<ShowOptions>();
  CLI::App* show = group->add_subcommand(
      "show",
      "Show each event (PCR, type, digests, decoded data, whether the data matches its digest) "
      "and the replayed PCRs. Exit 0, 1 if an event's data does not match its digest, 2 if the "
      "log cannot be parsed or replayed.");
  show->add_option("FILE", options->path,
                   "event log (as /sys/kernel/security/tpm0/binary_bios_measurements gives it)")
      ->required();
  show->add_flag("--json", options->json, "JSON output");
  show->callback([options, &exit_code] { exit_code = RunShow(*options); });
}

}  // namespace bootgate::cli
