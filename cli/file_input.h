// Reading evidence files for the CLI: size-checked before reading, so a huge or sparse file
// is refused at once instead of being read into memory.
#ifndef BOOTGATE_CLI_FILE_INPUT_H_
#define BOOTGATE_CLI_FILE_INPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bootgate::cli {

inline constexpr uint64_t kDefaultMaxFileSize = 16 * 1024 * 1024;
// Quotes, signatures, keys, certificates, meta.json: never near this.
inline constexpr uint64_t kMaxSmallFileSize = 64 * 1024;

// Returns the file's bytes. NotFound if it does not exist, InvalidArgument if it is not a
// regular file or larger than `max_size` (checked with stat before reading).
absl::StatusOr<std::vector<uint8_t>> ReadFileLimited(const std::string& path,
                                                     uint64_t max_size = kDefaultMaxFileSize);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_FILE_INPUT_H_
