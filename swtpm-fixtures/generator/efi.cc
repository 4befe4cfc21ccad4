#include "swtpm-fixtures/generator/efi.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace bootgate::fixtures::efi {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// CRC-32 (IEEE 802.3, reflected), as the GPT header uses.
uint32_t Crc32(std::span<const uint8_t> data) {
  uint32_t crc = 0xffffffffu;
  for (uint8_t b : data) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

constexpr uint32_t kGptEntries = 128;
constexpr uint32_t kGptEntrySize = 128;

Bytes GptEntry(const GptPartition& p) {
  ByteSink e;
  e.Append(p.type_guid);
  e.Append(p.unique_guid);
  e.U64(p.first_lba);
  e.U64(p.last_lba);
  e.U64(0);  // attributes
  e.Utf16(p.name.substr(0, 36), false);
  e.Zeros(kGptEntrySize - e.size());
  return e.Take();
}

}  // namespace

absl::StatusOr<Bytes> ParseGuid(std::string_view text) {
  // 8-4-4-4-12 hex digits; the first three groups are stored little-endian.
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return absl::InvalidArgumentError(absl::StrCat("malformed GUID \"", std::string(text), "\""));
  }
  Bytes be;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    int hi = HexValue(text[i]), lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0)
      return absl::InvalidArgumentError(absl::StrCat("malformed GUID \"", std::string(text), "\""));
    be.push_back(static_cast<uint8_t>(hi << 4 | lo));
    ++i;
  }
  Bytes g = {be[3], be[2], be[1], be[0], be[5], be[4], be[7], be[6]};
  g.insert(g.end(), be.begin() + 8, be.end());
  return g;
}

Bytes Guid(std::string_view text) {
  absl::StatusOr<Bytes> g = ParseGuid(text);
  if (!g.ok()) std::abort();  // only called on the constants above
  return *std::move(g);
}

Bytes VariableData(std::string_view guid, std::string_view name, std::span<const uint8_t> data) {
  ByteSink s;
  s.Append(Guid(guid));
  s.U64(name.size());
  s.U64(data.size());
  s.Utf16(name, false);
  s.Append(data);
  return s.Take();
}

Bytes X509SignatureList(std::span<const uint8_t> cert_der) {
  const uint32_t signature_size = 16 + static_cast<uint32_t>(cert_der.size());
  ByteSink s;
  s.Append(Guid(kCertX509));
  s.U32(16 + 4 + 4 + 4 + signature_size);  // SignatureListSize
  s.U32(0);                                // SignatureHeaderSize
  s.U32(signature_size);
  s.Append(Guid(kFixtureOwner));
  s.Append(cert_der);
  return s.Take();
}

Bytes Sha256SignatureList(const std::vector<Bytes>& hashes) {
  constexpr uint32_t kSignatureSize = 16 + 32;
  ByteSink s;
  s.Append(Guid(kCertSha256));
  s.U32(28 + kSignatureSize * static_cast<uint32_t>(hashes.size()));
  s.U32(0);
  s.U32(kSignatureSize);
  for (const Bytes& h : hashes) {
    s.Append(Guid(kFixtureOwner));
    s.Append(h);
  }
  return s.Take();
}

Bytes SignatureData(std::span<const uint8_t> cert_der) {
  ByteSink s;
  s.Append(Guid(kFixtureOwner));
  s.Append(cert_der);
  return s.Take();
}

Bytes HardDriveFilePath(uint32_t partition_number, uint64_t start_lba, uint64_t size_lba,
                        std::span<const uint8_t> partition_guid, std::string_view path) {
  ByteSink s;
  s.U8(0x04);  // MEDIA_DEVICE_PATH
  s.U8(0x01);  // MEDIA_HARDDRIVE_DP
  s.U16(42);
  s.U32(partition_number);
  s.U64(start_lba);
  s.U64(size_lba);
  s.Append(partition_guid);
  s.U8(0x02);  // MBRType: GPT
  s.U8(0x02);  // SignatureType: GUID
  s.U8(0x04);  // MEDIA_DEVICE_PATH
  s.U8(0x04);  // MEDIA_FILEPATH_DP
  s.U16(static_cast<uint16_t>(4 + 2 * (path.size() + 1)));
  s.Utf16(path, true);
  s.U8(0x7f);  // END_DEVICE_PATH
  s.U8(0xff);
  s.U16(4);
  return s.Take();
}

Bytes LoadOption(std::string_view description, std::span<const uint8_t> device_path) {
  ByteSink s;
  s.U32(0x00000001);  // LOAD_OPTION_ACTIVE
  s.U16(static_cast<uint16_t>(device_path.size()));
  s.Utf16(description, true);
  s.Append(device_path);
  return s.Take();
}

Bytes ImageLoadEvent(uint64_t location, uint64_t length, std::span<const uint8_t> device_path) {
  ByteSink s;
  s.U64(location);
  s.U64(length);
  s.U64(0);  // ImageLinkTimeAddress
  s.U64(device_path.size());
  s.Append(device_path);
  return s.Take();
}

Bytes FirmwareBlob2(std::string_view description, uint64_t base, uint64_t length) {
  ByteSink s;
  s.U8(static_cast<uint8_t>(description.size()));
  s.Ascii(description.substr(0, 255));
  s.U64(base);
  s.U64(length);
  return s.Take();
}

Bytes GptData(std::span<const uint8_t> disk_guid, const std::vector<GptPartition>& partitions) {
  ByteSink array;
  for (const GptPartition& p : partitions) array.Append(GptEntry(p));
  Bytes used = array.bytes();
  array.Zeros(kGptEntries * kGptEntrySize - array.size());

  constexpr uint64_t kDiskLbas = 0x4000000;  // a 32 GiB disk
  ByteSink h;
  h.Ascii("EFI PART");
  h.U32(0x00010000);  // revision 1.0
  h.U32(92);          // header size
  h.U32(0);           // header CRC, patched below
  h.U32(0);
  h.U64(1);              // MyLBA
  h.U64(kDiskLbas - 1);  // AlternateLBA
  h.U64(34);             // FirstUsableLBA
  h.U64(kDiskLbas - 34);
  h.Append(disk_guid);
  h.U64(2);  // PartitionEntryLBA
  h.U32(kGptEntries);
  h.U32(kGptEntrySize);
  h.U32(Crc32(array.bytes()));
  Bytes header = h.Take();
  PatchLe(header, 16, Crc32(header), 4);

  ByteSink s;
  s.Append(header);
  s.U64(partitions.size());
  s.Append(used);
  return s.Take();
}

}  // namespace bootgate::fixtures::efi
