// EFI_GUID as it appears in UEFI structures (mixed endian: the first three fields are
// little-endian, the last eight bytes are stored as is) and its registry-format text.
#ifndef BOOTGATE_VERIFIER_EVENTLOG_GUID_H_
#define BOOTGATE_VERIFIER_EVENTLOG_GUID_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "verifier/bytes/reader.h"

namespace bootgate::eventlog {

struct Guid {
  std::array<uint8_t, 16> bytes{};  // as stored in the structure (wire order)

  // Returns "8be4df61-93ca-11d2-aa0d-00e098032b8c" (lowercase, as tpm2_eventlog prints it).
  std::string ToString() const;
  bool operator==(const Guid&) const = default;
};

// Reads 16 bytes as an EFI_GUID. InvalidArgument when fewer than 16 bytes are left.
absl::StatusOr<Guid> ReadGuid(bytes::Reader& reader, absl::string_view what);

// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case) into wire order.
// InvalidArgument on any other shape. Used for the well-known GUID constants and by tests.
absl::StatusOr<Guid> GuidFromString(absl::string_view text);

// Well-known GUIDs (UEFI spec 2.9 sections 3.3 and 32.4.1; shim).
extern const Guid kEfiGlobalVariableGuid;         // 8be4df61-93ca-11d2-aa0d-00e098032b8c
extern const Guid kEfiImageSecurityDatabaseGuid;  // d719b2cb-3d3a-4596-a3bc-dad00e67656f
extern const Guid kShimLockGuid;                  // 605dab50-e046-4300-abb6-3dd810dd8b23
extern const Guid kEfiCertX509Guid;               // a5c059a1-94e4-4aa7-87b5-ab155c2bf072
extern const Guid kEfiCertSha256Guid;             // c1c41626-504c-4092-aca9-41f936934328
extern const Guid kEfiCertRsa2048Guid;            // 3c5766e8-269c-4e34-aa14-ed776e85b3b6
extern const Guid kEfiCertSha1Guid;               // 826ca512-cf10-4ac9-b187-be01496631bd
extern const Guid kEfiCertSha384Guid;             // ff3e5307-9fd0-48c9-85f1-8ad56c701e01
extern const Guid kEfiCertSha512Guid;             // 093e0fae-a6c4-4f50-9f1b-d41e2b89c19a
extern const Guid kEfiCertX509Sha256Guid;         // 3bd2a492-96c0-4079-b420-fcf98ef103ed
extern const Guid kEfiCertX509Sha384Guid;         // 7076876e-80c2-4ee6-aad2-28b349a6865b
extern const Guid kEfiCertX509Sha512Guid;         // 446dbf63-2502-4cda-bcfa-2465d2b0fe9d

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_GUID_H_
