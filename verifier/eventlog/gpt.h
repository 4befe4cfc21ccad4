// UEFI_GPT_DATA (TCG PC Client PFP 1.05 section 10.2.5): the payload of EV_EFI_GPT_EVENT:
// the GPT header followed by NumberOfPartitions partition entries.
#ifndef BOOTGATE_VERIFIER_EVENTLOG_GPT_H_
#define BOOTGATE_VERIFIER_EVENTLOG_GPT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/bytes/reader.h"
#include "verifier/eventlog/guid.h"

namespace bootgate::eventlog {

struct GptPartition {
  Guid type;    // PartitionTypeGUID
  Guid unique;  // UniquePartitionGUID
  uint64_t starting_lba = 0;
  uint64_t ending_lba = 0;
  uint64_t attributes = 0;
  std::string name;  // PartitionName, UTF-16LE decoded
};

struct GptEvent {
  uint64_t signature = 0;  // "EFI PART"
  uint32_t revision = 0;
  uint32_t header_size = 0;
  uint64_t my_lba = 0;
  uint64_t alternate_lba = 0;
  uint64_t first_usable_lba = 0;
  uint64_t last_usable_lba = 0;
  Guid disk_guid;
  uint64_t partition_entry_lba = 0;
  uint32_t number_of_partition_entries = 0;  // in the header (all slots)
  uint32_t size_of_partition_entry = 0;
  std::vector<GptPartition> partitions;  // the ones the event lists
};

inline constexpr uint64_t kMaxGptPartitions = 1024;

// Parses UEFI_GPT_DATA: a 92-byte-minimum header of HeaderSize bytes, a UINT64
// NumberOfPartitions, then that many entries of SizeOfPartitionEntry (>= 128) bytes each.
// InvalidArgument when truncated, HeaderSize < 92, the entry size < 128, or more than
// kMaxGptPartitions partitions.
absl::StatusOr<GptEvent> ParseGptEvent(bytes::ByteSpan data);

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_GPT_H_
