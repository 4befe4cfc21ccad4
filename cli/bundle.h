// The evidence bundle directory of DESIGN.md ("Evidence bundle"): the files `tpm2_quote` and a
// log reader produce, plus meta.json. Shared by the CLI's offline commands.
#ifndef BOOTGATE_CLI_BUNDLE_H_
#define BOOTGATE_CLI_BUNDLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bootgate::cli {

struct EvidenceBundle {
  std::vector<uint8_t> message;    // quote.msg: TPMS_ATTEST
  std::vector<uint8_t> signature;  // quote.sig: TPMT_SIGNATURE
  std::vector<uint8_t> ak;         // ak.tpm2b_public if present, else ak.pub (any AK format)
  std::string ak_path;
  std::optional<std::vector<uint8_t>> pcrs;      // quote.pcrs (tpm2-tools PCR file)
  std::optional<std::vector<uint8_t>> eventlog;  // eventlog.bin
  std::optional<std::vector<uint8_t>> ek_cert;   // ek.crt (DER)
  std::vector<uint8_t> nonce;                    // meta.json "nonce", decoded from hex
  std::string host_id;                           // meta.json "host_id" ("" if absent)
};

// Reads the bundle in `dir`, every file through ReadFileLimited. Errors: NotFound naming the
// missing required file (quote.msg, quote.sig, meta.json, and one of ak.tpm2b_public / ak.pub);
// InvalidArgument for an unreadable or oversized file, meta.json that is not a JSON object, or
// whose "nonce" is missing or not hex. Unknown extra files are ignored.
absl::StatusOr<EvidenceBundle> LoadEvidenceBundle(const std::string& dir);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_BUNDLE_H_
