// Exit codes shared by every bootgate command, so scripts can tell outcomes apart.
#ifndef BOOTGATE_CLI_EXIT_CODES_H_
#define BOOTGATE_CLI_EXIT_CODES_H_

#include <iostream>

#include "absl/status/status.h"

namespace bootgate::cli {

inline constexpr int kExitOk = 0;  // evaluated and accepted
inline constexpr int kExitRejected =
    1;  // evaluated and rejected (bad signature, replay mismatch...)
inline constexpr int kExitBadInput = 2;  // could not evaluate: unreadable or malformed input, usage

// Prints "error: <message>" on stderr and returns kExitBadInput.
inline int BadInput(const absl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return kExitBadInput;
}

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_EXIT_CODES_H_
