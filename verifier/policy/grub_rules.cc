// boot_loader.grub: the commands grub ran (PCR 8) against the learned sequence or an
// allow-list of patterns, and the configuration files it read (PCR 9). Differences are found
// by content alignment (verifier/diff/align.h), so one added command is one finding.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "verifier/diff/align.h"
#include "verifier/policy/rules.h"

namespace bootgate::policy::internal {
namespace {

constexpr absl::string_view kCommandEvent = "EV_IPL grub_cmd";
constexpr absl::string_view kFileEvent = "EV_IPL grub file";

absl::string_view Verb(absl::string_view command) {
  const size_t end = command.find_first_of(" \t");
  return end == absl::string_view::npos ? command : command.substr(0, end);
}

// Commands whose arguments the kernel layer judges (the kernel and initrd files by digest,
// the command line by its rule): here only their verb counts, so that a changed kernel,
// initrd or command line is reported once, by the kernel layer.
bool IsKernelLayerCommand(absl::string_view command) {
  static constexpr absl::string_view kVerbs[] = {"linux",     "linuxefi", "linux16",   "initrd",
                                                 "initrdefi", "initrd16", "multiboot", "multiboot2",
                                                 "module",    "module2"};
  const absl::string_view verb = Verb(command);
  for (absl::string_view v : kVerbs) {
    if (verb == v) return true;
  }
  return false;
}

std::string CompareKey(absl::string_view command) {
  return IsKernelLayerCommand(command)
             ? absl::StrCat(Verb(command), " (judged by the kernel layer)")
             : std::string(command);
}

// `*` matches any run of characters (including none); every other character itself.
bool MatchesPattern(absl::string_view text, absl::string_view pattern) {
  size_t t = 0, p = 0;
  size_t star = absl::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// A configuration file grub read whose digest the baseline does not list.
struct ConfigChange {
  const bootstate::BootImage* file;
  std::string sha256;
};

std::vector<ConfigChange> ChangedConfigFiles(const bootstate::BootLoaderLayer& bl,
                                             const v1::GrubRule& rule) {
  std::vector<ConfigChange> out;
  if (rule.config_files().empty()) return out;
  for (const bootstate::BootImage& file : bl.grub_config_files) {
    const std::optional<std::string> hex = Sha256Hex(file.digests);
    if (!hex.has_value()) continue;
    bool known = false;
    for (const v1::Image& image : rule.config_files()) known = known || image.sha256() == *hex;
    if (!known) out.push_back({&file, *hex});
  }
  return out;
}

// "; grub read (hd0,gpt1)/EFI/debian/grub.cfg sha256 3f2a9c01b4de… (event 41), not in
// baseline G.boot_loader.grub.config_files", or "" when every file is listed.
std::string ConfigNote(const std::vector<ConfigChange>& changes, const std::string& baseline) {
  if (changes.empty()) return "";
  std::vector<std::string> files;
  for (const ConfigChange& c : changes) {
    files.push_back(absl::StrCat(c.file->path, " sha256 ", ShortHex(c.sha256), " (event ",
                                 c.file->event_index, ")"));
  }
  return absl::StrCat("; grub read ", absl::StrJoin(files, ", "), ", not in ", baseline,
                      ".config_files");
}

void CompareWithLearned(const bootstate::BootLoaderLayer& bl, const v1::HostGroup& group,
                        std::vector<Finding>& out) {
  const v1::GrubRule& rule = group.boot_loader().grub();
  const std::string baseline = absl::StrCat("baseline ", group.name(), ".boot_loader.grub");
  std::vector<std::string> want, seen;
  for (const std::string& command : rule.commands()) want.push_back(CompareKey(command));
  for (const bootstate::GrubCommand& command : bl.grub_commands) {
    seen.push_back(CompareKey(command.text));
  }
  const std::vector<diff::AlignStep> steps =
      diff::Differences(diff::Align(want, seen, [&](size_t i, size_t j) {
        return Verb(rule.commands(static_cast<int>(i))) == Verb(bl.grub_commands[j].text);
      }));
  const std::vector<ConfigChange> config = ChangedConfigFiles(bl, rule);
  const std::string note = ConfigNote(config, baseline);
  const std::string hint = absl::StrCat(
      "if grub's configuration changed on purpose, learn it again from a golden host (`bootgate "
      "baseline learn BUNDLE --group ",
      group.name(), "`) or edit ", group.name(), ".boot_loader.grub.commands");
  for (const diff::AlignStep& step : steps) {
    const std::string expected =
        step.a.has_value() ? rule.commands(static_cast<int>(*step.a)) : std::string();
    const bootstate::GrubCommand* ran = step.b.has_value() ? &bl.grub_commands[*step.b] : nullptr;
    switch (step.kind) {
      case diff::StepKind::kAdded:
        Add(out, {.code = "grub-command-added",
                  .layer = Layer::kBootLoader,
                  .pcr = kPcr8,
                  .event_index = ran->event_index,
                  .seen = ran->text,
                  .allowed = absl::StrCat(baseline, ".commands: ", rule.commands_size(),
                                          " command(s), not this one"),
                  .message = absl::StrCat(Where(ran->event_index, kCommandEvent, kPcr8),
                                          "grub ran `", ran->text, "`, which ", baseline,
                                          ".commands does not have", note),
                  .hint = hint});
        break;
      case diff::StepKind::kRemoved:
        Add(out, {.code = "grub-command-removed",
                  .layer = Layer::kBootLoader,
                  .pcr = kPcr8,
                  .seen = "not run",
                  .allowed = expected,
                  .message = absl::StrCat("PCR 8: grub did not run `", expected, "` (command ",
                                          *step.a + 1, " of ", baseline, ".commands)", note),
                  .hint = hint});
        break;
      case diff::StepKind::kChanged:
        Add(out, {.code = "grub-command-changed",
                  .layer = Layer::kBootLoader,
                  .pcr = kPcr8,
                  .event_index = ran->event_index,
                  .seen = ran->text,
                  .allowed = expected,
                  .message = absl::StrCat(Where(ran->event_index, kCommandEvent, kPcr8),
                                          "grub ran `", ran->text, "` where ", baseline,
                                          ".commands has `", expected, "`", note),
                  .hint = hint});
        break;
      case diff::StepKind::kSame:
        break;
    }
  }
  if (!steps.empty()) return;
  // A changed `linux`/`initrd` line changes grub.cfg too: the kernel layer reports it.
  bool ran_as_learned = static_cast<int>(bl.grub_commands.size()) == rule.commands_size();
  for (size_t i = 0; ran_as_learned && i < bl.grub_commands.size(); ++i) {
    ran_as_learned = bl.grub_commands[i].text == rule.commands(static_cast<int>(i));
  }
  if (!ran_as_learned) return;
  for (const ConfigChange& c : config) {
    Add(out,
        {.code = "grub-config-changed",
         .layer = Layer::kBootLoader,
         .severity = Severity::kInfo,
         .pcr = kPcr9,
         .event_index = c.file->event_index,
         .seen = absl::StrCat(c.file->path, " sha256 ", c.sha256),
         .allowed = absl::StrCat(baseline, ".config_files: ", rule.config_files_size(), " file(s)"),
         .message = absl::StrCat(Where(c.file->event_index, kFileEvent, kPcr9),
                                 "grub read a configuration file ", c.file->path,
                                 " that is not the learned one, yet ran exactly the learned "
                                 "commands: the file changed only where grub did not run it"),
         .hint = absl::StrCat("add its sha256 (`sha256sum grub.cfg`) to ", group.name(),
                              ".boot_loader.grub.config_files once reviewed")});
  }
}

void CheckPatterns(const bootstate::BootLoaderLayer& bl, const v1::HostGroup& group,
                   std::vector<Finding>& out) {
  const v1::GrubRule& rule = group.boot_loader().grub();
  const std::string baseline =
      absl::StrCat("baseline ", group.name(), ".boot_loader.grub.command_patterns");
  for (const bootstate::GrubCommand& command : bl.grub_commands) {
    if (IsKernelLayerCommand(command.text)) continue;
    bool allowed = false;
    for (const std::string& pattern : rule.command_patterns()) {
      allowed = allowed || MatchesPattern(command.text, pattern);
    }
    if (allowed) continue;
    Add(out,
        {.code = "grub-command-not-allowed",
         .layer = Layer::kBootLoader,
         .pcr = kPcr8,
         .event_index = command.event_index,
         .seen = command.text,
         .allowed = absl::StrCat(baseline, ": ", rule.command_patterns_size(), " pattern(s)"),
         .message = absl::StrCat(Where(command.event_index, kCommandEvent, kPcr8), "grub ran `",
                                 command.text, "`, which no pattern of ", baseline, " matches"),
         .hint = absl::StrCat("if this command is expected, add a pattern for it to ", group.name(),
                              ".boot_loader.grub.command_patterns (an asterisk matches "
                              "any run of characters)")});
  }
}

}  // namespace

void EvaluateGrub(const bootstate::BootLoaderLayer& bl, const v1::HostGroup& group,
                  std::vector<Finding>& out) {
  if (bl.grub_commands.empty()) return;  // no grub, or a grub that measures nothing
  const v1::GrubRule& rule = group.boot_loader().grub();
  if (EmptyLayer(out, group, "boot_loader.grub",
                 rule.commands().empty() && rule.command_patterns().empty(), rule.unpinned())) {
    return;
  }
  if (!rule.commands().empty()) {
    CompareWithLearned(bl, group, out);
  } else {
    CheckPatterns(bl, group, out);
  }
}

}  // namespace bootgate::policy::internal
