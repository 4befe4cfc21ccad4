// Lowercase hex encoding of digests and nonces, and strict decoding of hex from users.
#ifndef BOOTGATE_VERIFIER_BYTES_HEX_H_
#define BOOTGATE_VERIFIER_BYTES_HEX_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bootgate::bytes {

// Returns the lowercase hex of `data`.
std::string ToHex(std::span<const uint8_t> data);

// Parses hex (either case, no separators, optional "0x" prefix). InvalidArgument on an odd
// length or a non-hex character.
absl::StatusOr<std::vector<uint8_t>> FromHex(absl::string_view hex);

}  // namespace bootgate::bytes

#endif  // BOOTGATE_VERIFIER_BYTES_HEX_H_
