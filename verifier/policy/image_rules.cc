#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "verifier/bootstate/multiboot.h"
#include "verifier/policy/rules.h"

namespace bootgate::policy::internal {
namespace {

constexpr absl::string_view kImageEvent = "EV_EFI_BOOT_SERVICES_APPLICATION";
constexpr absl::string_view kGrubFileEvent = "EV_IPL grub file";

using Images = google::protobuf::RepeatedPtrField<v1::Image>;

// What an image is checked as: the finding code when it is not allowed, where it was
// measured, and the baseline field that lists the allowed digests.
struct Role {
  absl::string_view code;
  Layer layer;
  std::string baseline;    // "baseline debian-12.kernel"
  absl::string_view kind;  // "kernel", "hypervisor", ...
  uint32_t pcr = kPcr4;
  absl::string_view event_type = kImageEvent;
  // PCR 4 images: the group and the `bootgate baseline add-image --layer` value that adds one.
  std::string group = {};
  absl::string_view add_image_layer = {};
  absl::string_view placeholder = {};  // names the file when the log does not ("KERNEL_FILE")
  bool list_allowed = false;  // the finding lists every allowed digest, not just their count
};

// "initrd.img sha256 3f2a…(64), initrd-old.img sha256 9c01…(64)", at most 8, then "and N more".
std::string AllowedDigests(const Images& allowed) {
  constexpr int kShown = 8;
  std::vector<std::string> out;
  for (int i = 0; i < allowed.size() && i < kShown; ++i) {
    out.push_back(absl::StrCat(allowed[i].name(), " sha256 ", allowed[i].sha256()));
  }
  if (allowed.size() > kShown)
    out.push_back(absl::StrCat("and ", allowed.size() - kShown, " more"));
  return out.empty() ? "nothing" : absl::StrJoin(out, ", ");
}

const v1::Image* FindImage(const Images& allowed, const std::string& hex) {
  for (const v1::Image& image : allowed) {
    if (image.sha256() == hex) return &image;
  }
  return nullptr;
}

// The file name of a device path or grub path, for messages only (paths are never trusted).
std::string DisplayName(const bootstate::BootImage& image) {
  const size_t cut = image.path.find_last_of("\\/");
  std::string name = cut == std::string::npos ? image.path : image.path.substr(cut + 1);
  return name.empty() ? "(no file name)" : name;
}

// A display name a user can pass to a command as a file name: a plain file name, not a
// device-path node or a placeholder for a path the log does not give.
bool IsFileName(absl::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '+' || c == '~';
    if (!ok) return false;
  }
  return true;
}

std::string NewImageHint(const std::string& name, const Role& role) {
  if (role.add_image_layer.empty()) {
    return absl::StrCat("if this is a new release of ", name, ", add the sha256 of its file (`",
                        "sha256sum ", IsFileName(name) ? name : "FILE", "`) to ",
                        absl::StripPrefix(role.baseline, "baseline "));
  }
  if (IsFileName(name)) {
    return absl::StrCat(
        "if this is a new release of ", name, ", add it with `bootgate baseline add-image ", name,
        " --policy POLICY --group ", role.group, " --layer ", role.add_image_layer, "`");
  }
  return absl::StrCat("if this is a new release, add it with `bootgate baseline add-image ",
                      role.placeholder, " --policy POLICY --group ", role.group, " --layer ",
                      role.add_image_layer, "`, ", role.placeholder, " being the ", role.kind,
                      " file (the log names no file for it: it was loaded from memory or by a "
                      "device path without a file name)");
}

// Returns true when the image is allowed; adds `role.code` otherwise.
bool CheckImage(const bootstate::BootImage& image, const Images& allowed, const Role& role,
                std::vector<Finding>& out) {
  const std::optional<std::string> hex = Sha256Hex(image.digests);
  if (!hex.has_value()) {
    AddDigestBankMissing(out, role.layer, role.pcr, image.event_index, role.kind);
    return false;
  }
  if (FindImage(allowed, *hex) != nullptr) return true;
  const std::string name = DisplayName(image);
  const std::string hint = NewImageHint(name, role);
  // A file grub read (PCR 9) is named by its whole grub path, short and telling
  // ("/boot/initrd.img-6.1.0-18-amd64"); a boot application by its file name.
  const std::string shown = role.pcr == kPcr9 && !image.path.empty() ? image.path : name;
  Add(out,
      {.code = role.code,
       .layer = role.layer,
       .pcr = role.pcr,
       .event_index = image.event_index,
       .seen = absl::StrCat(shown, " sha256 ", *hex),
       .allowed = role.list_allowed
                      ? absl::StrCat(role.baseline, ": ", AllowedDigests(allowed))
                      : absl::StrCat(role.baseline, ": ", allowed.size(), " image(s)"),
       .message = absl::StrCat(Where(image.event_index, role.event_type, role.pcr), role.kind, " ",
                               shown, " sha256 ", ShortHex(*hex), " is not in ", role.baseline),
       .hint = hint});
  return false;
}

// A grub load command whose file no PCR 9 measurement matches: nothing proves what it
// loaded.
void AddLoadNotMeasured(absl::string_view code, const bootstate::GrubLoad& load,
                        absl::string_view kind, const std::string& baseline,
                        std::vector<Finding>& out) {
  Add(out, {.code = code,
            .layer = Layer::kKernel,
            .pcr = kPcr9,
            .event_index = load.command_event,
            .seen = absl::StrCat("grub_cmd: ", load.command),
            .allowed = baseline,
            .message = absl::StrCat(
                Where(load.command_event, "EV_IPL grub_cmd", 8u), "no PCR 9 file measurement of ",
                load.path, " follows this command, so the ", kind, " it loaded is unknown"),
            .hint = "boot with a grub that measures the files it reads (its tpm module, as "
                    "Debian's signed grub)"});
}

void EvaluateMultiboot(const std::vector<bootstate::GrubLoad>& loads, const v1::HostGroup& group,
                       std::vector<Finding>& out) {
  const v1::MultibootBaseline& base = group.kernel().multiboot();
  const std::string prefix = absl::StrCat("baseline ", group.name(), ".kernel.multiboot");
  const Role hypervisor{.code = "hypervisor-not-allowed",
                        .layer = Layer::kKernel,
                        .baseline = absl::StrCat(prefix, ".hypervisor"),
                        .kind = "hypervisor",
                        .pcr = kPcr9,
                        .event_type = kGrubFileEvent};
  const Role dom0{.code = "dom0-kernel-not-allowed",
                  .layer = Layer::kKernel,
                  .baseline = absl::StrCat(prefix, ".dom0_kernel"),
                  .kind = "dom0 kernel",
                  .pcr = kPcr9,
                  .event_type = kGrubFileEvent};
  const Role module{.code = "module-not-allowed",
                    .layer = Layer::kKernel,
                    .baseline = absl::StrCat(prefix, ".modules"),
                    .kind = "multiboot module",
                    .pcr = kPcr9,
                    .event_type = kGrubFileEvent};
  bool unpinned_reported = false;
  for (size_t i = 0; i < loads.size(); ++i) {
    // LinkMultibootLoads puts the hypervisor first, then its modules in command order.
    const Role& role = i == 0 ? hypervisor : (i == 1 ? dom0 : module);
    if (i >= 2 && base.modules_unpinned()) {
      if (!unpinned_reported) {
        EmptyLayer(out, group, "kernel.multiboot.modules", /*empty=*/true, /*unpinned=*/true);
        unpinned_reported = true;
      }
      continue;
    }
    const Images& allowed =
        i == 0 ? base.hypervisor() : (i == 1 ? base.dom0_kernel() : base.modules());
    if (!loads[i].file.has_value()) {
      AddLoadNotMeasured("multiboot-file-not-measured", loads[i], role.kind, role.baseline, out);
    } else {
      CheckImage(*loads[i].file, allowed, role, out);
    }
  }
  if (loads.size() < 2 && !base.dom0_kernel().empty()) {
    Add(out, {.code = "dom0-kernel-not-measured",
              .layer = Layer::kKernel,
              .pcr = 8,
              .event_index = loads.front().command_event,
              .seen = "no module2 command after the multiboot2 command",
              .allowed = absl::StrCat(dom0.baseline, ": ", base.dom0_kernel().size(), " image(s)"),
              .message = absl::StrCat(Where(loads.front().command_event, "EV_IPL grub_cmd", 8u),
                                      "the hypervisor was booted without a dom0 kernel module"),
              .hint = absl::StrCat("if this host boots no dom0 kernel, clear ",
                                   absl::StripPrefix(dom0.baseline, "baseline "))});
  }
}

// The initrd grub loaded (each file of its initrd command) and the one the EFI stub measured:
// each must be allowed. Nothing to check when the boot had no initrd.
void EvaluateInitrd(const bootstate::KernelLayer& k, const v1::HostGroup& group,
                    std::vector<Finding>& out) {
  if (k.grub_initrd.empty() && !k.stub_initrd.has_value()) return;
  const v1::InitrdRule& rule = group.kernel().initrd();
  if (EmptyLayer(out, group, "kernel.initrd", rule.allowed().empty(), rule.unpinned())) return;
  const Role role{.code = "initrd-not-allowed",
                  .layer = Layer::kKernel,
                  .baseline = absl::StrCat("baseline ", group.name(), ".kernel.initrd"),
                  .kind = "initrd",
                  .pcr = kPcr9,
                  .event_type = kGrubFileEvent,
                  .group = group.name(),
                  .add_image_layer = "initrd",
                  .placeholder = "INITRD_FILE",
                  .list_allowed = true};
  for (const bootstate::GrubLoad& load : k.grub_initrd) {
    if (!load.file.has_value()) {
      AddLoadNotMeasured("initrd-not-measured", load, "initrd", role.baseline, out);
      continue;
    }
    CheckImage(bootstate::FileAsCommanded(load), rule.allowed(), role, out);
  }
  if (k.stub_initrd.has_value()) {
    Role stub = role;
    stub.event_type = "EV_EVENT_TAG Linux initrd";
    CheckImage(*k.stub_initrd, rule.allowed(), stub, out);
  }
}

}  // namespace

void EvaluateBootLoader(const bootstate::BootLoaderLayer& bl, const v1::HostGroup& group,
                        std::vector<Finding>& out) {
  const v1::BootLoaderBaseline& base = group.boot_loader();
  if (EmptyLayer(out, group, "boot_loader", base.allowed().empty() && !base.none(),
                 base.unpinned())) {
    return;
  }
  if (bl.loaders.empty() && !base.none()) {
    // The kernel was started without any of the loaders the group's chain goes through.
    Add(out, {.code = "boot-loader-missing",
              .layer = Layer::kBootLoader,
              .pcr = kPcr4,
              .seen = "no boot loader before the kernel",
              .allowed = absl::StrCat("baseline ", group.name(),
                                      ".boot_loader: ", base.allowed().size(), " image(s)"),
              .message = absl::StrCat("PCR 4: the kernel was started with no boot loader before "
                                      "it, but baseline ",
                                      group.name(), ".boot_loader expects its loaders"),
              .hint = absl::StrCat("if this group's hosts start the kernel from the firmware, "
                                   "set `none: true` in ",
                                   group.name(), ".boot_loader instead of its allowed images")});
    return;
  }
  const Role loader{.code = "image-not-allowed",
                    .layer = Layer::kBootLoader,
                    .baseline = absl::StrCat("baseline ", group.name(), ".boot_loader"),
                    .kind = "boot loader",
                    .group = group.name(),
                    .add_image_layer = "boot-loader",
                    .placeholder = "LOADER_FILE"};
  for (const bootstate::BootImage& image : bl.loaders)
    CheckImage(image, base.allowed(), loader, out);
  EvaluateGrub(bl, group, out);
}

// The kernel is either an EFI application (PCR 4, `allowed`), or, when grub started it
// without LoadImage, the file grub read for its `linux` command (PCR 9, `grub_linux_files`),
// or, when grub booted a multiboot kernel, the hypervisor and modules grub loaded
// (`multiboot`). Whichever the log shows is judged against its own list, so a group that pins
// only a hypervisor refuses a host that boots a plain kernel, and the reverse.
void EvaluateKernel(const bootstate::KernelLayer& k, const v1::HostGroup& group,
                    std::vector<Finding>& out) {
  const v1::KernelBaseline& base = group.kernel();
  // The command line is a rule of its own: an empty image list must not hide its findings
  // (a user sees every reason at once).
  if (EmptyLayer(out, group, "kernel",
                 base.allowed().empty() && base.grub_linux_files().empty() &&
                     base.multiboot().hypervisor().empty(),
                 /*unpinned=*/false)) {
    EvaluateInitrd(k, group, out);
    EvaluateCommandLine(k, group, out);
    return;
  }
  const std::string baseline = absl::StrCat("baseline ", group.name(), ".kernel");
  if (k.image.has_value()) {
    CheckImage(*k.image, base.allowed(),
               {.code = "kernel-not-allowed",
                .layer = Layer::kKernel,
                .baseline = baseline,
                .kind = "kernel",
                .group = group.name(),
                .add_image_layer = "kernel",
                .placeholder = "KERNEL_FILE"},
               out);
  } else if (k.grub_linux.has_value() && k.grub_linux->file.has_value()) {
    CheckImage(*k.grub_linux->file, base.grub_linux_files(),
               {.code = "kernel-not-allowed",
                .layer = Layer::kKernel,
                .baseline = absl::StrCat(baseline, ".grub_linux_files"),
                .kind = "kernel file",
                .pcr = kPcr9,
                .event_type = kGrubFileEvent},
               out);
  } else if (!k.multiboot.empty()) {
    EvaluateMultiboot(k.multiboot, group, out);
  } else {
    Add(out,
        {.code = "kernel-not-measured",
         .layer = Layer::kKernel,
         .pcr = kPcr4,
         .seen = "no kernel image in the log",
         .allowed = absl::StrCat(baseline, ": ", base.allowed().size(), " image(s), ",
                                 base.multiboot().hypervisor().size(), " hypervisor(s)"),
         .message = absl::StrCat("PCR 4: the log shows no kernel image (",
                                 k.image_reason.empty() ? "no boot application" : k.image_reason,
                                 "), and grub loaded no multiboot kernel"),
         .hint = "the firmware must measure every boot application "
                 "(EV_EFI_BOOT_SERVICES_APPLICATION)"});
  }
  EvaluateInitrd(k, group, out);
  EvaluateCommandLine(k, group, out);
}

}  // namespace bootgate::policy::internal
