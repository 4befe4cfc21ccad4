#include "verifier/bootstate/extract.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "verifier/bootstate/boot_chain.h"
#include "verifier/bootstate/multiboot.h"
#include "verifier/bootstate/placement.h"
#include "verifier/bootstate/signature_entry.h"
#include "verifier/bytes/hex.h"
#include "verifier/crypto/pcr_values.h"
#include "verifier/eventlog/event_types.h"
#include "verifier/eventlog/ipl.h"

namespace bootgate::bootstate {
namespace {

using appraisal::Finding;
using appraisal::Layer;
using appraisal::Severity;
using eventlog::DecodedEvent;
using eventlog::Event;

constexpr uint32_t kLastFirmwarePcr = 7;  // separators are expected in PCRs 0-7
constexpr absl::string_view kExitBootServicesInvocation = "Exit Boot Services Invocation";
constexpr absl::string_view kUefiDebugMode = "UEFI Debug Mode";
constexpr absl::string_view kDmaProtectionDisabled = "DMA Protection Disabled";
// Linux drivers/firmware/efi/libstub: EFISTUB_EVT_LOAD_OPTIONS, the tag of its load options.
constexpr uint32_t kLinuxLoadOptionsTag = 0x8F3B22ED;
// ... and EFISTUB_EVT_INITRD, the tag of the initrd it was handed (digest of its contents).
constexpr uint32_t kLinuxInitrdTag = 0x8F3B22EC;

// "event 12 (EV_EFI_VARIABLE_DRIVER_CONFIG, PCR 7)"
std::string Where(const Event& event) {
  return absl::StrFormat("event %u (%s, PCR %u)", event.index, eventlog::EventTypeName(event.type),
                         event.pcr);
}

Finding EventFinding(std::string code, Layer layer, Severity severity, const Event& event,
                     std::string seen, std::string allowed, absl::string_view what,
                     std::string hint = "") {
  Finding f;
  f.code = std::move(code);
  f.layer = layer;
  f.severity = severity;
  f.pcr = event.pcr;
  f.event_index = event.index;
  f.seen = std::move(seen);
  f.allowed = std::move(allowed);
  f.message = absl::StrCat(Where(event), ": ", what);
  f.hint = std::move(hint);
  return f;
}

template <typename T>
const T* ContentAs(const DecodedEvent& decoded) {
  return std::get_if<T>(&decoded.content);
}

// Which Secure Boot configuration variable a PCR 7 EV_EFI_VARIABLE_DRIVER_CONFIG names.
enum class SbVar {
  kSecureBoot,
  kPk,
  kKek,
  kDb,
  kDbx,
  kOtherDb,
  kSetupMode,
  kAuditMode,
  kDeployedMode,
  kUnknown
};

SbVar ClassifyVariable(const eventlog::UefiVariable& var) {
  if (var.vendor == eventlog::kEfiGlobalVariableGuid) {
    if (var.name == "SecureBoot") return SbVar::kSecureBoot;
    if (var.name == "PK") return SbVar::kPk;
    if (var.name == "KEK") return SbVar::kKek;
    if (var.name == "SetupMode") return SbVar::kSetupMode;
    if (var.name == "AuditMode") return SbVar::kAuditMode;
    if (var.name == "DeployedMode") return SbVar::kDeployedMode;
  } else if (var.vendor == eventlog::kEfiImageSecurityDatabaseGuid) {
    if (var.name == "db") return SbVar::kDb;
    if (var.name == "dbx") return SbVar::kDbx;
    if (var.name == "dbt" || var.name == "dbr" || var.name == "dbtr") return SbVar::kOtherDb;
  }
  return SbVar::kUnknown;
}

EventDigests DigestsIn(const Event& event, const std::set<crypto::HashAlg>& banks) {
  EventDigests out;
  for (const eventlog::EventDigest& d : event.digests) {
    if (d.alg && banks.contains(*d.alg)) {
      out.emplace(*d.alg, crypto::Digest(d.digest.begin(), d.digest.end()));
    }
  }
  return out;
}

class Extractor {
 public:
  Extractor(const eventlog::EventLog& log, const eventlog::ReplayResult& replay,
            std::span<const DecodedEvent* const> decoded, const tpm::PcrSelection& quoted)
      : log_(log), replay_(replay), decoded_(decoded) {
    // A PCR is proven in a bank the quote covers and the log replayed.
    for (const tpm::PcrBankSelection& bank : quoted) {
      if (!replay.pcrs.contains(bank.bank)) continue;
      for (uint32_t pcr : bank.pcrs) {
        if (pcr < crypto::kPcrCount) proven_banks_[pcr].insert(bank.bank);
      }
    }
  }

  BootStateResult Run() {
    for (const auto& [bank, values] : replay_.pcrs) result_.state.banks.push_back(bank);
    for (size_t i = 0; i < log_.events.size(); ++i) Visit(log_.events[i], *decoded_[i]);
    Finish();
    return std::move(result_);
  }

 private:
  bool Covered(uint32_t pcr) const {
    return pcr < crypto::kPcrCount && !proven_banks_[pcr].empty();
  }

  void Add(Finding finding) { result_.findings.push_back(std::move(finding)); }

  void Visit(const Event& event, const DecodedEvent& decoded) {
    if (event.type == eventlog::kEvNoAction) return;  // never extended: proves nothing
    if (!Covered(event.pcr)) {
      if (event.pcr < crypto::kPcrCount) {
        auto& [first, count] = unquoted_[event.pcr];
        if (count++ == 0) first = &event;
      }
      return;
    }
    if (!IsAllowedPlacement(event.pcr, event.type)) {
      const bool chain_pcr = event.pcr == 4 || event.pcr == 7;
      Add(EventFinding("unexpected-event", Layer::kEventLog,
                       chain_pcr ? Severity::kContraindicated : Severity::kWarning, event,
                       absl::StrCat(eventlog::EventTypeName(event.type), " in PCR ", event.pcr),
                       "event types the TCG PC Client PFP places in this PCR",
                       absl::StrCat("the TCG PC Client PFP does not place this event type in PCR ",
                                    event.pcr, "; its content is not used")));
      return;
    }
    if (decoded.data_check.overall == eventlog::DataCheck::kMismatch) {
      Add(EventFinding("event-data-mismatch", Layer::kEventLog, Severity::kContraindicated, event,
                       decoded.summary, "event data that hashes to the logged digest",
                       "data does not hash to the digest; its content is ignored",
                       "the log was edited after measurement, or the firmware logs this event "
                       "type differently: compare with the raw log (`bootgate eventlog show`)"));
      return;
    }
    if (!decoded.data_check.quirk.empty()) OnKnownQuirk(event, decoded);
    switch (event.type) {
      case eventlog::kEvSeparator:
        if (event.pcr <= kLastFirmwarePcr) OnSeparator(event, decoded);
        break;
      case eventlog::kEvSCrtmVersion:
        if (event.pcr == 0) OnCrtmVersion(decoded);
        break;
      case eventlog::kEvEfiPlatformFirmwareBlob:
      case eventlog::kEvEfiPlatformFirmwareBlob2:
        if (event.pcr == 0) OnFirmwareBlob(event, decoded);
        break;
      case eventlog::kEvEfiVariableDriverConfig:
        if (event.pcr == 7) OnSecureBootConfig(event, decoded);
        break;
      case eventlog::kEvEfiVariableAuthority:
        if (event.pcr == 7) OnAuthority(event, decoded);
        break;
      case eventlog::kEvEfiAction:
        OnEfiAction(event, decoded);
        break;
      case eventlog::kEvEfiBootServicesApplication:
        if (event.pcr == 4) OnBootApplication(event, decoded);
        break;
      case eventlog::kEvIpl:
        if (event.pcr == 8) OnGrubString(event, decoded);
        if (event.pcr == 9) OnGrubFile(event, decoded);
        break;
      case eventlog::kEvEventTag:
        if (event.pcr == 9) OnLinuxTag(event, decoded);
        break;
      default:
        break;
    }
  }

  // Genuine evidence measured with a known bug (event_data_check.h): said, never held
  // against the host.
  void OnKnownQuirk(const Event& event, const DecodedEvent& decoded) {
    Add(EventFinding(
        decoded.data_check.quirk, Layer::kEventLog, Severity::kInfo, event, decoded.data_check.rule,
        "event data that hashes to the logged digest",
        absl::StrCat("known quirk: ", decoded.data_check.rule, "; the measured bytes verify")));
  }

  void OnSeparator(const Event& event, const DecodedEvent& decoded) {
    const auto* sep = ContentAs<eventlog::Separator>(decoded);
    // The type is not covered by the digest: only a verified separator value counts.
    if (!decoded.trusted() || sep == nullptr) return;
    std::vector<uint32_t>& seen = separators_[event.pcr];
    seen.push_back(event.index);
    if (seen.size() > 1) {
      Add(EventFinding("duplicate-separator", Layer::kEventLog, Severity::kContraindicated, event,
                       absl::StrFormat("separator %u in PCR %u", seen.size(), event.pcr),
                       "exactly one separator per PCR 0-7",
                       absl::StrFormat("second separator in PCR %u (the first is event %u): "
                                       "the log cannot show what was measured before the "
                                       "boot loader took over",
                                       event.pcr, seen.front())));
    }
    if (sep->is_error) {
      Add(EventFinding("error-separator", Layer::kEventLog, Severity::kContraindicated, event,
                       "separator ffffffff", "separator 00000000",
                       "error separator: the firmware reported an error while measuring"));
    } else if (!sep->is_normal) {
      Add(EventFinding("odd-separator", Layer::kEventLog, Severity::kWarning, event,
                       absl::StrFormat("separator %08x", sep->value), "separator 00000000",
                       "separator value is neither 0 nor the error value 0xFFFFFFFF"));
    }
  }

  void OnCrtmVersion(const DecodedEvent& decoded) {
    const auto* text = ContentAs<eventlog::TextEvent>(decoded);
    if (!decoded.trusted() || text == nullptr) return;
    if (!result_.state.firmware.crtm_version) result_.state.firmware.crtm_version = text->text;
  }

  void OnFirmwareBlob(const Event& event, const DecodedEvent& decoded) {
    FirmwareLayer::Blob blob;
    blob.event_index = event.index;
    blob.digests = DigestsIn(event, proven_banks_[event.pcr]);
    if (const auto* fw = ContentAs<eventlog::FirmwareBlob>(decoded)) {
      blob.description =
          fw->description.value_or(absl::StrFormat("base 0x%x length 0x%x", fw->base, fw->length));
    }
    result_.state.firmware.blobs.push_back(std::move(blob));
  }

  void OnSecureBootConfig(const Event& event, const DecodedEvent& decoded) {
    const auto* var = ContentAs<eventlog::UefiVariable>(decoded);
    const std::string name = var != nullptr ? var->name : std::string("(undecodable)");
    if (!separators_[7].empty()) {
      Add(EventFinding(
          "config-after-separator", Layer::kSecureBoot, Severity::kContraindicated, event,
          absl::StrCat("Secure Boot variable ", name, " measured after the separator"),
          "Secure Boot configuration measured before the PCR 7 separator",
          absl::StrFormat("Secure Boot variable %s measured after the PCR 7 separator "
                          "(event %u); configuration belongs before it, its content is ignored",
                          name, separators_[7].front()),
          "Secure Boot configuration changed after the firmware handed over to the boot "
          "loader: find what wrote it (a boot loader or OS tool); this finding is never waivable"));
      return;
    }
    if (!decoded.trusted() || var == nullptr) return;
    const SbVar kind = ClassifyVariable(*var);
    if (kind == SbVar::kUnknown) {
      Add(EventFinding("unexpected-variable", Layer::kSecureBoot, Severity::kWarning, event,
                       absl::StrCat(var->name, " (", var->vendor.ToString(), ")"),
                       "SecureBoot, PK, KEK, SetupMode, AuditMode, DeployedMode (EFI global "
                       "variable), db, dbx, dbt, dbr, dbtr (image security database)",
                       absl::StrCat("variable ", var->name, " (", var->vendor.ToString(),
                                    ") is not Secure Boot configuration; its content is not "
                                    "used")));
      return;
    }
    if (!measured_.insert(var->name).second) {
      Add(EventFinding("duplicate-variable", Layer::kSecureBoot, Severity::kContraindicated, event,
                       absl::StrCat(var->name, " measured twice"),
                       "each Secure Boot variable measured once",
                       absl::StrCat("Secure Boot variable ", var->name,
                                    " was already measured; the first value is used")));
      return;
    }
    SecureBootLayer& sb = result_.state.secure_boot;
    switch (kind) {
      case SbVar::kSecureBoot:
        sb.secure_boot_event = event.index;
        sb.enabled = BoolVariable(event, *var);
        break;
      case SbVar::kSetupMode:
        sb.setup_mode = BoolVariable(event, *var);
        break;
      case SbVar::kAuditMode:
        sb.audit_mode = BoolVariable(event, *var);
        break;
      case SbVar::kDeployedMode:
        sb.deployed_mode = BoolVariable(event, *var);
        break;
      case SbVar::kPk:
        sb.pk = SignatureVariable(event, *var);
        break;
      case SbVar::kKek:
        sb.kek = SignatureVariable(event, *var);
        break;
      case SbVar::kDb:
        sb.db = SignatureVariable(event, *var);
        break;
      case SbVar::kDbx:
        sb.dbx = SignatureVariable(event, *var);
        break;
      case SbVar::kOtherDb:
      case SbVar::kUnknown:
        break;
    }
  }

  // UEFI boolean variables are one byte, 0 or 1. Firmware measures an absent variable with no
  // data (EDK2 does), which UEFI reads as "not set": false.
  std::optional<bool> BoolVariable(const Event& event, const eventlog::UefiVariable& var) {
    if (var.data.empty()) return false;
    if (var.data.size() == 1 && var.data[0] <= 1) return var.data[0] == 1;
    Add(EventFinding("malformed-variable", Layer::kSecureBoot, Severity::kContraindicated, event,
                     absl::StrCat(var.name, " = ", bytes::ToHex(var.data)), "one byte, 0 or 1",
                     absl::StrCat(var.name, " is not a UEFI boolean; its value is not used")));
    return std::nullopt;
  }

  std::optional<SecureBootVariable> SignatureVariable(const Event& event,
                                                      const eventlog::UefiVariable& var) {
    if (!var.signature_lists || !var.signature_list_error.empty()) {
      Add(EventFinding("malformed-variable", Layer::kSecureBoot, Severity::kContraindicated, event,
                       var.signature_list_error, "a list of EFI_SIGNATURE_LISTs",
                       absl::StrCat(var.name, " does not parse as signature lists (",
                                    var.signature_list_error, "); its value is not used")));
      return std::nullopt;
    }
    return SecureBootVariable{event.index, ToSignatureEntries(*var.signature_lists)};
  }

  void OnAuthority(const Event& event, const DecodedEvent& decoded) {
    const auto* var = ContentAs<eventlog::UefiVariable>(decoded);
    if (!decoded.trusted() || var == nullptr) return;
    Authority authority;
    authority.event_index = event.index;
    authority.variable = var->name;
    if (var->authority) {
      authority.certificate =
          ToSignatureEntry(eventlog::kEfiCertX509Guid, *var->authority, var->authority_has_owner);
    } else if (var->vendor == eventlog::kEfiImageSecurityDatabaseGuid && var->name == "db") {
      // Firmware logs the db entry (a certificate) that verified an image. Anything else
      // under that name cannot say which authority it was, and could be a db measurement
      // relabelled as an authority to escape config-after-separator.
      Add(EventFinding("malformed-authority", Layer::kSecureBoot, Severity::kContraindicated, event,
                       decoded.summary, "the db certificate that verified an image",
                       "db authority does not carry a certificate; it is not used"));
      return;
    }
    if (var->name == "SbatLevel") {
      result_.state.secure_boot.sbat_level = eventlog::AsPrintableText(var->data);
    }
    result_.state.secure_boot.authorities.push_back(std::move(authority));
  }

  void OnEfiAction(const Event& event, const DecodedEvent& decoded) {
    const auto* text = ContentAs<eventlog::TextEvent>(decoded);
    if (!decoded.trusted() || text == nullptr) return;
    if (event.pcr == 5 && text->text == kExitBootServicesInvocation) {
      if (!exit_boot_services_) exit_boot_services_ = event.index;
    } else if (event.pcr == 7 && text->text == kUefiDebugMode) {
      Add(EventFinding("uefi-debug-mode", Layer::kSecureBoot, Severity::kContraindicated, event,
                       text->text, "no UEFI debug mode",
                       "the firmware ran in UEFI debug mode: Secure Boot does not hold"));
    } else if (event.pcr == 7 && text->text == kDmaProtectionDisabled) {
      Add(EventFinding("dma-protection-disabled", Layer::kSecureBoot, Severity::kWarning, event,
                       text->text, "DMA protection enabled",
                       "the firmware disabled DMA protection (IOMMU) before boot"));
    }
  }

  BootImage ImageOf(const Event& event, const DecodedEvent& decoded) const {
    BootImage image;
    image.event_index = event.index;
    image.digests = DigestsIn(event, proven_banks_[event.pcr]);
    if (const auto* load = ContentAs<eventlog::ImageLoadEvent>(decoded)) {
      image.path = load->device_path.file.empty() ? load->device_path.text : load->device_path.file;
      image.from_memory = load->device_path.file.empty();
    }
    return image;
  }

  void OnBootApplication(const Event& event, const DecodedEvent& decoded) {
    if (exit_boot_services_) {
      Add(EventFinding(
          "image-after-exit-boot-services", Layer::kBootLoader, Severity::kContraindicated, event,
          absl::StrCat("boot application ", ImageOf(event, decoded).path),
          "no boot application after ExitBootServices",
          absl::StrFormat("boot application loaded after ExitBootServices (event %u); it is "
                          "not part of the boot chain",
                          *exit_boot_services_)));
      return;
    }
    applications_.push_back(ImageOf(event, decoded));
  }

  void OnGrubString(const Event& event, const DecodedEvent& decoded) {
    const auto* ipl = ContentAs<eventlog::IplString>(decoded);
    if (!decoded.trusted() || ipl == nullptr) return;
    KernelLayer& kernel = result_.state.kernel;
    grub_measured_ = true;
    if (ipl->kind == eventlog::IplString::Kind::kGrubCommand) {
      result_.state.boot_loader.grub_commands.push_back({event.index, ipl->text});
    } else if (ipl->kind == eventlog::IplString::Kind::kKernelCmdline) {
      // grub's `linux` command replaces any earlier kernel: the last command line is booted.
      kernel.command_line = ipl->text;
      kernel.command_line_event = event.index;
    }
  }

  void OnGrubFile(const Event& event, const DecodedEvent& decoded) {
    BootImage file;
    file.event_index = event.index;
    file.digests = DigestsIn(event, proven_banks_[event.pcr]);
    if (const auto* ipl = ContentAs<eventlog::IplString>(decoded)) file.path = ipl->text;
    result_.state.kernel.grub_files.push_back(std::move(file));
  }

  // The tag is display data (the digest covers the tagged object only): a relabelled event
  // can only offer a digest that a policy's command line or initrd list then fails to match,
  // and both tags are checked against lists no other measurement fills.
  void OnLinuxTag(const Event& event, const DecodedEvent& decoded) {
    const auto* tags = ContentAs<eventlog::TaggedEvents>(decoded);
    if (tags == nullptr || tags->events.size() != 1) return;
    const uint32_t tag = tags->events[0].id;
    if (tag != kLinuxLoadOptionsTag && tag != kLinuxInitrdTag) return;
    BootImage measured;
    measured.event_index = event.index;
    measured.digests = DigestsIn(event, proven_banks_[event.pcr]);
    if (tag == kLinuxLoadOptionsTag) {
      measured.path = "LOADED_IMAGE::LoadOptions";
      result_.state.kernel.load_options = std::move(measured);
    } else {
      measured.path = "initrd (measured by the kernel's EFI stub)";
      result_.state.kernel.stub_initrd = std::move(measured);
    }
  }

  void Finish() {
    IdentifyImages();
    const std::vector<GrubCommand>& commands = result_.state.boot_loader.grub_commands;
    result_.state.kernel.multiboot = LinkMultibootLoads(commands, result_.state.kernel.grub_files);
    result_.state.boot_loader.grub_config_files =
        LinkConfigFiles(commands, result_.state.kernel.grub_files);
    LinkInitrd();
    const std::array<uint32_t, 2> chain_pcrs = {4, 7};
    for (uint32_t pcr = 0; pcr <= kLastFirmwarePcr; ++pcr) {
      if (!Covered(pcr) || !separators_[pcr].empty()) continue;
      const bool chain_pcr =
          std::find(chain_pcrs.begin(), chain_pcrs.end(), pcr) != chain_pcrs.end();
      Finding f;
      f.code = "missing-separator";
      f.layer = Layer::kEventLog;
      f.severity = chain_pcr ? Severity::kContraindicated : Severity::kWarning;
      f.pcr = pcr;
      f.seen = absl::StrCat("no separator in PCR ", pcr);
      f.allowed = "one EV_SEPARATOR in each PCR 0-7";
      f.message = absl::StrCat(
          "PCR ", pcr, ": no verified EV_SEPARATOR",
          pcr == 7 ? "; the log cannot show that Secure Boot configuration came before the "
                     "boot loader"
                   : (pcr == 4 ? "; the log cannot show where firmware ended and the boot "
                                 "loader began"
                               : ""));
      Add(std::move(f));
    }
    for (uint32_t pcr = 0; pcr < crypto::kPcrCount; ++pcr) {
      const auto& [first, count] = unquoted_[pcr];
      if (count == 0) continue;
      Finding f = EventFinding(
          "pcr-not-quoted", Layer::kEvidence, Severity::kWarning, *first,
          absl::StrFormat("%u events in PCR %u", count, pcr), "PCRs the quote covers",
          absl::StrFormat("PCR %u is not covered by the quote: its %u events (the first is "
                          "this one) prove nothing and their content is not used",
                          pcr, count),
          absl::StrCat("quote PCR ", pcr, " too if its events matter to the policy"));
      Add(std::move(f));
    }
    FillPcrValues(0, result_.state.firmware.pcr0);
    FillPcrValues(2, result_.state.firmware.pcr2);
    // Log order: findings about an event first, by index; log-wide ones after.
    std::stable_sort(result_.findings.begin(), result_.findings.end(),
                     [](const Finding& a, const Finding& b) {
                       if (a.event_index.has_value() != b.event_index.has_value()) {
                         return a.event_index.has_value();
                       }
                       return a.event_index.value_or(0) < b.event_index.value_or(0);
                     });
  }

  void IdentifyImages() {
    KernelLayer& kernel = result_.state.kernel;
    BootChainSplit split =
        bootstate::SplitBootChain({.applications = std::move(applications_),
                                   .grub_commands = result_.state.boot_loader.grub_commands,
                                   .grub_measured = grub_measured_,
                                   .grub_files = kernel.grub_files});
    result_.state.boot_loader.loaders = std::move(split.loaders);
    kernel.image = std::move(split.kernel);
    kernel.image_reason = std::move(split.kernel_reason);
    kernel.grub_linux = std::move(split.grub_linux);
  }

  // grub's initrd for the kernel of its last `linux` command: files after the kernel's file.
  void LinkInitrd() {
    KernelLayer& kernel = result_.state.kernel;
    if (!kernel.grub_linux.has_value()) return;
    size_t files_from = 0;
    if (kernel.grub_linux->file.has_value()) {
      for (size_t i = 0; i < kernel.grub_files.size(); ++i) {
        if (kernel.grub_files[i].event_index == kernel.grub_linux->file->event_index) {
          files_from = i + 1;
        }
      }
    }
    kernel.grub_initrd =
        LinkInitrdLoads(result_.state.boot_loader.grub_commands, kernel.grub_linux->command_event,
                        kernel.grub_files, files_from);
  }

  void FillPcrValues(uint32_t pcr, EventDigests& out) const {
    for (crypto::HashAlg bank : proven_banks_[pcr]) {
      auto values = replay_.pcrs.find(bank);
      if (values == replay_.pcrs.end()) continue;
      if (auto value = values->second.find(pcr); value != values->second.end()) {
        out.emplace(bank, value->second);
      }
    }
  }

  const eventlog::EventLog& log_;
  const eventlog::ReplayResult& replay_;
  std::span<const DecodedEvent* const> decoded_;
  std::array<std::set<crypto::HashAlg>, crypto::kPcrCount> proven_banks_;
  std::array<std::pair<const Event*, uint32_t>, crypto::kPcrCount> unquoted_{};
  std::array<std::vector<uint32_t>, kLastFirmwarePcr + 1> separators_;
  std::set<std::string> measured_;  // Secure Boot variables already measured
  std::optional<uint32_t> exit_boot_services_;
  std::vector<BootImage> applications_;
  bool grub_measured_ = false;  // any verified grub string in PCR 8
  BootStateResult result_;
};

}  // namespace

BootStateResult ExtractBootState(const eventlog::EventLog& log,
                                 const eventlog::ReplayResult& replay,
                                 const std::vector<eventlog::DecodedEvent>& decoded,
                                 const tpm::PcrSelection& quoted) {
  const bool one_per_event = decoded.size() == log.events.size();
  std::vector<DecodedEvent> own;
  if (!one_per_event) {
    own.reserve(log.events.size());
    for (const Event& event : log.events) own.push_back(eventlog::DecodeEvent(event));
  }
  const std::vector<DecodedEvent>& events = one_per_event ? decoded : own;
  std::vector<const DecodedEvent*> pointers;
  pointers.reserve(events.size());
  for (const DecodedEvent& event : events) pointers.push_back(&event);
  return ExtractBootState(log, replay, pointers, quoted);
}

BootStateResult ExtractBootState(const eventlog::EventLog& log,
                                 const eventlog::ReplayResult& replay,
                                 std::span<const eventlog::DecodedEvent* const> decoded,
                                 const tpm::PcrSelection& quoted) {
  return Extractor(log, replay, decoded, quoted).Run();
}

}  // namespace bootgate::bootstate
