#include "cli/bundle.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/file_input.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::cli {
namespace {

std::string PathIn(const std::string& dir, const char* name) {
  return absl::StrCat(dir, "/", name);
}

// Returns nullopt if the file does not exist, its bytes otherwise.
absl::StatusOr<std::optional<std::vector<uint8_t>>> ReadOptional(const std::string& path,
                                                                 uint64_t max_size) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadFileLimited(path, max_size);
  if (absl::IsNotFound(bytes.status())) return std::nullopt;
  if (!bytes.ok()) return bytes.status();
  return std::optional<std::vector<uint8_t>>(*std::move(bytes));
}

absl::Status ParseMeta(const std::string& path, EvidenceBundle& bundle) {
  ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, ReadFileLimited(path, kMaxSmallFileSize));
  // No exceptions: parse errors give a discarded value.
  const nlohmann::json meta = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (meta.is_discarded() || !meta.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  }
  const auto nonce = meta.find("nonce");
  if (nonce == meta.end() || !nonce->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": \"nonce\" (hex of the quote's qualifying data) is missing"));
  }
  absl::StatusOr<std::vector<uint8_t>> decoded = bytes::FromHex(nonce->get<std::string>());
  if (!decoded.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": \"nonce\" is not hex: ", decoded.status().message()));
  }
  bundle.nonce = *std::move(decoded);
  const auto host = meta.find("host_id");
  if (host != meta.end() && host->is_string()) bundle.host_id = host->get<std::string>();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EvidenceBundle> LoadEvidenceBundle(const std::string& dir) {
  EvidenceBundle bundle;
  ASSIGN_OR_RETURN(bundle.message, ReadFileLimited(PathIn(dir, "quote.msg"), kMaxSmallFileSize));
  ASSIGN_OR_RETURN(bundle.signature, ReadFileLimited(PathIn(dir, "quote.sig"), kMaxSmallFileSize));
  for (const char* name : {"ak.tpm2b_public", "ak.pub"}) {
    ASSIGN_OR_RETURN(std::optional<std::vector<uint8_t>> ak,
                     ReadOptional(PathIn(dir, name), kMaxSmallFileSize));
    if (ak.has_value()) {
      bundle.ak = *std::move(ak);
      bundle.ak_path = PathIn(dir, name);
      break;
    }
  }
  if (bundle.ak_path.empty()) {
    return absl::NotFoundError(absl::StrCat(dir, ": no AK public key (ak.tpm2b_public or ak.pub)"));
  }
  ASSIGN_OR_RETURN(bundle.pcrs, ReadOptional(PathIn(dir, "quote.pcrs"), kMaxSmallFileSize));
  ASSIGN_OR_RETURN(bundle.eventlog, ReadOptional(PathIn(dir, "eventlog.bin"), kDefaultMaxFileSize));
  ASSIGN_OR_RETURN(bundle.ek_cert, ReadOptional(PathIn(dir, "ek.crt"), kMaxSmallFileSize));
  RETURN_IF_ERROR(ParseMeta(PathIn(dir, "meta.json"), bundle));
  return bundle;
}

}  // namespace bootgate::cli
