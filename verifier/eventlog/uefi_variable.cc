#include "verifier/eventlog/uefi_variable.h"

#include "absl/strings/str_format.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/eventlog/event_types.h"

namespace bootgate::eventlog {
namespace {

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

absl::StatusOr<std::string> Utf16LeToUtf8(bytes::ByteSpan data) {
  if (data.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("UTF-16 string has an odd byte count (%u)", data.size()));
  }
  std::string out;
  bytes::Reader reader(data);
  while (!reader.empty()) {
    ASSIGN_OR_RETURN(uint16_t unit, reader.U16Le("UTF-16 code unit"));
    if (unit == 0) break;
    uint32_t cp = unit;
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      auto low = reader.U16Le("UTF-16 low surrogate");
      if (!low.ok() || *low < 0xDC00 || *low > 0xDFFF) {
        return absl::InvalidArgumentError("UTF-16 string has an unpaired high surrogate");
      }
      cp = 0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) + (*low - 0xDC00);
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      return absl::InvalidArgumentError("UTF-16 string has an unpaired low surrogate");
    }
    AppendUtf8(out, cp);
  }
  return out;
}

bool HoldsSignatureLists(const Guid& vendor, const std::string& name) {
  if (vendor == kEfiGlobalVariableGuid) {
    return name == "PK" || name == "KEK" || name == "PKDefault" || name == "KEKDefault" ||
           name == "dbDefault" || name == "dbxDefault";
  }
  if (vendor == kEfiImageSecurityDatabaseGuid) {
    return name == "db" || name == "dbx" || name == "dbt" || name == "dbr";
  }
  if (vendor == kShimLockGuid) {
    return name == "MokList" || name == "MokListRT" || name == "MokListX" || name == "MokListXRT" ||
           name == "MokListTrusted";
  }
  return false;
}

absl::StatusOr<UefiVariable> ParseUefiVariable(bytes::ByteSpan data, uint32_t event_type) {
  bytes::Reader reader(data);
  UefiVariable var;
  ASSIGN_OR_RETURN(var.vendor, ReadGuid(reader, "UEFI_VARIABLE_DATA VariableName"));
  ASSIGN_OR_RETURN(var.unicode_name_length, reader.U64Le("UnicodeNameLength"));
  ASSIGN_OR_RETURN(var.variable_data_length, reader.U64Le("VariableDataLength"));
  // Compare counts with what is left before multiplying, so a huge length cannot overflow.
  if (var.unicode_name_length > reader.remaining() / 2) {
    return reader.Error(absl::StrFormat("UnicodeNameLength %u exceeds the %u bytes left",
                                        var.unicode_name_length, reader.remaining()));
  }
  ASSIGN_OR_RETURN(bytes::ByteSpan name, reader.Bytes(var.unicode_name_length * 2, "UnicodeName"));
  ASSIGN_OR_RETURN(var.name, Utf16LeToUtf8(name));
  if (var.variable_data_length != reader.remaining()) {
    return reader.Error(absl::StrFormat("VariableDataLength %u does not match the %u bytes left",
                                        var.variable_data_length, reader.remaining()));
  }
  var.data_offset = reader.offset();
  bytes::ByteSpan value = reader.Rest();
  var.data.assign(value.begin(), value.end());
  if (event_type == kEvEfiVariableAuthority) {
    if (auto cert = SummarizeX509(value); cert.has_value()) {
      var.authority.emplace();
      var.authority->data = var.data;
      var.authority->x509 = std::move(cert);
    } else if (value.size() > 16) {
      if (auto owned = SummarizeX509(value.subspan(16)); owned.has_value()) {
        bytes::Reader owner_reader(value);
        var.authority.emplace();
        var.authority->owner = *ReadGuid(owner_reader, "SignatureOwner");
        var.authority->data.assign(value.begin() + 16, value.end());
        var.authority->x509 = std::move(owned);
        var.authority_has_owner = true;
      }
    }
  }
  // shim logs MokListRT under EV_EFI_VARIABLE_AUTHORITY as whole signature lists, not as one
  // entry: decode those like any other key database.
  if (!var.authority.has_value() && HoldsSignatureLists(var.vendor, var.name)) {
    auto lists = ParseSignatureLists(value, var.data_offset);
    if (lists.ok()) {
      var.signature_lists = *std::move(lists);
    } else {
      var.signature_lists.emplace();
      var.signature_list_error = std::string(lists.status().message());
    }
  }
  return var;
}

}  // namespace bootgate::eventlog
