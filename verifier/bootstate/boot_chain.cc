#include "verifier/bootstate/boot_chain.h"

#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace bootgate::bootstate {
namespace {

// Removes the run of images identical to the last one from `images` and returns it as one
// image (the first event of the run), the others recorded as repeats.
BootImage TakeLastImage(std::vector<BootImage>& images) {
  size_t first = images.size() - 1;
  while (first > 0 && images[first - 1].digests == images.back().digests) --first;
  BootImage image = std::move(images[first]);
  for (size_t i = first + 1; i < images.size(); ++i) {
    image.repeated_in.push_back(images[i].event_index);
  }
  images.erase(images.begin() + static_cast<std::ptrdiff_t>(first), images.end());
  return image;
}

std::string CommandText(const GrubCommand& command) {
  return absl::StrCat("`", command.text, "` (event ", command.event_index, ")");
}

}  // namespace

std::optional<std::string> GrubLinuxPath(absl::string_view command) {
  std::vector<absl::string_view> words =
      absl::StrSplit(command, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (words.size() < 2) return std::nullopt;  // no path: grub refuses the command
  if (words[0] != "linux" && words[0] != "linuxefi" && words[0] != "linux16") return std::nullopt;
  for (size_t i = 1; i < words.size(); ++i) {
    if (words[i].substr(0, 2) == "--") continue;  // grub options before the path
    return std::string(words[i]);
  }
  return std::nullopt;
}

BootChainSplit SplitBootChain(BootChainEvidence evidence) {
  BootChainSplit split;
  std::vector<BootImage>& apps = evidence.applications;
  for (const GrubCommand& command : evidence.grub_commands) {
    if (GrubLinuxPath(command.text).has_value()) split.grub_linux = command;
  }
  if (split.grub_linux.has_value()) {
    // Images logged after grub's linux command are the kernel (the last of them) and
    // anything grub loaded on the way, which stays in the loader role.
    const uint32_t command_event = split.grub_linux->event_index;
    const bool any_after = !apps.empty() && apps.back().event_index > command_event;
    if (any_after) {
      split.kernel = TakeLastImage(apps);
      split.kernel_reason =
          absl::StrCat("the boot application grub loaded after ", CommandText(*split.grub_linux));
      if (split.kernel->from_memory) split.kernel->path = *GrubLinuxPath(split.grub_linux->text);
    } else {
      split.kernel_reason =
          absl::StrCat("grub ran ", CommandText(*split.grub_linux),
                       " but no boot application measurement follows it: the kernel was "
                       "started without the firmware's LoadImage");
    }
  } else if (evidence.grub_measured) {
    split.kernel_reason =
        "grub booted no `linux` command: every boot application is a loader (a multiboot "
        "kernel is known from grub's PCR 9 files)";
  } else if (!apps.empty()) {
    const bool alone = apps.size() == 1;
    split.kernel = TakeLastImage(apps);
    split.kernel_reason = alone || apps.empty()
                              ? "the only boot application: started by the firmware"
                              : "the last boot application, started by a loader that "
                                "measured no grub commands";
  } else {
    split.kernel_reason = "the log measures no boot application";
  }
  split.loaders = std::move(apps);
  return split;
}

}  // namespace bootgate::bootstate
