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

std::vector<absl::string_view> Words(absl::string_view text) {
  return absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
}

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
  std::vector<absl::string_view> words = Words(text);
  if (words.empty()) return std::nullopt;
  GrubLoad::Kind kind;
  if (words[0] == "multiboot2" || words[0] == "multiboot") {
    kind = GrubLoad::Kind::kHypervisor;
  } else if (words[0] == "module2" || words[0] == "module") {
    kind = GrubLoad::Kind::kModule;
  } else {
    return std::nullopt;
  }
  for (size_t i = 1; i < words.size(); ++i) {
    if (words[i].substr(0, 2) == "--") continue;
    return LoadCommand{kind, std::string(words[i])};
  }
  return std::nullopt;  // no path: grub refuses the command, nothing is loaded
}

}  // namespace

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
    if (command.event_index <= linux_command_event) continue;
    std::vector<absl::string_view> words = Words(command.text);
    if (words.empty() || !IsInitrdVerb(words[0])) continue;
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
    std::vector<absl::string_view> words = Words(command.text);
    if (words.size() != 2 || (words[0] != "source" && words[0] != "configfile")) continue;
    std::optional<size_t> file = NextFileFor(files, words[1], next_file);
    if (!file.has_value()) continue;
    out.push_back(files[*file]);
    next_file = *file + 1;
  }
  return out;
}

}  // namespace bootgate::bootstate
