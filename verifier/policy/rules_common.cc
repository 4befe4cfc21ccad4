#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "verifier/bytes/hex.h"
#include "verifier/policy/rules.h"

namespace bootgate::policy::internal {

std::optional<std::string> Sha256Hex(const bootstate::EventDigests& digests) {
  auto it = digests.find(crypto::HashAlg::kSha256);
  if (it == digests.end()) return std::nullopt;
  return bytes::ToHex(it->second);
}

std::string ShortHex(absl::string_view hex) {
  if (hex.size() <= 12) return std::string(hex);
  return absl::StrCat(hex.substr(0, 12), "…");
}

std::string Where(std::optional<uint32_t> event_index, absl::string_view event_type,
                  std::optional<uint32_t> pcr) {
  if (event_index.has_value()) {
    return pcr.has_value()
               ? absl::StrCat("event ", *event_index, " (", event_type, ", PCR ", *pcr, "): ")
               : absl::StrCat("event ", *event_index, " (", event_type, "): ");
  }
  return pcr.has_value() ? absl::StrCat("PCR ", *pcr, ": ") : "";
}

void Add(std::vector<Finding>& out, FindingSpec spec) {
  Finding f;
  f.code = std::string(spec.code);
  f.layer = spec.layer;
  f.severity = spec.severity;
  f.pcr = spec.pcr;
  f.event_index = spec.event_index;
  f.seen = std::move(spec.seen);
  f.allowed = std::move(spec.allowed);
  f.message = std::move(spec.message);
  f.hint = std::move(spec.hint);
  out.push_back(std::move(f));
}

namespace {

// What fills an empty layer, and how to accept anything in it instead. Each names fields and
// commands that exist (hints_test.cc parses every snippet and command line).
std::string EmptyLayerHint(const std::string& g, absl::string_view layer) {
  if (layer == "firmware") {
    return absl::StrCat(
        "list the firmware the hosts may run in ", g,
        ".firmware (crtm_versions, blobs, pcr0: `bootgate eventlog show EVENTLOG` shows a "
        "golden host's), or set `unpinned: true` in ",
        g, ".firmware to accept any firmware (verdicts are then at most warning)");
  }
  if (layer == "secure_boot") {
    return absl::StrCat("set `required: true` in ", g,
                        ".secure_boot to require Secure Boot, `required: false` in ", g,
                        ".secure_boot to accept hosts without it (with a warning), or "
                        "`unpinned: true` in ",
                        g, ".secure_boot to accept any Secure Boot state");
  }
  if (layer == "boot_loader") {
    return absl::StrCat(
        "add each boot loader the hosts run (shim, grub) with `bootgate baseline add-image "
        "LOADER_FILE --policy POLICY --group ",
        g, " --layer boot-loader`, or set `unpinned: true` in ", g,
        ".boot_loader to accept any (verdicts are then at most warning)");
  }
  if (layer == "kernel") {
    return absl::StrCat(
        "add the kernel with `bootgate baseline add-image KERNEL_FILE --policy "
        "POLICY --group ",
        g,
        " --layer kernel`, or, for a hypervisor grub boots with multiboot2, "
        "the sha256 of its file (`sha256sum FILE`) to ",
        g, ".kernel.multiboot.hypervisor");
  }
  if (layer == "kernel.initrd") {
    return absl::StrCat(
        "add the initrd with `bootgate baseline add-image INITRD_FILE --policy POLICY --group ", g,
        " --layer initrd` (or learn it from a golden host: `bootgate baseline learn BUNDLE "
        "--group ",
        g, "`), or, when each host builds its own initrd, set `unpinned: true` in ", g,
        ".kernel.initrd (verdicts are then at most warning)");
  }
  if (layer == "boot_loader.grub") {
    return absl::StrCat(
        "learn grub's commands from a golden host (`bootgate baseline learn BUNDLE --group ", g,
        "`), list patterns of allowed commands (`command_patterns: \"set timeout=*\"` in ", g,
        ".boot_loader.grub), or set `unpinned: true` in ", g,
        ".boot_loader.grub to accept any grub configuration (verdicts are then at most "
        "warning)");
  }
  return absl::StrCat("list the allowed values in ", g, ".", layer);
}

std::string UnpinnedHint(const std::string& g, absl::string_view layer) {
  if (layer == "kernel.multiboot.modules") {
    return absl::StrCat("to check the modules, set `modules_unpinned: false` in ", g,
                        ".kernel.multiboot and list their sha256 in ", g,
                        ".kernel.multiboot.modules");
  }
  if (layer == "secure_boot") {
    return absl::StrCat("to check it, remove `unpinned: true` from ", g,
                        ".secure_boot and set `required: true` in ", g, ".secure_boot");
  }
  if (layer == "boot_loader") {
    return absl::StrCat("to check it, remove `unpinned: true` from ", g,
                        ".boot_loader and add the boot loaders with `bootgate baseline add-image "
                        "LOADER_FILE --policy POLICY --group ",
                        g, " --layer boot-loader`");
  }
  if (layer == "kernel.initrd") {
    return absl::StrCat("to check it, remove `unpinned: true` from ", g,
                        ".kernel.initrd and add the initrd with `bootgate baseline add-image "
                        "INITRD_FILE --policy POLICY --group ",
                        g, " --layer initrd`");
  }
  if (layer == "boot_loader.grub") {
    return absl::StrCat("to check it, remove `unpinned: true` from ", g,
                        ".boot_loader.grub and learn grub's commands from a golden host "
                        "(`bootgate baseline learn BUNDLE --group ",
                        g, "`)");
  }
  return absl::StrCat("to check it, remove `unpinned: true` from ", g, ".", layer,
                      " and list the allowed values there");
}

}  // namespace

bool EmptyLayer(std::vector<Finding>& out, const v1::HostGroup& group, absl::string_view layer,
                bool empty, bool unpinned) {
  if (!empty) return false;
  const std::string baseline = absl::StrCat(group.name(), ".", layer);
  if (unpinned) {
    Add(out, {.code = "layer-unpinned",
              .layer = Layer::kPolicy,
              .severity = Severity::kWarning,
              .seen = "not compared",
              .allowed = absl::StrCat("baseline ", baseline, ": unpinned (anything)"),
              .message = absl::StrCat("baseline ", baseline,
                                      " is explicitly unpinned: this layer was not checked"),
              .hint = UnpinnedHint(group.name(), layer)});
  } else {
    Add(out, {.code = "empty-baseline-layer",
              .layer = Layer::kPolicy,
              .seen = "not compared",
              .allowed = absl::StrCat("baseline ", baseline, ": nothing"),
              .message = absl::StrCat(
                  "baseline ", baseline,
                  " allows nothing, so no host of the group is eligible (fail closed)"),
              .hint = EmptyLayerHint(group.name(), layer)});
  }
  return true;
}

void AddDigestBankMissing(std::vector<Finding>& out, Layer layer, uint32_t pcr,
                          uint32_t event_index, absl::string_view what) {
  Add(out, {.code = "digest-bank-missing",
            .layer = layer,
            .pcr = pcr,
            .event_index = event_index,
            .seen = "no sha256 digest",
            .allowed = "baselines are sha256",
            .message = absl::StrCat(
                "event ", event_index, " (PCR ", pcr, "): ", what,
                " has no sha256 digest in the log, so it cannot be compared with the baseline"),
            .hint = "enable the sha256 PCR bank in the TPM (firmware setup or tpm2_pcrallocate)"});
}

}  // namespace bootgate::policy::internal
