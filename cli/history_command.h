// `bootgate history`: stored attestations (History.List / Get / Diff).
#ifndef BOOTGATE_CLI_HISTORY_COMMAND_H_
#define BOOTGATE_CLI_HISTORY_COMMAND_H_

#include <google/protobuf/timestamp.pb.h>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace bootgate::cli {

// Registers the "history" group on `app`:
//   history [--host H | --group G] [--since T] [--until T] [--tier TIER]... [--limit N]
//   history show ID
//   history diff A B
// all with --json. Exit code 0, or 2 on error.
void AddHistoryCommand(CLI::App& app, int& exit_code);

// Parses --since/--until: RFC 3339 ("2024-05-01T12:00:00Z"), a date ("2024-05-01", UTC
// midnight), or a duration back from `now` ("90m", "24h", "24h ago", "7d", "1d12h ago").
// InvalidArgument otherwise.
absl::StatusOr<absl::Time> ParseTimeArg(absl::string_view text, absl::Time now);

// Stores `t` in a request's Timestamp field.
void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_HISTORY_COMMAND_H_
