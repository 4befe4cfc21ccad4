#include "verifier/eventlog/decode.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/cache/bounded_cache.h"
#include "verifier/eventlog/event_types.h"

namespace bootgate::eventlog {
namespace {

constexpr size_t kSummaryHexBytes = 32;
constexpr uint64_t kMaxHandoffTables = 1024;
constexpr uint64_t kMaxTaggedEvents = 1024;

std::string TruncatedHex(bytes::ByteSpan data) {
  std::string out = bytes::ToHex(data.first(std::min(data.size(), kSummaryHexBytes)));
  if (data.size() > kSummaryHexBytes) absl::StrAppend(&out, "...");
  return out;
}

std::string RawSummary(bytes::ByteSpan data) {
  if (data.empty()) return "0 bytes";
  return absl::StrCat(data.size(), " bytes: ", TruncatedHex(data));
}

// Text that may be UTF-8/ASCII or UTF-16LE (EV_S_CRTM_VERSION is UTF-16 on EDK2).
std::optional<TextEvent> ReadText(bytes::ByteSpan data) {
  if (auto ipl = ParseIplString(data); ipl.has_value()) {
    return TextEvent{.text = ipl->prefix + ipl->text, .utf16 = ipl->utf16};
  }
  return std::nullopt;
}

struct Decoded {
  DecodedContent content;
  std::string summary;
};

// Windows boot manager ends its PCR 12-14 logs with the separator "WBCL" (Windows Boot
// Configuration Log), a valid separator there and only there.
constexpr uint32_t kWbclSeparator = 0x4C434257;  // "WBCL", little-endian

bool IsWindowsSeparatorPcr(uint32_t pcr) { return pcr >= 12 && pcr <= 14; }

absl::StatusOr<Decoded> DecodeSeparator(bytes::ByteSpan data, uint32_t pcr) {
  bytes::Reader reader(data);
  Separator sep;
  ASSIGN_OR_RETURN(sep.value, reader.U32Le("separator value"));
  if (!reader.empty()) return reader.Error("separator data longer than 4 bytes");
  sep.is_normal = sep.value == 0;
  sep.is_error = sep.value == 0xFFFFFFFF;
  sep.is_wbcl = sep.value == kWbclSeparator && IsWindowsSeparatorPcr(pcr);
  std::string summary = absl::StrFormat("separator %08x", sep.value);
  if (sep.is_error) absl::StrAppend(&summary, " (error separator: firmware reported an error)");
  if (sep.is_wbcl) absl::StrAppend(&summary, " (\"WBCL\": end of the Windows boot log)");
  if (!sep.is_normal && !sep.is_error && !sep.is_wbcl) {
    absl::StrAppend(&summary, " (not a valid separator value)");
  }
  return Decoded{sep, std::move(summary)};
}

absl::StatusOr<Decoded> DecodeText(bytes::ByteSpan data) {
  auto text = ReadText(data);
  if (!text.has_value()) return absl::InvalidArgumentError("data is not text");
  std::string summary = text->text.empty() ? "(empty text)" : text->text;
  return Decoded{*std::move(text), std::move(summary)};
}

absl::StatusOr<Decoded> DecodeCrtmVersion(bytes::ByteSpan data) {
  if (auto text = ReadText(data); text.has_value()) {
    // Some firmware (Windows machines, Hyper-V) logs an empty version, or only its NUL.
    std::string summary =
        absl::StrCat("CRTM version ", text->text.empty() ? "(empty)" : text->text);
    return Decoded{*std::move(text), std::move(summary)};
  }
  // Some firmware logs a binary version (e.g. a GUID): keep it as raw bytes.
  return Decoded{RawData{}, absl::StrCat("CRTM version ", RawSummary(data))};
}

std::string BlobSummary(const FirmwareBlob& blob) {
  std::string out;
  if (blob.description.has_value()) absl::StrAppend(&out, *blob.description, " ");
  absl::StrAppendFormat(&out, "base 0x%x length 0x%x", blob.base, blob.length);
  return out;
}

absl::StatusOr<Decoded> DecodeBlob(bytes::ByteSpan data, bool with_description) {
  bytes::Reader reader(data);
  FirmwareBlob blob;
  if (with_description) {
    ASSIGN_OR_RETURN(uint8_t size, reader.U8("BlobDescriptionSize"));
    ASSIGN_OR_RETURN(bytes::ByteSpan desc, reader.Bytes(size, "BlobDescription"));
    blob.description = AsPrintableText(desc).value_or(bytes::ToHex(desc));
  }
  ASSIGN_OR_RETURN(blob.base, reader.U64Le("BlobBase"));
  ASSIGN_OR_RETURN(blob.length, reader.U64Le("BlobLength"));
  if (!reader.empty()) return reader.Error("bytes follow the firmware blob");
  std::string summary = BlobSummary(blob);
  return Decoded{blob, std::move(summary)};
}

absl::StatusOr<Decoded> DecodePostCode(bytes::ByteSpan data) {
  // PFP 1.05: a UEFI_PLATFORM_FIRMWARE_BLOB, or a string such as "ACPI DATA".
  if (data.size() == 16) return DecodeBlob(data, false);
  return DecodeText(data);
}

std::string SecureBootFlagMeaning(const std::string& name, bytes::ByteSpan data) {
  if (data.size() != 1) return "";
  const bool on = data[0] == 1;
  if (data[0] > 1) return " (invalid value)";
  if (name == "SecureBoot") return on ? " (enabled)" : " (disabled)";
  if (name == "SetupMode") return on ? " (setup mode: keys can be changed)" : " (user mode)";
  if (name == "DeployedMode") return on ? " (deployed)" : " (not deployed)";
  if (name == "AuditMode") return on ? " (audit mode)" : " (not in audit mode)";
  return "";
}

std::string VariableSummary(const UefiVariable& var, uint32_t type) {
  if (var.authority.has_value()) {
    const X509Summary& cert = *var.authority->x509;
    return absl::StrCat(var.name, ": authority ",
                        cert.common_name.empty() ? cert.subject : "CN=" + cert.common_name,
                        " (sha256 ", cert.sha256_fingerprint.substr(0, 16), ")");
  }
  if (var.signature_lists.has_value()) {
    if (!var.signature_list_error.empty()) {
      return absl::StrCat(var.name, ": malformed signature list (", var.signature_list_error, ")");
    }
    return absl::StrCat(var.name, ": ", SummarizeSignatureLists(*var.signature_lists));
  }
  const bytes::ByteSpan data(var.data);
  if (var.vendor == kEfiGlobalVariableGuid) {
    const std::string meaning = SecureBootFlagMeaning(var.name, data);
    if (!meaning.empty()) return absl::StrCat(var.name, " = ", bytes::ToHex(data), meaning);
  }
  if (type == kEvEfiVariableBoot || type == kEvEfiVariableBoot2) {
    // EFI_LOAD_OPTION: Attributes, FilePathListLength, Description, FilePathList, ...
    bytes::Reader reader(data);
    auto attributes = reader.U32Le("Attributes");
    auto path_length = reader.U16Le("FilePathListLength");
    if (attributes.ok() && path_length.ok()) {
      bytes::ByteSpan rest = reader.Rest();
      size_t end = 0;
      while (end + 1 < rest.size() && (rest[end] != 0 || rest[end + 1] != 0)) end += 2;
      auto description = Utf16LeToUtf8(rest.first(end));
      if (end + 2 <= rest.size() && description.ok() && *path_length <= rest.size() - end - 2) {
        DevicePathText path = DevicePathToText(rest.subspan(end + 2, *path_length));
        return absl::StrCat(var.name, ": ", *description, " (", path.text, ")");
      }
    }
  }
  return absl::StrCat(var.name, " = ", RawSummary(data));
}

absl::StatusOr<Decoded> DecodeVariable(bytes::ByteSpan data, uint32_t type) {
  ASSIGN_OR_RETURN(UefiVariable var, ParseUefiVariable(data, type));
  std::string summary = VariableSummary(var, type);
  return Decoded{std::move(var), std::move(summary)};
}

absl::StatusOr<Decoded> DecodeImage(bytes::ByteSpan data) {
  ASSIGN_OR_RETURN(ImageLoadEvent image, ParseImageLoadEvent(data));
  std::string summary;
  if (!image.device_path.file.empty()) {
    summary = absl::StrCat(image.device_path.file, " (", image.device_path.text, ")");
  } else {
    summary =
        image.device_path.text.empty() ? "image with an empty device path" : image.device_path.text;
  }
  if (!image.device_path.error.empty()) {
    absl::StrAppend(&summary, " [device path: ", image.device_path.error, "]");
  }
  return Decoded{std::move(image), std::move(summary)};
}

absl::StatusOr<Decoded> DecodeGpt(bytes::ByteSpan data) {
  ASSIGN_OR_RETURN(GptEvent gpt, ParseGptEvent(data));
  std::vector<std::string> names;
  for (const GptPartition& part : gpt.partitions) names.push_back(part.name);
  std::string summary = absl::StrFormat("GPT disk %s: %u partitions (%s)", gpt.disk_guid.ToString(),
                                        gpt.partitions.size(), absl::StrJoin(names, ", "));
  return Decoded{std::move(gpt), std::move(summary)};
}

absl::StatusOr<Decoded> DecodeIpl(bytes::ByteSpan data) {
  auto ipl = ParseIplString(data);
  if (!ipl.has_value()) return absl::InvalidArgumentError("EV_IPL data is not text");
  std::string summary = ipl->prefix + ipl->text;
  return Decoded{*std::move(ipl), std::move(summary)};
}

absl::StatusOr<Decoded> DecodeEventTag(bytes::ByteSpan data) {
  bytes::Reader reader(data);
  TaggedEvents tags;
  std::vector<std::string> parts;
  while (!reader.empty()) {
    RETURN_IF_ERROR(bytes::CheckCount(tags.events.size() + 1, kMaxTaggedEvents, "tagged event"));
    TaggedEvent tag;
    ASSIGN_OR_RETURN(tag.id, reader.U32Le("taggedEventID"));
    ASSIGN_OR_RETURN(uint32_t size, reader.U32Le("taggedEventDataSize"));
    ASSIGN_OR_RETURN(bytes::ByteSpan value, reader.Bytes(size, "taggedEventData"));
    tag.data.assign(value.begin(), value.end());
    if (!value.empty()) tag.text = AsPrintableText(value);
    parts.push_back(absl::StrFormat("tag 0x%08x: %s", tag.id,
                                    tag.text.has_value() ? *tag.text : RawSummary(value)));
    tags.events.push_back(std::move(tag));
  }
  std::string summary = parts.empty() ? "no tagged events" : absl::StrJoin(parts, "; ");
  return Decoded{std::move(tags), std::move(summary)};
}

absl::StatusOr<Decoded> DecodeNoAction(bytes::ByteSpan data) {
  // A short EV_NO_ACTION is valid (the spec only defines some signatures): keep it raw.
  if (data.size() < 16) return Decoded{RawData{}, absl::StrCat("no action: ", RawSummary(data))};
  NoActionEvent no_action;
  no_action.signature = AsPrintableText(data.first(16)).value_or(bytes::ToHex(data.first(16)));
  bytes::ByteSpan rest = data.subspan(16);
  no_action.rest.assign(rest.begin(), rest.end());
  std::string summary = no_action.signature;
  if (no_action.signature == "StartupLocality" && rest.size() == 1) {
    no_action.startup_locality = rest[0];
    absl::StrAppend(&summary, " ", rest[0]);
  }
  return Decoded{std::move(no_action), std::move(summary)};
}

absl::StatusOr<Decoded> DecodeHandoffTables(bytes::ByteSpan data, bool with_description) {
  bytes::Reader reader(data);
  HandoffTables tables;
  if (with_description) {
    ASSIGN_OR_RETURN(uint8_t size, reader.U8("TableDescriptionSize"));
    ASSIGN_OR_RETURN(bytes::ByteSpan desc, reader.Bytes(size, "TableDescription"));
    tables.description = AsPrintableText(desc).value_or(bytes::ToHex(desc));
  }
  ASSIGN_OR_RETURN(uint64_t count, reader.U64Le("NumberOfTables"));
  RETURN_IF_ERROR(bytes::CheckCount(count, kMaxHandoffTables, "handoff table"));
  if (count > reader.remaining() / 24) {
    return reader.Error(
        absl::StrFormat("%u handoff tables exceed the %u bytes left", count, reader.remaining()));
  }
  std::vector<std::string> parts;
  for (uint64_t i = 0; i < count; ++i) {
    HandoffTables::Table table;
    ASSIGN_OR_RETURN(table.vendor, ReadGuid(reader, "VendorGuid"));
    ASSIGN_OR_RETURN(table.address, reader.U64Le("VendorTable"));
    parts.push_back(absl::StrFormat("%s at 0x%x", table.vendor.ToString(), table.address));
    tables.tables.push_back(table);
  }
  if (!reader.empty()) return reader.Error("bytes follow the handoff tables");
  std::string summary =
      absl::StrCat(tables.description.has_value() ? *tables.description + ": " : "", count,
                   count == 1 ? " table" : " tables", parts.empty() ? "" : " (",
                   absl::StrJoin(parts, ", "), parts.empty() ? "" : ")");
  return Decoded{std::move(tables), std::move(summary)};
}

// Returns nullopt for a type without a decoder.
std::optional<absl::StatusOr<Decoded>> DecodeByType(const Event& event, bytes::ByteSpan data) {
  switch (event.type) {
    case kEvSeparator:
      return DecodeSeparator(data, event.pcr);
    case kEvAction:
    case kEvEfiAction:
    case kEvOmitBootDeviceEvents:
      return DecodeText(data);
    case kEvSCrtmVersion:
      return DecodeCrtmVersion(data);
    case kEvPostCode:
      return DecodePostCode(data);
    case kEvEfiPlatformFirmwareBlob:
      return DecodeBlob(data, false);
    case kEvEfiPlatformFirmwareBlob2:
      return DecodeBlob(data, true);
    case kEvEfiVariableDriverConfig:
    case kEvEfiVariableBoot:
    case kEvEfiVariableBoot2:
    case kEvEfiVariableAuthority:
      return DecodeVariable(data, event.type);
    case kEvEfiBootServicesApplication:
    case kEvEfiBootServicesDriver:
    case kEvEfiRuntimeServicesDriver:
      return DecodeImage(data);
    case kEvEfiGptEvent:
      return DecodeGpt(data);
    case kEvIpl:
      return DecodeIpl(data);
    case kEvEventTag:
      return DecodeEventTag(data);
    case kEvNoAction:
      return DecodeNoAction(data);
    case kEvEfiHandoffTables:
      return DecodeHandoffTables(data, false);
    case kEvEfiHandoffTables2:
      return DecodeHandoffTables(data, true);
    default:
      return std::nullopt;
  }
}

}  // namespace

DecodedEvent DecodeEvent(const Event& event) {
  DecodedEvent out;
  out.data_check = VerifyEventData(event);
  bytes::ByteSpan data(event.data);
  auto decoded = DecodeByType(event, data);
  if (out.data_check.quirk == kShimAuthorityTrailingByteQuirk) {
    // Only the bytes shim measured are proven: decode those when they hold the structure.
    auto measured = DecodeByType(event, data.first(data.size() - 1));
    if (measured.has_value() && measured->ok()) decoded = std::move(measured);
  }
  if (!decoded.has_value()) {
    out.summary = RawSummary(data);
    return out;
  }
  if (!decoded->ok()) {
    out.decode_error = std::string(decoded->status().message());
    out.summary = absl::StrCat("malformed ", EventTypeName(event.type), " (", out.decode_error,
                               "): ", RawSummary(data));
    return out;
  }
  out.content = std::move((*decoded)->content);
  out.summary = std::move((*decoded)->summary);
  // Every decoder names what it saw, but an empty description or path can still leave
  // nothing to show: fall back to the bytes rather than print an empty line.
  if (out.summary.empty()) out.summary = RawSummary(data);
  return out;
}

std::shared_ptr<const DecodedEvent> DecodeEventCached(const Event& event) {
  // Bounded: at most 512 entries of at most 16 KiB of data each (and their decoding), so a
  // caller sending unique events costs the cache its memory bound, never more.
  constexpr size_t kMaxCachedData = 16 * 1024;
  constexpr size_t kCapacity = 512;
  auto decode = [&event] { return std::make_shared<const DecodedEvent>(DecodeEvent(event)); };
  if (event.data.size() > kMaxCachedData) return decode();
  // The key is built in a buffer this thread reuses: most lookups hit and copy nothing.
  thread_local std::string key;
  key.clear();
  auto append = [](const void* bytes, size_t size) {
    key.append(static_cast<const char*>(bytes), size);
  };
  append(&event.pcr, sizeof(event.pcr));
  append(&event.type, sizeof(event.type));
  for (const EventDigest& d : event.digests) {
    const uint16_t alg_id = d.alg_id;
    const uint16_t size = static_cast<uint16_t>(d.digest.size());
    append(&alg_id, sizeof(alg_id));
    append(&size, sizeof(size));
    append(d.digest.data(), d.digest.size());
  }
  append(event.data.data(), event.data.size());
  static cache::BoundedCache<std::string, std::shared_ptr<const DecodedEvent>>* const cache =
      new cache::BoundedCache<std::string, std::shared_ptr<const DecodedEvent>>(kCapacity);
  return cache->GetOrCompute(absl::string_view(key), decode);
}

}  // namespace bootgate::eventlog
