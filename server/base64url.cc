#include "server/base64url.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace bootgate::server {

std::string Base64UrlEncode(std::span<const uint8_t> data) {
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

std::string Base64UrlEncode(absl::string_view data) { return absl::WebSafeBase64Escape(data); }

absl::StatusOr<std::vector<uint8_t>> Base64UrlDecode(absl::string_view text) {
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(text, &decoded)) {
    return absl::InvalidArgumentError("not base64url");
  }
  // absl accepts padding and ignores unused bits; the canonical form is the only one accepted.
  if (absl::WebSafeBase64Escape(decoded) != text) {
    return absl::InvalidArgumentError("not canonical unpadded base64url");
  }
  return std::vector<uint8_t>(decoded.begin(), decoded.end());
}

}  // namespace bootgate::server
