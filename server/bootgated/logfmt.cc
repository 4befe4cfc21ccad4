#include "server/bootgated/logfmt.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace bootgate::service {
namespace {

bool Bare(unsigned char c) { return c > ' ' && c < 0x7f && c != '=' && c != '"' && c != '\\'; }

bool KeyByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

std::string LogfmtValue(absl::string_view value) {
  bool bare = !value.empty();
  for (unsigned char c : value) bare = bare && Bare(c);
  if (bare) return std::string(value);
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < ' ' || c >= 0x7f) {
          absl::StrAppendFormat(&out, "\\x%02x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string LogfmtKey(absl::string_view key) {
  if (key.empty()) return "_";
  std::string out(key);
  for (char& c : out) {
    if (!KeyByte(static_cast<unsigned char>(c))) c = '_';
  }
  return out;
}

std::string LogfmtLine(absl::Span<const LogField> fields) {
  std::string line;
  for (const LogField& field : fields) {
    if (!line.empty()) line += ' ';
    absl::StrAppend(&line, LogfmtKey(field.key), "=", LogfmtValue(field.value));
  }
  return line;
}

}  // namespace bootgate::service
