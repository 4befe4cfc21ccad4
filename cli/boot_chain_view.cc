#include "cli/boot_chain_view.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "verifier/bootstate/kernel_cmdline.h"
#include "verifier/bootstate/multiboot.h"
#include "verifier/bytes/hex.h"

namespace bootgate::cli {
namespace {

using json = nlohmann::ordered_json;

std::string Sha256Hex(const bootstate::BootImage& image) {
  auto it = image.digests.find(crypto::HashAlg::kSha256);
  return it == image.digests.end() ? "" : bytes::ToHex(it->second);
}

json ImageJson(const bootstate::BootImage& image) {
  json digests = json::object();
  for (const auto& [alg, digest] : image.digests) {
    digests[std::string(crypto::HashAlgName(alg))] = bytes::ToHex(digest);
  }
  const std::string sha256 = Sha256Hex(image);
  return {{"event_index", image.event_index},
          {"path", image.path},
          {"from_memory", image.from_memory},
          {"repeated_in", image.repeated_in},
          {"sha256", sha256.empty() ? json(nullptr) : json(sha256)},
          {"digests", std::move(digests)}};
}

std::string ImageLine(absl::string_view role, const bootstate::BootImage& image) {
  const std::string sha256 = Sha256Hex(image);
  std::string line = absl::StrFormat("%-12s event %-4u %s  sha256 %s", role, image.event_index,
                                     image.path.empty() ? "(no path)" : image.path,
                                     sha256.empty() ? "(no sha256 bank)" : sha256);
  if (!image.repeated_in.empty()) {
    absl::StrAppend(&line, "  (measured again in event ", absl::StrJoin(image.repeated_in, ", "),
                    ")");
  }
  return line + "\n";
}

// The command line as the kernel splits it: [{"name", "value" (only when the argument has
// one), "text"}], or null without a command line in text.
json ArgumentsJson(const std::optional<std::string>& command_line) {
  if (!command_line.has_value()) return nullptr;
  json out = json::array();
  for (const bootstate::KernelArg& arg : bootstate::SplitKernelCmdline(*command_line)) {
    json a = {{"name", arg.name}};
    if (arg.value.has_value()) a["value"] = *arg.value;
    a["text"] = arg.text;
    out.push_back(std::move(a));
  }
  return out;
}

// "[root=UUID=3f7c] [ro] [x=\"a b\"]": each argument's canonical text, bracketed so that an
// argument holding a space reads as one.
std::string ArgumentsLine(absl::string_view command_line) {
  const std::vector<bootstate::KernelArg> args = bootstate::SplitKernelCmdline(command_line);
  if (args.empty()) return "none";
  std::vector<std::string> shown;
  for (const bootstate::KernelArg& arg : args) shown.push_back(absl::StrCat("[", arg.text, "]"));
  return absl::StrJoin(shown, " ");
}

// grub's initrd files: [{"path" (from grub's command), "command_event", "file": image|null}].
json InitrdJson(const bootstate::KernelLayer& kernel) {
  json out = json::array();
  for (const bootstate::GrubLoad& load : kernel.grub_initrd) {
    out.push_back({{"path", load.path},
                   {"command_event", load.command_event},
                   {"file", load.file.has_value() ? ImageJson(*load.file) : json(nullptr)}});
  }
  return out;
}

json GrubCommandsJson(const bootstate::BootLoaderLayer& boot_loader) {
  json out = json::array();
  for (const bootstate::GrubCommand& command : boot_loader.grub_commands) {
    out.push_back({{"event_index", command.event_index}, {"text", command.text}});
  }
  return out;
}

json ImagesJson(const std::vector<bootstate::BootImage>& images) {
  json out = json::array();
  for (const bootstate::BootImage& image : images) out.push_back(ImageJson(image));
  return out;
}

// The initrd lines: each file of grub's initrd command, then the EFI stub's own measurement.
std::string InitrdLines(const bootstate::KernelLayer& kernel) {
  std::string out;
  for (const bootstate::GrubLoad& load : kernel.grub_initrd) {
    if (!load.file.has_value()) {
      absl::StrAppend(&out, absl::StrFormat("%-12s %s  not measured (no PCR 9 file follows `%s`, "
                                            "event %u)\n",
                                            "initrd", load.path, load.command, load.command_event));
      continue;
    }
    absl::StrAppend(&out, ImageLine("initrd", bootstate::FileAsCommanded(load)));
  }
  if (kernel.stub_initrd.has_value())
    absl::StrAppend(&out, ImageLine("initrd", *kernel.stub_initrd));
  return out;
}

}  // namespace

json BootChainJson(const bootstate::BootState& state) {
  const bootstate::KernelLayer& kernel = state.kernel;
  json loaders = json::array();
  for (const bootstate::BootImage& image : state.boot_loader.loaders) {
    loaders.push_back(ImageJson(image));
  }
  return {
      {"secure_boot",
       state.secure_boot.enabled.has_value() ? json(*state.secure_boot.enabled) : json(nullptr)},
      {"boot_loaders", std::move(loaders)},
      {"kernel", kernel.image.has_value() ? ImageJson(*kernel.image) : json(nullptr)},
      {"kernel_reason", kernel.image_reason},
      {"command_line",
       kernel.command_line.has_value() ? json(*kernel.command_line) : json(nullptr)},
      {"command_line_event",
       kernel.command_line_event.has_value() ? json(*kernel.command_line_event) : json(nullptr)},
      {"arguments", ArgumentsJson(kernel.command_line)},
      {"initrd", InitrdJson(kernel)},
      {"stub_initrd",
       kernel.stub_initrd.has_value() ? ImageJson(*kernel.stub_initrd) : json(nullptr)},
      {"grub_commands", GrubCommandsJson(state.boot_loader)},
      {"grub_config_files", ImagesJson(state.boot_loader.grub_config_files)},
      {"load_options",
       kernel.load_options.has_value() ? ImageJson(*kernel.load_options) : json(nullptr)}};
}

std::string BootChainTable(const bootstate::BootState& state) {
  const bootstate::KernelLayer& kernel = state.kernel;
  std::string out = "boot chain\n";
  const std::optional<bool>& sb = state.secure_boot.enabled;
  absl::StrAppend(&out, "secure boot  ",
                  sb.has_value() ? (*sb ? "enabled" : "disabled") : "not measured", "\n");
  for (const bootstate::BootImage& image : state.boot_loader.loaders) {
    absl::StrAppend(&out, ImageLine("boot loader", image));
  }
  if (!state.boot_loader.grub_commands.empty()) {
    absl::StrAppend(&out, absl::StrFormat("%-12s %u commands in PCR 8, from event %u\n", "grub",
                                          state.boot_loader.grub_commands.size(),
                                          state.boot_loader.grub_commands.front().event_index));
  }
  for (const bootstate::BootImage& file : state.boot_loader.grub_config_files) {
    absl::StrAppend(&out, ImageLine("grub config", file));
  }
  if (kernel.image.has_value()) absl::StrAppend(&out, ImageLine("kernel", *kernel.image));
  absl::StrAppend(&out, "             ",
                  kernel.image.has_value() ? "" : "no kernel image: ", kernel.image_reason, "\n");
  std::string cmdline = "not measured (no grub kernel_cmdline in PCR 8, no EFI stub load options)";
  if (kernel.command_line.has_value()) {
    cmdline = absl::StrCat(*kernel.command_line, "  (event ", *kernel.command_line_event, ")");
  } else if (kernel.load_options.has_value()) {
    const std::string sha256 = Sha256Hex(*kernel.load_options);
    cmdline = absl::StrCat("not in the log as text: the EFI stub measured its load options (event ",
                           kernel.load_options->event_index, ", sha256 ",
                           sha256.empty() ? "(no sha256 bank)" : sha256,
                           "; a policy's cmdline.exact is checked against it)");
  }
  absl::StrAppend(&out, InitrdLines(kernel));
  absl::StrAppend(&out, "command line ", cmdline, "\n");
  if (kernel.command_line.has_value()) {
    absl::StrAppend(&out, "arguments    ", ArgumentsLine(*kernel.command_line),
                    "  (as the kernel splits the command line)\n");
  }
  return out;
}

}  // namespace bootgate::cli
