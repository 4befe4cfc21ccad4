#include "verifier/bootstate/multiboot.h"

#include <optional>

#include "absl/strings/str_split.h"

namespace bootgate::bootstate {
namespace {

struct LoadCommand {
  GrubLoad::Kind kind;
  std::string path;
};

std::optional<LoadCommand> ParseLoadCommand(absl::string_view text) {
  std::vector<absl::string_view> words =
      absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
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
  // Files in PCR 9 order, each used once, in command order: the proven orders only.
  size_t next_file = 0;
  for (GrubLoad& load : loads) {
    const absl::string_view want = WithoutGrubDevice(load.path);
    for (size_t i = next_file; i < files.size(); ++i) {
      if (WithoutGrubDevice(files[i].path) != want) continue;
      load.file = files[i];
      next_file = i + 1;
      break;
    }
  }
  return loads;
}

}  // namespace bootgate::bootstate
