#include "verifier/bootstate/boot_chain.h"

#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"

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

// grub's last linux command and the file it read for it: the last PCR 9 file whose label
// is the command's path (labels are not covered by digests; multiboot.h says why a
// relabelled file can at most move between roles whose lists each still check it).
std::optional<GrubLoad> LastLinuxLoad(const BootChainEvidence& evidence) {
  std::optional<GrubLoad> load;
  for (const GrubCommand& command : evidence.grub_commands) {
    std::optional<std::string> path = GrubLinuxPath(command.text);
    if (!path.has_value()) continue;
    load = GrubLoad{.kind = GrubLoad::Kind::kLinux,
                    .command_event = command.event_index,
                    .command = command.text,
                    .path = *std::move(path),
                    .file = std::nullopt};
  }
  if (!load.has_value()) return load;
  for (const BootImage& file : evidence.grub_files) {
    if (WithoutGrubDevice(file.path) == WithoutGrubDevice(load->path)) load->file = file;
  }
  return load;
}

std::string CommandText(const GrubLoad& load) {
  return absl::StrCat("`", load.command, "` (event ", load.command_event, ")");
}

// The kernel when grub ran a linux command: the last application logged after it, with
// anything else grub loaded on the way left in the loader role; or none.
void SplitAfterGrubLinux(std::vector<BootImage>& apps, BootChainSplit& split) {
  const GrubLoad& linux_load = *split.grub_linux;
  if (!apps.empty() && apps.back().event_index > linux_load.command_event) {
    split.kernel = TakeLastImage(apps);
    split.kernel_reason =
        absl::StrCat("the boot application grub loaded after ", CommandText(linux_load));
    if (split.kernel->from_memory) split.kernel->path = linux_load.path;
    return;
  }
  split.kernel_reason = absl::StrCat(
      "grub ran ", CommandText(linux_load),
      " and started the kernel without the firmware's LoadImage, so no boot application "
      "measures it; ",
      linux_load.file.has_value() ? absl::StrCat("it is the file grub read (PCR 9, event ",
                                                 linux_load.file->event_index, ")")
                                  : "no file grub read (PCR 9) matches its path");
}

}  // namespace

std::optional<std::string> GrubLinuxPath(absl::string_view command) {
  const absl::string_view verb = GrubVerb(command);
  if (verb != "linux" && verb != "linuxefi" && verb != "linux16") return std::nullopt;
  std::vector<absl::string_view> words = GrubWords(command);
  for (size_t i = 1; i < words.size(); ++i) {
    if (words[i].substr(0, 2) == "--") continue;  // grub options before the path
    return std::string(words[i]);
  }
  return std::nullopt;
}

BootChainSplit SplitBootChain(BootChainEvidence evidence) {
  BootChainSplit split;
  std::vector<BootImage>& apps = evidence.applications;
  split.grub_linux = LastLinuxLoad(evidence);
  if (split.grub_linux.has_value()) {
    SplitAfterGrubLinux(apps, split);
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
