// UEFI structures as firmware, shim and grub put them in measured-boot event data (UEFI 2.10,
// TCG PC Client Platform Firmware Profile 1.05 section 10.2). All little-endian, GUIDs in EFI
// byte order (Data1..Data3 little-endian, Data4 as is).
#ifndef BOOTGATE_SWTPM_FIXTURES_GENERATOR_EFI_H_
#define BOOTGATE_SWTPM_FIXTURES_GENERATOR_EFI_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "swtpm-fixtures/generator/byte_sink.h"

namespace bootgate::fixtures::efi {

// Parses "8be4df61-93ca-11d2-aa0d-00e098032b8c" into EFI byte order. InvalidArgument if
// malformed.
absl::StatusOr<Bytes> ParseGuid(std::string_view text);
// Same, for the compile-time constants below (which are known to be well-formed).
Bytes Guid(std::string_view text);

inline constexpr std::string_view kGlobalVariable = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
inline constexpr std::string_view kImageSecurityDatabase = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";
inline constexpr std::string_view kShimLock = "605dab50-e046-4300-abb6-3dd810dd8b23";
inline constexpr std::string_view kCertX509 = "a5c059a1-94e4-4aa7-87b5-ab155c2bf072";
inline constexpr std::string_view kCertSha256 = "c1c41626-504c-4092-aca9-41f936934328";
// SignatureOwner of every entry the fixtures make (a fixed "bootgate test" owner).
inline constexpr std::string_view kFixtureOwner = "b0079a7e-0000-4000-8000-b0079a7e0001";
inline constexpr std::string_view kEspPartitionType = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
inline constexpr std::string_view kLinuxFsPartitionType = "0fc63daf-8483-4772-8e79-3d69d8477de4";

// UEFI_VARIABLE_DATA: VariableName GUID, name length (chars), data length, UTF-16 name (no
// NUL), data.
Bytes VariableData(std::string_view guid, std::string_view name, std::span<const uint8_t> data);

// One EFI_SIGNATURE_LIST of EFI_CERT_X509_GUID holding one certificate (lists of X.509 entries
// hold one certificate each, since a list's entries share one size).
Bytes X509SignatureList(std::span<const uint8_t> cert_der);
// One EFI_SIGNATURE_LIST of EFI_CERT_SHA256_GUID holding all `hashes` (32 bytes each).
Bytes Sha256SignatureList(const std::vector<Bytes>& hashes);
// EFI_SIGNATURE_DATA: SignatureOwner GUID followed by the certificate (what firmware logs as
// the db entry that authorized an image).
Bytes SignatureData(std::span<const uint8_t> cert_der);

// Device path: HD(partition, GPT, partition_guid, start, size)/\path, End.
Bytes HardDriveFilePath(uint32_t partition_number, uint64_t start_lba, uint64_t size_lba,
                        std::span<const uint8_t> partition_guid, std::string_view path);

// EFI_LOAD_OPTION (a Boot#### variable's data): LOAD_OPTION_ACTIVE, the device path, the
// description with NUL, no optional data.
Bytes LoadOption(std::string_view description, std::span<const uint8_t> device_path);

// UEFI_IMAGE_LOAD_EVENT for EV_EFI_BOOT_SERVICES_APPLICATION.
Bytes ImageLoadEvent(uint64_t location, uint64_t length, std::span<const uint8_t> device_path);

// UEFI_PLATFORM_FIRMWARE_BLOB2: description length, description, base, length.
Bytes FirmwareBlob2(std::string_view description, uint64_t base, uint64_t length);

struct GptPartition {
  Bytes type_guid;
  Bytes unique_guid;
  uint64_t first_lba = 0;
  uint64_t last_lba = 0;
  std::string name;
};
// UEFI_GPT_DATA: the GPT header (CRCs computed over a 128-entry array as on disk), the number
// of partitions, and the used partition entries.
Bytes GptData(std::span<const uint8_t> disk_guid, const std::vector<GptPartition>& partitions);

}  // namespace bootgate::fixtures::efi

#endif  // BOOTGATE_SWTPM_FIXTURES_GENERATOR_EFI_H_
