#include "verifier/eventlog/ipl.h"

#include <array>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "verifier/eventlog/uefi_variable.h"

namespace bootgate::eventlog {
namespace {

// Returns true for well-formed UTF-8 without control characters (tab and newline allowed:
// grub command lines may contain them).
bool IsPrintableUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) return false;
      ++i;
      continue;
    }
    size_t extra = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (extra >= s.size() - i) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::array<uint32_t, 4> kMin = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// systemd-stub and some firmware log UTF-16LE text: ASCII with every odd byte zero.
bool LooksLikeUtf16(bytes::ByteSpan data) {
  if (data.size() < 4 || data.size() % 2 != 0) return false;
  for (size_t i = 1; i < data.size(); i += 2) {
    if (data[i] != 0) return false;
  }
  return data[0] != 0;
}

}  // namespace

std::optional<std::string> AsPrintableText(bytes::ByteSpan data) {
  size_t end = data.size();
  while (end > 0 && data[end - 1] == 0) --end;
  std::string text(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(end));
  if (!IsPrintableUtf8(text)) return std::nullopt;
  return text;
}

std::optional<IplString> ParseIplString(bytes::ByteSpan data) {
  IplString ipl;
  std::optional<std::string> text = AsPrintableText(data);
  if (!text.has_value() && LooksLikeUtf16(data)) {
    auto converted = Utf16LeToUtf8(data);
    if (converted.ok() && IsPrintableUtf8(*converted)) {
      text = *converted;
      ipl.utf16 = true;
    }
  }
  if (!text.has_value()) return std::nullopt;
  static constexpr std::array<std::pair<absl::string_view, IplString::Kind>, 3> kPrefixes = {{
      {"grub_cmd: ", IplString::Kind::kGrubCommand},
      {"kernel_cmdline: ", IplString::Kind::kKernelCmdline},
      {"module_cmdline: ", IplString::Kind::kModuleCmdline},
  }};
  ipl.text = *text;
  if (!ipl.utf16) {
    for (const auto& [prefix, kind] : kPrefixes) {
      if (absl::StartsWith(*text, prefix)) {
        ipl.kind = kind;
        ipl.prefix = std::string(prefix);
        ipl.text = text->substr(prefix.size());
        // grub hashes strlen(str) bytes: up to the first NUL of the logged string.
        const size_t nul = ipl.text.find('\0');
        ipl.measured_text = ipl.text.substr(0, nul);
        break;
      }
    }
  }
  return ipl;
}

}  // namespace bootgate::eventlog
