#include "verifier/tpm/pcr_file.h"

#include <tss2/tss2_tpm2_types.h>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "verifier/bytes/reader.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/tpm/pcr_selection_internal.h"

namespace bootgate::tpm {
namespace {

// Capacities and padded sizes of the tpm2-tss 3.x structs as tpm2-tools writes them.
constexpr uint32_t kMaxBanks = 16;         // TPM2_NUM_PCR_BANKS
constexpr size_t kSelectBytes = 4;         // TPM2_PCR_SELECT_MAX
constexpr size_t kSelectionPadding = 1;    // TPMS_PCR_SELECTION is 7 bytes, aligned to 2
constexpr uint32_t kMaxDigestLists = 32;   // tpm2_pcrs.pcr_values[TPM2_MAX_PCRS]
constexpr uint32_t kDigestsPerList = 8;    // TPML_DIGEST.digests[8]
constexpr size_t kDigestBufferBytes = 64;  // sizeof(TPMU_HA)

struct RawDigest {
  std::span<const uint8_t> bytes;
  size_t offset;
};

}  // namespace

absl::StatusOr<PcrFile> ParseTpm2ToolsPcrFile(std::span<const uint8_t> data) {
  bytes::Reader r(data);
  PcrFile file;
  ASSIGN_OR_RETURN(const uint32_t bank_count, r.U32Le("PCR selection count"));
  RETURN_IF_ERROR(bytes::CheckCount(bank_count, kMaxBanks, "PCR selection bank"));
  for (uint32_t i = 0; i < kMaxBanks; ++i) {
    ASSIGN_OR_RETURN(const uint16_t hash, r.U16Le("PCR selection hash"));
    ASSIGN_OR_RETURN(const uint8_t size_of_select, r.U8("PCR selection sizeofSelect"));
    ASSIGN_OR_RETURN(const bytes::ByteSpan select, r.Bytes(kSelectBytes, "PCR selection bits"));
    RETURN_IF_ERROR(r.Skip(kSelectionPadding, "PCR selection padding"));
    if (i >= bank_count) continue;  // unused slots hold whatever the tool's memory had
    const size_t at = r.offset();
    absl::Status status = internal::AppendBank(hash, size_of_select, select.data(), file.selection);
    if (!status.ok())
      return absl::InvalidArgumentError(absl::StrFormat("offset %d: %s", at, status.message()));
  }

  ASSIGN_OR_RETURN(const uint32_t list_count, r.U32Le("PCR digest list count"));
  RETURN_IF_ERROR(bytes::CheckCount(list_count, kMaxDigestLists, "PCR digest list"));
  std::vector<RawDigest> digests;
  for (uint32_t l = 0; l < list_count; ++l) {
    ASSIGN_OR_RETURN(const uint32_t count, r.U32Le("PCR digest count"));
    RETURN_IF_ERROR(bytes::CheckCount(count, kDigestsPerList, "PCR digest"));
    for (uint32_t d = 0; d < kDigestsPerList; ++d) {
      const size_t at = r.offset();
      ASSIGN_OR_RETURN(const uint16_t size, r.U16Le("PCR digest size"));
      ASSIGN_OR_RETURN(const bytes::ByteSpan buffer, r.Bytes(kDigestBufferBytes, "PCR digest"));
      if (d >= count) continue;
      if (size > kDigestBufferBytes) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "offset %d: PCR digest size %d exceeds %d", at, size, kDigestBufferBytes));
      }
      digests.push_back({buffer.first(size), at});
    }
  }
  if (!r.empty()) {
    return r.Error(absl::StrFormat("%d trailing bytes after the PCR digests", r.remaining()));
  }

  size_t next = 0;
  for (const PcrBankSelection& bank : file.selection) {
    for (uint32_t pcr : bank.pcrs) {
      if (next >= digests.size()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "PCR file selects more PCRs than the %d values it holds (no value for %s:%d)",
            digests.size(), crypto::HashAlgName(bank.bank), pcr));
      }
      const RawDigest& d = digests[next++];
      if (d.bytes.size() != crypto::DigestSize(bank.bank)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "offset %d: value of %s:%d has %d bytes, want %d", d.offset,
            crypto::HashAlgName(bank.bank), pcr, d.bytes.size(), crypto::DigestSize(bank.bank)));
      }
      file.values[bank.bank][pcr] = crypto::Digest(d.bytes.begin(), d.bytes.end());
    }
  }
  if (next != digests.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("PCR file holds %d values but selects %d PCRs", digests.size(), next));
  }
  return file;
}

}  // namespace bootgate::tpm
