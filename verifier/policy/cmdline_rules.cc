#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "verifier/bootstate/kernel_cmdline.h"
#include "verifier/bytes/hex.h"
#include "verifier/crypto/hash.h"
#include "verifier/policy/rules.h"

namespace bootgate::policy::internal {
namespace {

constexpr absl::string_view kCmdlineEvent = "EV_IPL kernel_cmdline";
constexpr absl::string_view kLoadOptionsEvent = "EV_EVENT_TAG LOADED_IMAGE::LoadOptions";

using bootstate::KernelArg;

// `"text"`, or `'text'` when the text holds a double quote (an argument with a quoted space:
// `'name="a b"'`), so that a message shows where the argument starts and ends.
std::string Shown(absl::string_view text) {
  return text.find('"') == absl::string_view::npos ? absl::StrCat("\"", text, "\"")
                                                   : absl::StrCat("'", text, "'");
}

std::string ShownList(const std::vector<KernelArg>& args) {
  std::vector<std::string> shown;
  for (const KernelArg& a : args) shown.push_back(Shown(a.text));
  return absl::StrJoin(shown, ", ");
}

bool Has(const std::vector<KernelArg>& args, const KernelArg& want) {
  return std::any_of(args.begin(), args.end(),
                     [&](const KernelArg& a) { return bootstate::SameArg(a, want); });
}

// The argument's name alone: SameArg() on two of these compares names as the kernel does
// ('-' and '_' alike).
KernelArg NameOnly(const KernelArg& a) {
  return {.name = a.name, .value = std::nullopt, .text = a.name};
}

// A rule without value forbids the name with any value or none; with a value, only itself.
std::optional<KernelArg> ForbiddenMatch(const std::vector<KernelArg>& args, const KernelArg& rule) {
  for (const KernelArg& a : args) {
    const bool hit = rule.value.has_value() ? bootstate::SameArg(a, rule)
                                            : bootstate::SameArg(NameOnly(a), NameOnly(rule));
    if (hit) return a;
  }
  return std::nullopt;
}

// UTF-16LE of `text` (UTF-8) with its NUL terminator: what the Linux EFI stub hashes for its
// load options (checked on the captured tests/data/realboot/direct-kernel boot). nullopt
// for text that is not UTF-8.
std::optional<std::vector<uint8_t>> LoadOptionsBytes(absl::string_view text) {
  std::vector<uint8_t> out;
  auto put = [&out](uint32_t unit) {
    out.push_back(static_cast<uint8_t>(unit & 0xFF));
    out.push_back(static_cast<uint8_t>(unit >> 8));
  };
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<uint8_t>(text[i]);
    const size_t len = lead < 0x80           ? 1
                       : (lead >> 5) == 0x6  ? 2
                       : (lead >> 4) == 0xE  ? 3
                       : (lead >> 3) == 0x1E ? 4
                                             : 0;
    if (len == 0 || i + len > text.size()) return std::nullopt;
    uint32_t cp = len == 1 ? lead : lead & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      const auto cont = static_cast<uint8_t>(text[i + k]);
      if ((cont >> 6) != 0x2) return std::nullopt;
      cp = (cp << 6) | (cont & 0x3F);
    }
    i += len;
    if (cp >= 0x10000) {
      put(0xD800 + ((cp - 0x10000) >> 10));
      put(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      put(cp);
    }
  }
  put(0);
  return out;
}

// A kernel whose command line is in the log only as the EFI stub's load options digest:
// returns true when `exact` hashes to it (the command line is then proven to be `exact`);
// otherwise adds why it cannot be checked or does not match, and returns false.
bool LoadOptionsAreExact(const bootstate::BootImage& options, const v1::CommandLineRule& rule,
                         const std::string& baseline, std::vector<Finding>& out) {
  const std::string where = Where(options.event_index, kLoadOptionsEvent, kPcr9);
  const std::optional<std::string> seen = Sha256Hex(options.digests);
  if (rule.has_exact() && seen.has_value()) {
    std::optional<std::vector<uint8_t>> bytes = LoadOptionsBytes(rule.exact());
    absl::StatusOr<crypto::Digest> want = bytes.has_value()
                                              ? crypto::Hash(crypto::HashAlg::kSha256, *bytes)
                                              : absl::InvalidArgumentError("not UTF-8");
    if (want.ok() && bytes::ToHex(*want) == *seen) return true;
    Add(out, {.code = "cmdline-mismatch",
              .layer = Layer::kKernel,
              .pcr = kPcr9,
              .event_index = options.event_index,
              .seen = absl::StrCat("load options sha256 ", *seen),
              .allowed = absl::StrCat(baseline, ".exact: ", rule.exact()),
              .message = absl::StrCat(
                  where, "the command line the kernel's EFI stub measured is not ", baseline,
                  ".exact (only its digest is in the log: ", ShortHex(*seen), ")"),
              .hint = absl::StrCat("if this command line is intended, update ", baseline,
                                   ".exact (the kernel's /proc/cmdline, byte for byte)")});
    return false;
  }
  Add(out, {.code = "cmdline-not-measured",
            .layer = Layer::kKernel,
            .pcr = kPcr9,
            .event_index = options.event_index,
            .seen = "the command line only as the EFI stub's load options digest",
            .allowed = baseline,
            .message = absl::StrCat(where,
                                    "no loader logged the kernel command line as text (the "
                                    "kernel was started by the firmware); its EFI stub measured "
                                    "the load options as a digest only, which proves an exact "
                                    "command line but cannot be read argument by argument"),
            .hint = absl::StrCat("pin the whole command line in ", baseline,
                                 ".exact (the kernel's /proc/cmdline, byte for byte)")});
  return false;
}

}  // namespace

void EvaluateCommandLine(const bootstate::KernelLayer& k, const v1::HostGroup& group,
                         std::vector<Finding>& out) {
  const v1::CommandLineRule& rule = group.kernel().cmdline();
  if (!rule.has_exact() && rule.required_args().empty() && rule.forbidden_args().empty()) return;
  const std::string baseline = absl::StrCat("baseline ", group.name(), ".kernel.cmdline");
  // The command line the rules read: grub's kernel_cmdline, or `exact` itself once the EFI
  // stub's load options digest proved it.
  std::optional<std::string> cmdline = k.command_line;
  std::optional<uint32_t> event = k.command_line_event;
  uint32_t pcr = kPcr8;
  std::string where = Where(event, kCmdlineEvent, kPcr8);
  if (!cmdline.has_value() && k.load_options.has_value()) {
    if (!LoadOptionsAreExact(*k.load_options, rule, baseline, out)) return;
    cmdline = rule.exact();
    event = k.load_options->event_index;
    pcr = kPcr9;
    where = Where(event, kLoadOptionsEvent, kPcr9);
  }
  if (!cmdline.has_value()) {
    Add(out, {.code = "cmdline-not-measured",
              .layer = Layer::kKernel,
              .pcr = kPcr8,
              .seen = "no kernel command line in the log",
              .allowed = baseline,
              .message = absl::StrCat("PCR 8: the log has no kernel command line to check against ",
                                      baseline),
              .hint = "boot through a loader that measures the command line (grub logs "
                      "kernel_cmdline in PCR 8)"});
    return;
  }
  // The arguments as the kernel reads them; rules are read the same way, so `name="a b"` and
  // `"name=a b"` are one argument whichever way a rule or grub writes it.
  const std::vector<KernelArg> args = bootstate::SplitKernelCmdline(*cmdline);
  const std::string hint = absl::StrCat("if this command line is intended, update ", baseline);
  if (rule.has_exact()) {
    const std::vector<KernelArg> want = bootstate::SplitKernelCmdline(rule.exact());
    const bootstate::KernelArgsDiff diff = bootstate::DiffKernelArgs(want, args);
    if (!diff.empty()) {
      std::vector<std::string> parts;
      if (!diff.added.empty()) parts.push_back(absl::StrCat("added ", ShownList(diff.added)));
      if (!diff.removed.empty()) {
        parts.push_back(absl::StrCat("removed ", ShownList(diff.removed)));
      }
      if (parts.empty()) parts.push_back("same arguments in a different order");
      Add(out, {.code = "cmdline-mismatch",
                .layer = Layer::kKernel,
                .pcr = pcr,
                .event_index = event,
                .seen = *cmdline,
                .allowed = absl::StrCat(baseline, ".exact: ", rule.exact()),
                .message = absl::StrCat(where, "kernel command line differs from ", baseline,
                                        ".exact: ", absl::StrJoin(parts, "; ")),
                .hint = hint});
    }
  }
  // ValidatePolicy refuses an argument rule that is not exactly one argument; should one reach
  // here, each of its arguments is a rule of its own (fail closed).
  for (const std::string& req : rule.required_args()) {
    for (const KernelArg& want : bootstate::SplitKernelCmdline(req)) {
      if (Has(args, want)) continue;
      Add(out, {.code = "cmdline-missing-arg",
                .layer = Layer::kKernel,
                .pcr = pcr,
                .event_index = event,
                .seen = *cmdline,
                .allowed = absl::StrCat(baseline, ".required_args: ", req),
                .message = absl::StrCat(where, "kernel command line lacks ", Shown(want.text),
                                        ", which ", baseline, " requires"),
                .hint = hint});
    }
  }
  for (const std::string& forbidden : rule.forbidden_args()) {
    for (const KernelArg& banned : bootstate::SplitKernelCmdline(forbidden)) {
      const std::optional<KernelArg> match = ForbiddenMatch(args, banned);
      if (!match.has_value()) continue;
      Add(out,
          {.code = "cmdline-forbidden-arg",
           .layer = Layer::kKernel,
           .pcr = pcr,
           .event_index = event,
           .seen = match->text,
           .allowed = absl::StrCat(baseline, ".forbidden_args: ", forbidden),
           .message = absl::StrCat(where, "kernel command line has ", Shown(match->text),
                                   ", which ", baseline, " forbids (rule ", Shown(forbidden), ")"),
           .hint = hint});
    }
  }
}

}  // namespace bootgate::policy::internal
