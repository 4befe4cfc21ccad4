// base64url without padding (RFC 4648 section 5, RFC 7515 section 2): the encoding of JWS
// parts, JWK coordinates and challenge tokens.
#ifndef BOOTGATE_SERVER_BASE64URL_H_
#define BOOTGATE_SERVER_BASE64URL_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bootgate::server {

// Returns the unpadded base64url of `data`.
std::string Base64UrlEncode(std::span<const uint8_t> data);
std::string Base64UrlEncode(absl::string_view data);

// Decodes unpadded base64url strictly: InvalidArgument for padding, characters outside the
// URL-safe alphabet, an impossible length, or non-zero unused trailing bits. Strictness
// matters because two spellings of one value would otherwise be two "different" tokens.
absl::StatusOr<std::vector<uint8_t>> Base64UrlDecode(absl::string_view text);

}  // namespace bootgate::server

#endif  // BOOTGATE_SERVER_BASE64URL_H_
