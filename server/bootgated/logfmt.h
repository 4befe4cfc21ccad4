// logfmt, the format of every line bootgated logs: `key=value` pairs separated by one space, one
// record per line. Values come from callers (client certificate CNs, host ids, status messages,
// gRPC core's own messages), so every value goes through LogfmtValue and no value can end a line
// or start a field: a CN holding "\nts=... event=started" stays inside its one quoted value.
#ifndef BOOTGATE_SERVER_BOOTGATED_LOGFMT_H_
#define BOOTGATE_SERVER_BOOTGATED_LOGFMT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace bootgate::service {

// Returns `value` as a logfmt value: unchanged when it is non-empty and every byte is printable
// ASCII other than space, '=', '"' and '\'; otherwise in double quotes, with '"' and '\' escaped
// by a backslash, newline, CR and tab as \n \r \t, and every other byte outside printable ASCII
// (control bytes, DEL, bytes >= 0x80) as \xNN (two lower-case hex digits). The empty value is "".
std::string LogfmtValue(absl::string_view value);

// Returns `key` with every byte other than [A-Za-z0-9_.-] replaced by '_' ("_" when empty): keys
// are written by bootgated's code, this only keeps a slip from breaking the line.
std::string LogfmtKey(absl::string_view key);

// One field of a line. Views only: a field lives for the call it is passed to.
struct LogField {
  absl::string_view key;
  absl::string_view value;
};

// Returns the fields as one logfmt line, without the trailing newline.
std::string LogfmtLine(absl::Span<const LogField> fields);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_LOGFMT_H_
