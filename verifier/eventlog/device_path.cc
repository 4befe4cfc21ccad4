#include "verifier/eventlog/device_path.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "verifier/bytes/hex.h"
#include "verifier/eventlog/guid.h"
#include "verifier/eventlog/uefi_variable.h"

namespace bootgate::eventlog {
namespace {

constexpr uint8_t kHardware = 0x01;
constexpr uint8_t kAcpi = 0x02;
constexpr uint8_t kMessaging = 0x03;
constexpr uint8_t kMedia = 0x04;
constexpr uint8_t kBbs = 0x05;
constexpr uint8_t kEnd = 0x7F;
constexpr uint8_t kEndInstance = 0x01;
constexpr uint8_t kEndEntire = 0xFF;
constexpr size_t kMaxNodes = 256;

std::string Hex(uint64_t v) { return absl::StrFormat("0x%x", v); }

// Node body readers: every accessor checks the body length, so a short node of a known
// kind falls back to the generic Path() form instead of reading past it.
class Body {
 public:
  explicit Body(bytes::ByteSpan data) : reader_(data) {}
  bool ok() const { return ok_; }
  uint64_t U8() { return Get(reader_.U8("")); }
  uint64_t U16() { return Get(reader_.U16Le("")); }
  uint64_t U32() { return Get(reader_.U32Le("")); }
  uint64_t U64() { return Get(reader_.U64Le("")); }
  std::string GuidText() {
    auto guid = ReadGuid(reader_, "");
    if (!guid.ok()) ok_ = false;
    return guid.ok() ? guid->ToString() : "";
  }
  bytes::ByteSpan Bytes(size_t n) {
    auto b = reader_.Bytes(n, "");
    if (!b.ok()) ok_ = false;
    return b.ok() ? *b : bytes::ByteSpan();
  }
  bytes::ByteSpan Rest() { return reader_.Rest(); }

 private:
  template <typename T>
  uint64_t Get(const absl::StatusOr<T>& v) {
    if (!v.ok()) ok_ = false;
    return v.ok() ? *v : 0;
  }
  bytes::Reader reader_;
  bool ok_ = true;
};

std::string Generic(uint8_t type, uint8_t subtype, bytes::ByteSpan body) {
  std::string out = absl::StrFormat("Path(%u,%u", type, subtype);
  if (!body.empty()) absl::StrAppend(&out, ",", bytes::ToHex(body));
  return out + ")";
}

// Vendor nodes: VenHw / VenMsg / VenMedia(GUID[,hex of the vendor data]).
std::string Vendor(absl::string_view name, Body& b) {
  std::string guid = b.GuidText();
  bytes::ByteSpan rest = b.Rest();
  std::string out = absl::StrCat(name, "(", guid);
  if (!rest.empty()) absl::StrAppend(&out, ",", bytes::ToHex(rest));
  return out + ")";
}

std::string Acpi(Body& b) {
  const uint32_t hid = static_cast<uint32_t>(b.U32());
  const uint32_t uid = static_cast<uint32_t>(b.U32());
  // Compressed EISA id: the low 16 bits are the vendor ("PNP" = 0x41D0), the high 16 the
  // product number.
  if ((hid & 0xFFFF) == 0x41D0) {
    const uint32_t product = hid >> 16;
    if (product == 0x0A03) return absl::StrCat("PciRoot(", Hex(uid), ")");
    if (product == 0x0A08) return absl::StrCat("PcieRoot(", Hex(uid), ")");
    return absl::StrFormat("Acpi(PNP%04X,%s)", product, Hex(uid));
  }
  return absl::StrFormat("Acpi(%s,%s)", Hex(hid), Hex(uid));
}

std::string HardDrive(Body& b) {
  const uint64_t part = b.U32();
  const uint64_t start = b.U64();
  const uint64_t size = b.U64();
  bytes::ByteSpan sig = b.Bytes(16);
  const uint64_t format = b.U8();
  const uint64_t sig_type = b.U8();
  if (!b.ok()) return "";
  std::string signature;
  if (sig_type == 2) {
    bytes::Reader r(sig);
    auto guid = ReadGuid(r, "");
    signature = guid.ok() ? guid->ToString() : "";
  } else if (sig_type == 1) {
    signature = Hex(static_cast<uint64_t>(sig[0]) | static_cast<uint64_t>(sig[1]) << 8 |
                    static_cast<uint64_t>(sig[2]) << 16 | static_cast<uint64_t>(sig[3]) << 24);
  } else {
    signature = "0";
  }
  const std::string fmt = format == 1 ? "MBR" : format == 2 ? "GPT" : Hex(format);
  return absl::StrCat("HD(", part, ",", fmt, ",", signature, ",", Hex(start), ",", Hex(size), ")");
}

// Returns the node's text, or "" when the body is too short for its kind.
std::string NodeText(uint8_t type, uint8_t subtype, bytes::ByteSpan body, std::string& file) {
  Body b(body);
  std::string out;
  switch (type) {
    case kHardware:
      if (subtype == 1) {
        const uint64_t function = b.U8();
        const uint64_t device = b.U8();
        out = absl::StrCat("Pci(", Hex(device), ",", Hex(function), ")");
      } else if (subtype == 3) {
        const uint64_t mem_type = b.U32();
        const uint64_t start = b.U64();
        const uint64_t end = b.U64();
        out = absl::StrCat("MemoryMapped(", Hex(mem_type), ",", Hex(start), ",", Hex(end), ")");
      } else if (subtype == 4) {
        out = Vendor("VenHw", b);
      } else if (subtype == 5) {
        out = absl::StrCat("Ctrl(", Hex(b.U32()), ")");
      }
      break;
    case kAcpi:
      if (subtype == 1) {
        out = Acpi(b);
      } else if (subtype == 3) {
        out = absl::StrCat("AcpiAdr(", Hex(b.U32()), ")");
      }
      break;
    case kMessaging:
      if (subtype == 2) {
        const uint64_t pun = b.U16();
        const uint64_t lun = b.U16();
        out = absl::StrCat("Scsi(", Hex(pun), ",", Hex(lun), ")");
      } else if (subtype == 5) {
        const uint64_t port = b.U8();
        const uint64_t interface = b.U8();
        out = absl::StrCat("USB(", Hex(port), ",", Hex(interface), ")");
      } else if (subtype == 10) {
        out = Vendor("VenMsg", b);
      } else if (subtype == 11) {
        bytes::ByteSpan mac = b.Bytes(32);
        const uint64_t if_type = b.U8();
        if (b.ok()) {
          // Ethernet (and unknown types) use the first 6 bytes of the 32-byte field.
          const size_t len = (if_type == 0 || if_type == 1) ? 6 : 32;
          out = absl::StrCat("MAC(", bytes::ToHex(mac.first(len)), ",", Hex(if_type), ")");
        }
      } else if (subtype == 18) {
        const uint64_t hba = b.U16();
        const uint64_t pm = b.U16();
        const uint64_t lun = b.U16();
        out = absl::StrCat("Sata(", Hex(hba), ",", Hex(pm), ",", Hex(lun), ")");
      } else if (subtype == 23) {
        const uint64_t nsid = b.U32();
        bytes::ByteSpan eui = b.Bytes(8);
        if (b.ok()) {
          std::vector<std::string> parts;
          for (uint8_t byte : eui) parts.push_back(absl::StrFormat("%02X", byte));
          out = absl::StrCat("NVMe(", Hex(nsid), ",", absl::StrJoin(parts, "-"), ")");
        }
      }
      break;
    case kMedia:
      if (subtype == 1) {
        out = HardDrive(b);
      } else if (subtype == 3) {
        out = Vendor("VenMedia", b);
      } else if (subtype == 4) {
        auto path = Utf16LeToUtf8(b.Rest());
        if (path.ok()) {
          file = *path;
          out = absl::StrCat("File(", *path, ")");
        }
      } else if (subtype == 6) {
        out = absl::StrCat("FvFile(", b.GuidText(), ")");
      } else if (subtype == 7) {
        out = absl::StrCat("Fv(", b.GuidText(), ")");
      } else if (subtype == 8) {
        b.U32();  // reserved
        const uint64_t start = b.U64();
        const uint64_t end = b.U64();
        out = absl::StrCat("Offset(", Hex(start), ",", Hex(end), ")");
      }
      break;
    case kBbs:
      if (subtype == 1) {
        const uint64_t device_type = b.U16();
        const uint64_t status = b.U16();
        out = absl::StrCat("BBS(", Hex(device_type), ",", Hex(status), ")");
      }
      break;
    default:
      break;
  }
  if (!b.ok()) return "";
  return out;
}

}  // namespace

DevicePathText DevicePathToText(bytes::ByteSpan data) {
  DevicePathText result;
  bytes::Reader reader(data);
  // A view of a literal, not a std::string: assigning a one-character literal to a
  // std::string trips a false -Wrestrict in GCC 12 at -O3 (GCC PR 105329).
  absl::string_view separator;
  for (size_t nodes = 0;; ++nodes) {
    if (reader.empty()) {
      result.error = "device path has no end node";
      break;
    }
    if (nodes == kMaxNodes) {
      result.error = absl::StrFormat("device path has more than %u nodes", kMaxNodes);
      break;
    }
    const size_t node_offset = reader.offset();
    auto header = reader.Bytes(4, "device path node header");
    if (!header.ok()) {
      result.error = absl::StrFormat("truncated device path node header at offset %u", node_offset);
      break;
    }
    const uint8_t type = (*header)[0];
    const uint8_t subtype = (*header)[1];
    const size_t length = static_cast<size_t>((*header)[2]) | static_cast<size_t>((*header)[3])
                                                                  << 8;
    if (length < 4) {
      result.error =
          absl::StrFormat("device path node at offset %u has length %u (< 4)", node_offset, length);
      break;
    }
    auto body = reader.Bytes(length - 4, "device path node");
    if (!body.ok()) {
      result.error =
          absl::StrFormat("device path node at offset %u has length %u, beyond the %u bytes left",
                          node_offset, length, reader.remaining() + 4);
      break;
    }
    if (type == kEnd && subtype == kEndEntire) {
      if (!reader.empty()) {
        result.error =
            absl::StrFormat("%u bytes follow the device path's end node", reader.remaining());
      }
      return result;
    }
    if (type == kEnd && subtype == kEndInstance) {
      separator = ",";
      continue;
    }
    std::string text = NodeText(type, subtype, *body, result.file);
    if (text.empty()) text = Generic(type, subtype, *body);
    absl::StrAppend(&result.text, separator, text);
    separator = "/";
  }
  absl::StrAppend(&result.text, separator, "<error>");
  return result;
}

}  // namespace bootgate::eventlog
