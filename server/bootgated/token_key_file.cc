#include "server/bootgated/token_key_file.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/token.h"
#include "verifier/bytes/hex.h"

namespace bootgate::service {

absl::StatusOr<std::vector<uint8_t>> ReadTokenKey(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("token key ", path, " not found"));
    return absl::InternalError(absl::StrCat("cannot read token key ", path, ": ", strerror(errno)));
  }
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  absl::string_view text = absl::StripAsciiWhitespace(content);
  std::vector<uint8_t> key;
  bool is_hex = text.size() >= 2 * server::kMinTokenKeyBytes && text.size() % 2 == 0;
  for (char c : text) is_hex = is_hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (is_hex) {
    auto decoded = bytes::FromHex(text);
    if (!decoded.ok()) return decoded.status();
    key = *std::move(decoded);
  } else {
    key.assign(content.begin(), content.end());
  }
  if (key.size() < server::kMinTokenKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("token key ", path, " holds ", key.size(),
                                                   " bytes; at least ", server::kMinTokenKeyBytes,
                                                   " are needed"));
  }
  return key;
}

absl::StatusOr<std::vector<uint8_t>> LoadOrCreateTokenKey(const std::string& path) {
  auto existing = ReadTokenKey(path);
  if (!absl::IsNotFound(existing.status())) return existing;
  std::vector<uint8_t> key(32);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return absl::InternalError("RAND_bytes failed for the token key");
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return ReadTokenKey(path);  // another process won the race
    return absl::InternalError(
        absl::StrCat("cannot create token key ", path, ": ", strerror(errno)));
  }
  bool ok = write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) return absl::InternalError(absl::StrCat("cannot write token key ", path));
  return key;
}

}  // namespace bootgate::service
