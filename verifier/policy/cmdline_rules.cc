#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "verifier/policy/rules.h"

namespace bootgate::policy::internal {
namespace {

constexpr uint32_t kPcr8 = 8;
constexpr absl::string_view kCmdlineEvent = "EV_IPL kernel_cmdline";

std::vector<std::string> Args(absl::string_view cmdline) {
  return absl::StrSplit(cmdline, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
}

bool Has(const std::vector<std::string>& args, absl::string_view arg) {
  return std::find(args.begin(), args.end(), arg) != args.end();
}

// "key" forbids "key" and "key=anything"; "key=value" only itself.
std::optional<std::string> ForbiddenMatch(const std::vector<std::string>& args,
                                          absl::string_view rule) {
  for (const std::string& a : args) {
    if (a == rule) return a;
    if (rule.find('=') == absl::string_view::npos &&
        absl::string_view(a).substr(0, a.find('=')) == rule)
      return a;
  }
  return std::nullopt;
}

// Arguments in `a` that are not in `b` (as a multiset difference, order kept).
std::vector<std::string> Missing(const std::vector<std::string>& a, std::vector<std::string> b) {
  std::vector<std::string> out;
  for (const std::string& x : a) {
    auto it = std::find(b.begin(), b.end(), x);
    if (it == b.end()) {
      out.push_back(x);
    } else {
      b.erase(it);
    }
  }
  return out;
}

std::string Quoted(const std::vector<std::string>& args) {
  return absl::StrCat("\"", absl::StrJoin(args, "\", \""), "\"");
}

}  // namespace

void EvaluateCommandLine(const bootstate::KernelLayer& k, const v1::HostGroup& group,
                         std::vector<Finding>& out) {
  const v1::CommandLineRule& rule = group.kernel().cmdline();
  if (!rule.has_exact() && rule.required_args().empty() && rule.forbidden_args().empty()) return;
  const std::string baseline = absl::StrCat("baseline ", group.name(), ".kernel.cmdline");
  const std::string where = Where(k.command_line_event, kCmdlineEvent, kPcr8);
  if (!k.command_line.has_value()) {
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
  const std::vector<std::string> args = Args(*k.command_line);
  const std::string hint = absl::StrCat("if this command line is intended, update ", baseline);
  if (rule.has_exact()) {
    const std::vector<std::string> want = Args(rule.exact());
    if (args != want) {
      const std::vector<std::string> added = Missing(args, want);
      const std::vector<std::string> removed = Missing(want, args);
      std::vector<std::string> parts;
      if (!added.empty()) parts.push_back(absl::StrCat("added ", Quoted(added)));
      if (!removed.empty()) parts.push_back(absl::StrCat("removed ", Quoted(removed)));
      if (parts.empty()) parts.push_back("same arguments in a different order");
      Add(out, {.code = "cmdline-mismatch",
                .layer = Layer::kKernel,
                .pcr = kPcr8,
                .event_index = k.command_line_event,
                .seen = *k.command_line,
                .allowed = absl::StrCat(baseline, ".exact: ", rule.exact()),
                .message = absl::StrCat(where, "kernel command line differs from ", baseline,
                                        ".exact: ", absl::StrJoin(parts, "; ")),
                .hint = hint});
    }
  }
  for (const std::string& req : rule.required_args()) {
    if (Has(args, req)) continue;
    Add(out, {.code = "cmdline-missing-arg",
              .layer = Layer::kKernel,
              .pcr = kPcr8,
              .event_index = k.command_line_event,
              .seen = *k.command_line,
              .allowed = absl::StrCat(baseline, ".required_args: ", req),
              .message = absl::StrCat(where, "kernel command line lacks \"", req, "\", which ",
                                      baseline, " requires"),
              .hint = hint});
  }
  for (const std::string& forbidden : rule.forbidden_args()) {
    const std::optional<std::string> match = ForbiddenMatch(args, forbidden);
    if (!match.has_value()) continue;
    Add(out, {.code = "cmdline-forbidden-arg",
              .layer = Layer::kKernel,
              .pcr = kPcr8,
              .event_index = k.command_line_event,
              .seen = *match,
              .allowed = absl::StrCat(baseline, ".forbidden_args: ", forbidden),
              .message = absl::StrCat(where, "kernel command line has \"", *match, "\", which ",
                                      baseline, " forbids (rule \"", forbidden, "\")"),
              .hint = hint});
  }
}

}  // namespace bootgate::policy::internal
