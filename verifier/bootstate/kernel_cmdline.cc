#include "verifier/bootstate/kernel_cmdline.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace bootgate::bootstate {
namespace {

// The kernel's isspace() (lib/ctype.c): the bytes whose _ctype entry has _S. That is the
// ASCII set plus 0xA0 (Latin-1 no-break space), and it does not depend on a locale.
bool KernelIsSpace(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == ' ' || (u >= '\t' && u <= '\r') || u == 0xA0;
}

bool HasSpace(absl::string_view s) { return std::any_of(s.begin(), s.end(), KernelIsSpace); }

size_t SkipSpaces(absl::string_view s, size_t at) {
  while (at < s.size() && KernelIsSpace(s[at])) ++at;
  return at;
}

// `name`, `name=value`, `name="value"` when the value holds whitespace, `"name=value"` when
// the name does (the kernel reads each of these back as the same argument), and `""` for an
// empty name without value (the kernel's reading of `""`), so that no argument shows as
// nothing.
std::string CanonicalText(const std::string& name, const std::optional<std::string>& value) {
  if (!value.has_value()) {
    return name.empty() || HasSpace(name) ? absl::StrCat("\"", name, "\"") : name;
  }
  if (HasSpace(name)) return absl::StrCat("\"", name, "=", *value, "\"");
  if (HasSpace(*value)) return absl::StrCat(name, "=\"", *value, "\"");
  return absl::StrCat(name, "=", *value);
}

KernelArg MakeArg(std::string name, std::optional<std::string> value) {
  KernelArg arg{.name = std::move(name), .value = std::move(value), .text = ""};
  arg.text = CanonicalText(arg.name, arg.value);
  return arg;
}

bool SameNameChar(char a, char b) {
  const auto dash = [](char c) { return c == '-' ? '_' : c; };
  return dash(a) == dash(b);
}

bool SameName(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), SameNameChar);
}

// One key per argument that SameArg() takes as equal: the name with '-' as '_', then the
// value. Names and values hold no NUL (SplitKernelCmdline stops at one), so the NUL
// separator keeps "a" + "=b" apart from "a=" + "b".
std::string ArgKey(const KernelArg& arg) {
  std::string key = arg.name;
  std::replace(key.begin(), key.end(), '-', '_');
  key.push_back('\0');
  if (arg.value.has_value()) absl::StrAppend(&key, "=", *arg.value);
  return key;
}

// The arguments of `a` that `b` does not account for, one for one, in `a`'s order.
std::vector<KernelArg> MultisetMinus(const std::vector<KernelArg>& a,
                                     const std::vector<KernelArg>& b) {
  std::unordered_map<std::string, size_t> available;
  for (const KernelArg& arg : b) ++available[ArgKey(arg)];
  std::vector<KernelArg> out;
  for (const KernelArg& arg : a) {
    auto it = available.find(ArgKey(arg));
    if (it != available.end() && it->second > 0) {
      --it->second;
    } else {
      out.push_back(arg);
    }
  }
  return out;
}

}  // namespace

// Linux's parse_args() (kernel/params.c): skip_spaces(), then next_arg() (lib/cmdline.c) until
// the end of the string, each step below the one next_arg() takes on its NUL-terminated
// copy. next_arg() cuts the string by writing NULs; here a cut is the end of a substring.
// The arguments after "--" (init's arguments) are split the same way by the kernel (a second
// parse_args()), so "--" is one more argument here and the split goes on.
std::vector<KernelArg> SplitKernelCmdline(absl::string_view cmdline) {
  // The kernel reads a C string: nothing after a NUL reaches it.
  cmdline = cmdline.substr(0, cmdline.find('\0'));
  std::vector<KernelArg> args;
  size_t at = SkipSpaces(cmdline, 0);
  while (at < cmdline.size()) {
    // `"` first: in_quote and quoted, and the argument starts after it.
    bool in_quote = false;
    bool quoted = false;
    size_t start = at;
    if (cmdline[start] == '"') {
      ++start;
      in_quote = quoted = true;
    }
    // Whitespace ends the argument only outside quotes; every `"` toggles in_quote; the first
    // '=' after the argument's first byte splits name and value (next_arg's `equals == 0`
    // means "none yet", so an '=' at offset 0 is part of the name).
    size_t end = start;
    size_t equals = 0;
    for (; end < cmdline.size(); ++end) {
      const char c = cmdline[end];
      if (KernelIsSpace(c) && !in_quote) break;
      if (equals == 0 && c == '=' && end > start) equals = end;
      if (c == '"') in_quote = !in_quote;
    }
    // next_arg() writes a NUL over a last `"` (args[i-1]) when the value started with `"`
    // (which the value then loses), and when the argument started with `"`.
    size_t cut = end;
    const bool last_is_quote = end > start && cmdline[end - 1] == '"';
    std::optional<std::string> value;
    if (equals != 0) {
      size_t value_start = equals + 1;
      if (value_start < end && cmdline[value_start] == '"') {
        ++value_start;
        if (last_is_quote) cut = end - 1;
      }
      if (quoted && last_is_quote) cut = end - 1;
      // `name="` leaves the value's start past the cut: the empty string.
      value = value_start < cut ? std::string(cmdline.substr(value_start, cut - value_start))
                                : std::string();
    } else if (quoted && last_is_quote) {
      cut = end - 1;
    }
    const size_t name_end = equals != 0 ? equals : cut;
    args.push_back(MakeArg(std::string(cmdline.substr(start, name_end - start)), std::move(value)));
    // The byte that ended the argument (a space, or the end) and the spaces after it.
    at = SkipSpaces(cmdline, end);
  }
  return args;
}

bool SameArg(const KernelArg& a, const KernelArg& b) {
  return SameName(a.name, b.name) && a.value == b.value;
}

KernelArgsDiff DiffKernelArgs(const std::vector<KernelArg>& before,
                              const std::vector<KernelArg>& after) {
  KernelArgsDiff diff;
  diff.added = MultisetMinus(after, before);
  diff.removed = MultisetMinus(before, after);
  diff.reordered = diff.added.empty() && diff.removed.empty() &&
                   !std::equal(before.begin(), before.end(), after.begin(), after.end(), SameArg);
  return diff;
}

}  // namespace bootgate::bootstate
