// EV_IPL strings as boot loaders log them: grub 2.06 (PCR 8 "grub_cmd: ", "kernel_cmdline: ",
// "module_cmdline: " strings; PCR 9 file paths), shim (PCR 14 "MokList", "MokListX",
// "MokSBState", ...) and systemd-stub (UTF-16 descriptions).
#ifndef BOOTGATE_VERIFIER_EVENTLOG_IPL_H_
#define BOOTGATE_VERIFIER_EVENTLOG_IPL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "verifier/bytes/reader.h"

namespace bootgate::eventlog {

struct IplString {
  enum class Kind {
    kGrubCommand,    // "grub_cmd: <command>"
    kKernelCmdline,  // "kernel_cmdline: <cmdline>"
    kModuleCmdline,  // "module_cmdline: <cmdline>"
    kOther,          // any other text (grub PCR 9 file path, shim variable name, ...)
  };
  Kind kind = Kind::kOther;
  std::string prefix;  // "grub_cmd: " etc., empty for kOther
  std::string text;    // what follows the prefix, without the trailing NUL(s)
  bool utf16 = false;  // the data was UTF-16LE (systemd-stub) and was converted
  // The bytes grub hashes for a prefixed string: the text after the prefix, without the
  // NUL. Empty for kOther.
  std::string measured_text;
};

// Reads an EV_IPL payload as text. Returns nullopt when it is not text (contains control
// bytes other than a trailing NUL, or is not valid UTF-8/UTF-16).
std::optional<IplString> ParseIplString(bytes::ByteSpan data);

// Returns the printable form of bytes meant as a string: trailing NULs dropped, and
// nullopt when any byte is a control character (other than tab/newline) or the bytes are
// not valid UTF-8.
std::optional<std::string> AsPrintableText(bytes::ByteSpan data);

}  // namespace bootgate::eventlog

#endif  // BOOTGATE_VERIFIER_EVENTLOG_IPL_H_
