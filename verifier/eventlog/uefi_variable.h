// UEFI_VARIABLE_DATA (TCG PC Client PFP 1.05 section 10.2.6): the payload of
// EV_EFI_VARIABLE_DRIVER_CONFIG, _BOOT, _BOOT2 and _AUTHORITY events.
#ifndef BOOTGATE_VERIFIER_EVENTLOG_UEFI_VARIABLE_H_
#define BOOTGATE_VERIFIER_EVENTLOG_UEFI_VARIABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/bytes/reader.h"
#include "verifier/eventlog/guid.h"
#include "verifier/eventlog/signature_list.h"

namespace bootgate::eventlog {

struct UefiVariable {
  Guid vendor;                       // VariableName (the vendor GUID; tpm2_eventlog's name)
  uint64_t unicode_name_length = 0;  // UnicodeNameLength, in CHAR16s
  uint64_t variable_data_length = 0;
  std::string name;           // UnicodeName, UTF-16LE decoded to UTF-8
  std::vector<uint8_t> data;  // VariableData
  // Byte range of VariableData inside the event data: EV_EFI_VARIABLE_BOOT hashes only it.
  size_t data_offset = 0;

  // For PK, KEK, db, dbx, dbt, dbr, MokList*, the signature lists of `data`; when `data`
  // does not parse as signature lists, `signature_lists` is empty and the reason is in
  // `signature_list_error`.
  std::optional<std::vector<SignatureList>> signature_lists;
  std::string signature_list_error;

  // EV_EFI_VARIABLE_AUTHORITY only: the db entry that verified an image, logged as one
  // EFI_SIGNATURE_DATA (owner GUID + DER certificate); or, as shim logs its built-in
  // "Shim" certificate, a bare DER certificate (then `authority->owner` is all zero and
  // `authority_has_owner` is false).
  std::optional<SignatureEntry> authority;
  bool authority_has_owner = false;
};

// Parses a UEFI_VARIABLE_DATA that fills `data` exactly. InvalidArgument when the header
// is truncated, a length is larger than what is left (checked before any allocation), the
// name is not valid UTF-16 or bytes follow VariableData. `event_type` selects how
// VariableData is read: signature lists (HoldsSignatureLists) for every variable event but
// EV_EFI_VARIABLE_AUTHORITY, whose data is the single authority entry (when it is not one,
// as for shim's MokListRT, an authority variable that holds signature lists decodes as such).
absl::StatusOr<UefiVariable> ParseUefiVariable(bytes::ByteSpan data, uint32_t event_type);

// True for variables whose data is a list of EFI_SIGNATURE_LISTs (by name and vendor GUID).
bool HoldsSignatureLists(const Guid& vendor, const std::string& name);

// Decodes UTF-16LE (surrogate pairs included) to UTF-8. Stops at the first NUL.
// InvalidArgument on an odd byte count or an unpaired surrogate.
absl::StatusOr<std::string> Utf16LeToUtf8(bytes::ByteSpan data);

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_UEFI_VARIABLE_H_
