// What `bootgate eventlog show` displays: a parsed log, each event decoded, and the replay
// (or why it failed), rendered as a table for people or as JSON for scripts.
#ifndef BOOTGATE_CLI_EVENTLOG_VIEW_H_
#define BOOTGATE_CLI_EVENTLOG_VIEW_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/eventlog/decode.h"
#include "verifier/eventlog/parse.h"
#include "verifier/eventlog/replay.h"

namespace bootgate::cli {

struct EventlogView {
  eventlog::EventLog log;
  std::vector<eventlog::DecodedEvent> decoded;    // decoded[i] is log.events[i]
  absl::StatusOr<eventlog::ReplayResult> replay;  // an error when the log cannot be replayed
};

// Parses, decodes and replays `bytes`. Only a parse error fails; a replay error is kept in
// the view (the events are still worth showing).
absl::StatusOr<EventlogView> MakeEventlogView(std::span<const uint8_t> bytes);

// {"format", "spec_id", "padding", "events": [...], "pcrs": {bank: {pcr: hex}}} with every
// PCR 0-23 of every replayed bank; "pcrs" is null and "replay_error" set when replay failed.
nlohmann::ordered_json EventlogToJson(const EventlogView& view);

// The events as a table (index, PCR, type, short digests per bank, data check, summary),
// then the replayed value of each PCR that an event fed.
std::string EventlogToTable(const EventlogView& view);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_EVENTLOG_VIEW_H_
