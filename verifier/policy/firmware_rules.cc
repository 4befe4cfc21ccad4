#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "verifier/policy/rules.h"

namespace bootgate::policy::internal {
namespace {

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

std::string Count(int n, absl::string_view what) {
  return absl::StrCat(n, " ", what, n == 1 ? "" : "s");
}

}  // namespace

void EvaluateFirmware(const bootstate::FirmwareLayer& fw, const v1::HostGroup& group,
                      std::vector<Finding>& out) {
  const v1::FirmwareBaseline& base = group.firmware();
  const bool empty = base.crtm_versions().empty() && base.blobs().empty() && base.pcr0().empty();
  if (EmptyLayer(out, group, "firmware", empty, base.unpinned())) return;
  const std::string baseline = absl::StrCat("baseline ", group.name(), ".firmware");
  // `baseline learn` prints a golden host's values (when its quote covers PCR 0 in sha256).
  auto hint = [&](absl::string_view field) {
    return absl::StrCat("if this is a firmware update, add the new value to ", group.name(),
                        ".firmware.", field,
                        " (`bootgate baseline learn BUNDLE` prints it from an updated golden "
                        "host's evidence bundle)");
  };

  if (!base.crtm_versions().empty() &&
      (!fw.crtm_version.has_value() || !Contains(base.crtm_versions(), *fw.crtm_version))) {
    const std::string seen = fw.crtm_version.has_value()
                                 ? absl::StrCat("\"", *fw.crtm_version, "\"")
                                 : "no EV_S_CRTM_VERSION event";
    Add(out, {.code = "crtm-version-not-allowed",
              .layer = Layer::kFirmware,
              .pcr = 0,
              .seen = seen,
              .allowed = absl::StrCat(baseline, ".crtm_versions: \"",
                                      absl::StrJoin(base.crtm_versions(), "\", \""), "\""),
              .message = absl::StrCat("PCR 0: CRTM version ", seen, " is not in ", baseline),
              .hint = hint("crtm_versions")});
  }
  if (!base.blobs().empty()) {
    for (const bootstate::FirmwareLayer::Blob& blob : fw.blobs) {
      const std::optional<std::string> hex = Sha256Hex(blob.digests);
      if (!hex.has_value()) {
        AddDigestBankMissing(out, Layer::kFirmware, 0, blob.event_index, "firmware blob");
        continue;
      }
      if (Contains(base.blobs(), *hex)) continue;
      Add(out, {.code = "firmware-not-allowed",
                .layer = Layer::kFirmware,
                .pcr = 0,
                .event_index = blob.event_index,
                .seen = absl::StrCat(blob.description, " sha256 ", *hex),
                .allowed = absl::StrCat(baseline, ".blobs: ", Count(base.blobs().size(), "digest")),
                .message = absl::StrCat(Where(blob.event_index, "EV_EFI_PLATFORM_FIRMWARE_BLOB", 0),
                                        "firmware blob ", blob.description, " sha256 ",
                                        ShortHex(*hex), " is not in ", baseline),
                .hint = hint("blobs")});
    }
  }
  if (!base.pcr0().empty()) {
    const std::optional<std::string> hex = Sha256Hex(fw.pcr0);
    if (!hex.has_value() || !Contains(base.pcr0(), *hex)) {
      const std::string seen = hex.has_value() ? absl::StrCat("sha256 ", *hex) : "no sha256 PCR 0";
      Add(out, {.code = "pcr0-not-allowed",
                .layer = Layer::kFirmware,
                .pcr = 0,
                .seen = seen,
                .allowed = absl::StrCat(baseline, ".pcr0: ", Count(base.pcr0().size(), "value")),
                .message = absl::StrCat("PCR 0: replayed value ",
                                        hex.has_value() ? ShortHex(*hex) : "(no sha256 bank)",
                                        " is not in ", baseline),
                .hint = hint("pcr0")});
    }
  }
}

}  // namespace bootgate::policy::internal
