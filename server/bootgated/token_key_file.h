// The challenge-token HMAC key on disk: what every replica must share.
#ifndef BOOTGATE_SERVER_BOOTGATED_TOKEN_KEY_FILE_H_
#define BOOTGATE_SERVER_BOOTGATED_TOKEN_KEY_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bootgate::service {

// Reads a token key: raw bytes, or hex text (64+ hex characters, surrounding whitespace
// ignored). InvalidArgument (naming the file) when shorter than 32 bytes; NotFound when the
// file does not exist; Internal for other I/O errors.
absl::StatusOr<std::vector<uint8_t>> ReadTokenKey(const std::string& path);

// ReadTokenKey, or when the file does not exist, writes 32 random bytes to it (mode 0600,
// created exclusively so that two processes starting at once agree) and returns them.
absl::StatusOr<std::vector<uint8_t>> LoadOrCreateTokenKey(const std::string& path);

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_TOKEN_KEY_FILE_H_
