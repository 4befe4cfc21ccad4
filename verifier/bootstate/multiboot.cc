#include "verifier/bootstate/multiboot.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace bootgate::bootstate {
namespace {

struct LoadCommand {
  GrubLoad::Kind kind;
  std::string path;
};

bool IsInitrdVerb(absl::string_view verb) {
  return verb == "initrd" || verb == "initrdefi" || verb == "initrd16";
}

// Links each load to the next file with its path in PCR 9 order from `from`, each file used
// once, in command order: the proven orders only.
void LinkFiles(std::vector<GrubLoad>& loads, const std::vector<BootImage>& files, size_t from) {
  for (GrubLoad& load : loads) {
    std::optional<size_t> file = NextFileFor(files, load.path, from);
    if (!file.has_value()) continue;
    load.file = files[*file];
    from = *file + 1;
  }
}

std::optional<LoadCommand> ParseLoadCommand(absl::string_view text) {
  const absl::string_view verb = GrubVerb(text);
  GrubLoad::Kind kind;
  if (verb == "multiboot2" || verb == "multiboot") {
    kind = GrubLoad::Kind::kHypervisor;
  } else if (verb == "module2" || verb == "module") {
    kind = GrubLoad::Kind::kModule;
  } else {
    return std::nullopt;
  }
  std::vector<absl::string_view> words = GrubWords(text);
  for (size_t i = 1; i < words.size(); ++i) {
    if (words[i].substr(0, 2) == "--") continue;
    return LoadCommand{kind, std::string(words[i])};
  }
  return std::nullopt;  // no path: grub refuses the command, nothing is loaded
}

}  // namespace

std::vector<absl::string_view> GrubWords(absl::string_view command) {
  return absl::StrSplit(command, absl::ByAnyChar(" \t"), absl::SkipEmpty());
}

absl::string_view GrubVerb(absl::string_view command) {
  // A plain loop: string_view's find_first_of builds a table for every call.
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  size_t start = 0;
  while (start < command.size() && is_space(command[start])) ++start;
  size_t end = start;
  while (end < command.size() && !is_space(command[end])) ++end;
  return command.substr(start, end - start);
}

absl::string_view WithoutGrubDevice(absl::string_view path) {
  if (path.empty() || path.front() != '(') return path;
  const size_t close = path.find(')');
  return close == absl::string_view::npos ? path : path.substr(close + 1);
}

std::vector<GrubLoad> LinkMultibootLoads(const std::vector<GrubCommand>& commands,
                                         const std::vector<BootImage>& files) {
  std::vector<GrubLoad> loads;
  for (const GrubCommand& command : commands) {
    std::optional<LoadCommand> load = ParseLoadCommand(command.text);
    if (!load.has_value()) continue;
    if (load->kind == GrubLoad::Kind::kHypervisor) {
      loads.clear();
    } else if (loads.empty()) {
      continue;  // a module with no multiboot kernel before it: grub refuses it
    }
    GrubLoad& out = loads.emplace_back();
    out.kind = load->kind;
    out.command_event = command.event_index;
    out.command = command.text;
    out.path = std::move(load->path);
  }
  LinkFiles(loads, files, 0);
  return loads;
}

std::optional<size_t> NextFileFor(const std::vector<BootImage>& files, absl::string_view path,
                                  size_t from) {
  const absl::string_view want = WithoutGrubDevice(path);
  for (size_t i = from; i < files.size(); ++i) {
    if (WithoutGrubDevice(files[i].path) == want) return i;
  }
  return std::nullopt;
}

std::vector<GrubLoad> LinkInitrdLoads(const std::vector<GrubCommand>& commands,
                                      uint32_t linux_command_event,
                                      const std::vector<BootImage>& files, size_t files_from) {
  const GrubCommand* last = nullptr;
  std::vector<absl::string_view> paths;
  for (const GrubCommand& command : commands) {
    if (command.event_index <= linux_command_event || !IsInitrdVerb(GrubVerb(command.text))) {
      continue;
    }
    std::vector<absl::string_view> words = GrubWords(command.text);
    last = &command;
    paths.assign(words.begin() + 1, words.end());
  }
  std::vector<GrubLoad> loads;
  if (last == nullptr) return loads;
  for (absl::string_view path : paths) {
    if (absl::StartsWith(path, "--")) continue;
    if (absl::StartsWith(path, "newc:")) {
      // newc:NAME:PATH adds the file under NAME; the file read is PATH.
      const size_t colon = path.find(':', 5);
      if (colon == absl::string_view::npos) continue;
      path.remove_prefix(colon + 1);
    }
    loads.push_back({.kind = GrubLoad::Kind::kInitrd,
                     .command_event = last->event_index,
                     .command = last->text,
                     .path = std::string(path),
                     .file = std::nullopt});
  }
  LinkFiles(loads, files, files_from);
  return loads;
}

BootImage FileAsCommanded(const GrubLoad& load) {
  BootImage file = *load.file;
  file.path = load.path;
  return file;
}

std::vector<BootImage> LinkConfigFiles(const std::vector<GrubCommand>& commands,
                                       const std::vector<BootImage>& files) {
  std::vector<BootImage> out;
  size_t next_file = 0;
  for (const GrubCommand& command : commands) {
    const absl::string_view verb = GrubVerb(command.text);
    if (verb != "source" && verb != "configfile") continue;
    std::vector<absl::string_view> words = GrubWords(command.text);
    if (words.size() != 2) continue;
    std::optional<size_t> file = NextFileFor(files, words[1], next_file);
    if (!file.has_value()) continue;
    out.push_back(files[*file]);
    next_file = *file + 1;
  }
  return out;
}

}  // namespace bootgate::bootstate
