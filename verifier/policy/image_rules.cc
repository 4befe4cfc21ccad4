#include <string>

#include "absl/strings/str_cat.h"
#include "verifier/policy/rules.h"

namespace bootgate::policy::internal {
namespace {

constexpr uint32_t kPcr4 = 4;
constexpr absl::string_view kImageEvent = "EV_EFI_BOOT_SERVICES_APPLICATION";

const v1::Image* FindImage(const google::protobuf::RepeatedPtrField<v1::Image>& allowed,
                           const std::string& hex) {
  for (const v1::Image& image : allowed) {
    if (image.sha256() == hex) return &image;
  }
  return nullptr;
}

// The file name of a device path text, for messages only (paths are never trusted).
std::string DisplayName(const bootstate::BootImage& image) {
  const size_t cut = image.path.find_last_of("\\/");
  std::string name = cut == std::string::npos ? image.path : image.path.substr(cut + 1);
  return name.empty() ? "image" : name;
}

// Returns true when the image is allowed; adds `code` otherwise.
bool CheckImage(const bootstate::BootImage& image,
                const google::protobuf::RepeatedPtrField<v1::Image>& allowed, absl::string_view code,
                Layer layer, const std::string& baseline, absl::string_view kind,
                std::vector<Finding>& out) {
  const std::optional<std::string> hex = Sha256Hex(image.digests);
  if (!hex.has_value()) {
    AddDigestBankMissing(out, layer, kPcr4, image.event_index, kind);
    return false;
  }
  if (FindImage(allowed, *hex) != nullptr) return true;
  const std::string name = DisplayName(image);
  Add(out, {.code = code,
            .layer = layer,
            .pcr = kPcr4,
            .event_index = image.event_index,
            .seen = absl::StrCat(name, " sha256 ", *hex),
            .allowed = absl::StrCat(baseline, ": ", allowed.size(), " image(s)"),
            .message = absl::StrCat(Where(image.event_index, kImageEvent, kPcr4), kind, " ", name, " sha256 ",
                                    ShortHex(*hex), " is not in ", baseline),
            .hint = absl::StrCat("if this is a new release of ", name, ", add it with `bootgate baseline add-image ",
                                 name, "`")});
  return false;
}

}  // namespace

void EvaluateBootLoader(const bootstate::BootLoaderLayer& bl, const v1::HostGroup& group,
                        std::vector<Finding>& out) {
  const v1::BootLoaderBaseline& base = group.boot_loader();
  if (EmptyLayer(out, group, "boot_loader", base.allowed().empty(), base.unpinned())) return;
  const std::string baseline = absl::StrCat("baseline ", group.name(), ".boot_loader");
  for (const bootstate::BootImage& image : bl.loaders) {
    CheckImage(image, base.allowed(), "image-not-allowed", Layer::kBootLoader, baseline, "boot loader", out);
  }
}

void EvaluateKernel(const bootstate::KernelLayer& k, const v1::HostGroup& group,
                    std::vector<Finding>& out) {
  const v1::KernelBaseline& base = group.kernel();
  if (EmptyLayer(out, group, "kernel", base.allowed().empty(), /*unpinned=*/false)) return;
  const std::string baseline = absl::StrCat("baseline ", group.name(), ".kernel");
  if (!k.image.has_value()) {
    Add(out, {.code = "kernel-not-measured",
              .layer = Layer::kKernel,
              .pcr = kPcr4,
              .seen = "no kernel image in the log",
              .allowed = absl::StrCat(baseline, ": ", base.allowed().size(), " image(s)"),
              .message = "PCR 4: the log measures no boot application that could be the kernel",
              .hint = "the firmware must measure every boot application (EV_EFI_BOOT_SERVICES_APPLICATION)"});
  } else {
    CheckImage(*k.image, base.allowed(), "kernel-not-allowed", Layer::kKernel, baseline, "kernel", out);
  }
  EvaluateCommandLine(k, group, out);
}

}  // namespace bootgate::policy::internal
