#include "verifier/eventlog/guid.h"

#include "absl/strings/str_format.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::eventlog {
namespace {

// The text form lists Data1..Data3 most significant byte first; on the wire they are
// little-endian. This maps text position (in bytes) to wire index.
constexpr std::array<int, 16> kTextToWire = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

Guid MustParse(absl::string_view text) {
  auto guid = GuidFromString(text);
  return guid.ok() ? *guid : Guid{};
}

}  // namespace

std::string Guid::ToString() const {
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    const uint8_t b = bytes[kTextToWire[i]];
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

absl::StatusOr<Guid> ReadGuid(bytes::Reader& reader, absl::string_view what) {
  ASSIGN_OR_RETURN(bytes::ByteSpan raw, reader.Bytes(16, what));
  Guid guid;
  std::copy(raw.begin(), raw.end(), guid.bytes.begin());
  return guid;
}

absl::StatusOr<Guid> GuidFromString(absl::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return absl::InvalidArgumentError(absl::StrFormat("not a GUID: \"%s\"", text));
  }
  std::string hex;
  for (char c : text) {
    if (c != '-') hex.push_back(c);
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> text_order, bytes::FromHex(hex));
  if (text_order.size() != 16) return absl::InvalidArgumentError("not a GUID");
  Guid guid;
  for (int i = 0; i < 16; ++i) guid.bytes[kTextToWire[i]] = text_order[i];
  return guid;
}

const Guid kEfiGlobalVariableGuid = MustParse("8be4df61-93ca-11d2-aa0d-00e098032b8c");
const Guid kEfiImageSecurityDatabaseGuid = MustParse("d719b2cb-3d3a-4596-a3bc-dad00e67656f");
const Guid kShimLockGuid = MustParse("605dab50-e046-4300-abb6-3dd810dd8b23");
const Guid kEfiCertX509Guid = MustParse("a5c059a1-94e4-4aa7-87b5-ab155c2bf072");
const Guid kEfiCertSha256Guid = MustParse("c1c41626-504c-4092-aca9-41f936934328");
const Guid kEfiCertRsa2048Guid = MustParse("3c5766e8-269c-4e34-aa14-ed776e85b3b6");
const Guid kEfiCertSha1Guid = MustParse("826ca512-cf10-4ac9-b187-be01496631bd");
const Guid kEfiCertSha384Guid = MustParse("ff3e5307-9fd0-48c9-85f1-8ad56c701e01");
const Guid kEfiCertSha512Guid = MustParse("093e0fae-a6c4-4f50-9f1b-d41e2b89c19a");
const Guid kEfiCertX509Sha256Guid = MustParse("3bd2a492-96c0-4079-b420-fcf98ef103ed");
const Guid kEfiCertX509Sha384Guid = MustParse("7076876e-80c2-4ee6-aad2-28b349a6865b");
const Guid kEfiCertX509Sha512Guid = MustParse("446dbf63-2502-4cda-bcfa-2465d2b0fe9d");

}  // namespace bootgate::eventlog
