#include "verifier/eventlog/gpt.h"

#include "absl/strings/str_format.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/eventlog/uefi_variable.h"

namespace bootgate::eventlog {
namespace {

constexpr uint32_t kMinHeaderSize = 92;
constexpr uint32_t kMinEntrySize = 128;

}  // namespace

absl::StatusOr<GptEvent> ParseGptEvent(bytes::ByteSpan data) {
  bytes::Reader reader(data);
  GptEvent gpt;
  ASSIGN_OR_RETURN(bytes::ByteSpan fixed, reader.Bytes(kMinHeaderSize, "GPT header"));
  bytes::Reader h(fixed);
  ASSIGN_OR_RETURN(gpt.signature, h.U64Le("GPT Signature"));
  ASSIGN_OR_RETURN(gpt.revision, h.U32Le("GPT Revision"));
  ASSIGN_OR_RETURN(gpt.header_size, h.U32Le("GPT HeaderSize"));
  RETURN_IF_ERROR(h.Skip(8, "GPT HeaderCRC32 and Reserved"));
  ASSIGN_OR_RETURN(gpt.my_lba, h.U64Le("GPT MyLBA"));
  ASSIGN_OR_RETURN(gpt.alternate_lba, h.U64Le("GPT AlternateLBA"));
  ASSIGN_OR_RETURN(gpt.first_usable_lba, h.U64Le("GPT FirstUsableLBA"));
  ASSIGN_OR_RETURN(gpt.last_usable_lba, h.U64Le("GPT LastUsableLBA"));
  ASSIGN_OR_RETURN(gpt.disk_guid, ReadGuid(h, "GPT DiskGUID"));
  ASSIGN_OR_RETURN(gpt.partition_entry_lba, h.U64Le("GPT PartitionEntryLBA"));
  ASSIGN_OR_RETURN(gpt.number_of_partition_entries, h.U32Le("GPT NumberOfPartitionEntries"));
  ASSIGN_OR_RETURN(gpt.size_of_partition_entry, h.U32Le("GPT SizeOfPartitionEntry"));
  if (gpt.header_size < kMinHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("GPT HeaderSize %u is smaller than %u", gpt.header_size, kMinHeaderSize));
  }
  RETURN_IF_ERROR(reader.Skip(gpt.header_size - kMinHeaderSize, "GPT header"));
  ASSIGN_OR_RETURN(uint64_t count, reader.U64Le("NumberOfPartitions"));
  RETURN_IF_ERROR(bytes::CheckCount(count, kMaxGptPartitions, "GPT partition"));
  if (gpt.size_of_partition_entry < kMinEntrySize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("GPT SizeOfPartitionEntry %u is smaller than %u",
                        gpt.size_of_partition_entry, kMinEntrySize));
  }
  if (count > reader.remaining() / gpt.size_of_partition_entry) {
    return reader.Error(absl::StrFormat("%u GPT partitions of %u bytes exceed the %u bytes left",
                                        count, gpt.size_of_partition_entry, reader.remaining()));
  }
  gpt.partitions.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(bytes::Reader entry,
                     reader.Sub(gpt.size_of_partition_entry, "GPT partition entry"));
    GptPartition part;
    ASSIGN_OR_RETURN(part.type, ReadGuid(entry, "PartitionTypeGUID"));
    ASSIGN_OR_RETURN(part.unique, ReadGuid(entry, "UniquePartitionGUID"));
    ASSIGN_OR_RETURN(part.starting_lba, entry.U64Le("StartingLBA"));
    ASSIGN_OR_RETURN(part.ending_lba, entry.U64Le("EndingLBA"));
    ASSIGN_OR_RETURN(part.attributes, entry.U64Le("Attributes"));
    ASSIGN_OR_RETURN(bytes::ByteSpan name, entry.Bytes(72, "PartitionName"));
    ASSIGN_OR_RETURN(part.name, Utf16LeToUtf8(name));
    gpt.partitions.push_back(std::move(part));
  }
  if (!reader.empty()) {
    return reader.Error(
        absl::StrFormat("%u bytes follow the GPT partition entries", reader.remaining()));
  }
  return gpt;
}

}  // namespace bootgate::eventlog
