#include "swtpm-fixtures/generator/boot_builder.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "swtpm-fixtures/generator/content.h"
#include "swtpm-fixtures/generator/efi.h"
#include "swtpm-fixtures/generator/pe.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::fixtures {
namespace {

using crypto::HashAlg;

constexpr std::string_view kSbatLevel = "sbat,1,2022111500\nshim,2\ngrub,3\n";
constexpr uint64_t kImageBase = 0x7d000000;

class Builder {
 public:
  Builder(const v1::Scenario& s, std::span<const HashAlg> banks, const CertLoader& load_cert)
      : s_(s), banks_(banks), load_cert_(load_cert) {}

  absl::StatusOr<std::vector<LoggedEvent>> Build() {
    RETURN_IF_ERROR(PreBoot());
    RETURN_IF_ERROR(ReadyToBoot());
    RETURN_IF_ERROR(BootLoaders());
    RETURN_IF_ERROR(Action(5, "Exit Boot Services Invocation"));
    RETURN_IF_ERROR(Action(5, "Exit Boot Services Returned with Success"));
    return std::move(events_);
  }

 private:
  // Logs an event whose digests are H(hashed) in every bank.
  absl::Status Measure(uint32_t pcr, uint32_t type, Bytes data, std::span<const uint8_t> hashed) {
    LoggedEvent e{pcr, type, {}, std::move(data)};
    for (HashAlg alg : banks_) {
      ASSIGN_OR_RETURN(crypto::Digest d, crypto::Hash(alg, hashed));
      e.digests.push_back(std::move(d));
    }
    events_.push_back(std::move(e));
    return absl::OkStatus();
  }
  absl::Status MeasureData(uint32_t pcr, uint32_t type, Bytes data) {
    Bytes copy = data;
    return Measure(pcr, type, std::move(data), copy);
  }
  absl::Status Action(uint32_t pcr, std::string_view text) {
    Bytes data(text.begin(), text.end());
    return MeasureData(pcr, kEvEfiAction, std::move(data));
  }

  absl::StatusOr<Bytes> CertList(const google::protobuf::RepeatedPtrField<std::string>& names) {
    Bytes out;
    for (const std::string& name : names) {
      ASSIGN_OR_RETURN(Bytes der, load_cert_(name));
      Bytes list = efi::X509SignatureList(der);
      out.insert(out.end(), list.begin(), list.end());
    }
    return out;
  }

  absl::StatusOr<Bytes> SecureBootVariable(std::string_view name) {
    const v1::SecureBoot& sb = s_.secure_boot();
    if (name == "SecureBoot") return Bytes{static_cast<uint8_t>(sb.enabled() ? 1 : 0)};
    if (name == "PK") {
      google::protobuf::RepeatedPtrField<std::string> pk;
      if (!sb.pk().empty()) *pk.Add() = sb.pk();
      return CertList(pk);
    }
    if (name == "KEK") return CertList(sb.kek());
    if (name == "db") return CertList(sb.db());
    if (name == "dbx") {
      std::vector<Bytes> hashes;
      for (const std::string& hex : sb.dbx_sha256()) {
        ASSIGN_OR_RETURN(Bytes h, bytes::FromHex(hex));
        if (h.size() != 32)
          return absl::InvalidArgumentError(absl::StrCat("dbx entry ", hex, " is not SHA-256"));
        hashes.push_back(std::move(h));
      }
      if (hashes.empty()) return Bytes{};
      return efi::Sha256SignatureList(hashes);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown Secure Boot variable \"", std::string(name), "\""));
  }

  absl::Status MeasureSecureBootVariable(std::string_view name) {
    ASSIGN_OR_RETURN(Bytes data, SecureBootVariable(name));
    const bool in_db = name == "db" || name == "dbx";
    return MeasureData(
        7, kEvEfiVariableDriverConfig,
        efi::VariableData(in_db ? efi::kImageSecurityDatabase : efi::kGlobalVariable, name, data));
  }

  absl::Status PreBoot() {
    const uint64_t seed = s_.seed();
    if (s_.has_startup_locality()) {
      LoggedEvent e{
          0, kEvNoAction, {}, StartupLocalityData(static_cast<uint8_t>(s_.startup_locality()))};
      for (HashAlg alg : banks_) e.digests.emplace_back(crypto::DigestSize(alg), 0);
      events_.push_back(std::move(e));
    }
    if (!s_.firmware().crtm_version().empty()) {
      ByteSink v;
      v.Utf16(s_.firmware().crtm_version(), true);
      RETURN_IF_ERROR(MeasureData(0, kEvSCrtmVersion, v.Take()));
    }
    for (const v1::FirmwareBlob& blob : s_.firmware().blobs()) {
      Bytes contents =
          DeriveBytes(seed, absl::StrCat("firmware/", blob.description()), blob.length());
      RETURN_IF_ERROR(Measure(0, kEvEfiPlatformFirmwareBlob2,
                              efi::FirmwareBlob2(blob.description(), blob.base(), blob.length()),
                              contents));
    }
    for (std::string_view name : {"SecureBoot", "PK", "KEK", "db", "dbx"}) {
      RETURN_IF_ERROR(MeasureSecureBootVariable(name));
    }
    // EDK2 (OVMF, and the PC firmware built on it) closes PCR 7's configuration right after
    // the Secure Boot variables, before the boot variables; PCRs 0-6 close at ReadyToBoot.
    RETURN_IF_ERROR(MeasureData(7, kEvSeparator, Bytes(4, 0)));
    RETURN_IF_ERROR(BuildDisk());
    if (!s_.boot_options().empty()) {
      ByteSink order;
      for (const v1::BootOption& o : s_.boot_options())
        order.U16(static_cast<uint16_t>(o.number()));
      RETURN_IF_ERROR(MeasureBootVariable("BootOrder", order.Take()));
      for (const v1::BootOption& o : s_.boot_options()) {
        char name[16];
        std::snprintf(name, sizeof(name), "Boot%04X", o.number() & 0xffff);
        RETURN_IF_ERROR(
            MeasureBootVariable(name, efi::LoadOption(o.description(), DevicePath(o.path()))));
      }
    }
    return absl::OkStatus();
  }

  // EV_EFI_VARIABLE_BOOT: the digest covers the variable's data only (as EDK2 measures it),
  // the event data is the whole UEFI_VARIABLE_DATA.
  absl::Status MeasureBootVariable(std::string_view name, Bytes value) {
    return Measure(1, kEvEfiVariableBoot, efi::VariableData(efi::kGlobalVariable, name, value),
                   value);
  }

  absl::Status BuildDisk() {
    if (!s_.has_disk()) return absl::OkStatus();
    const uint64_t seed = s_.seed();
    if (s_.disk().disk_guid().empty()) {
      disk_guid_ = DeriveGuid(seed, "disk");
    } else {
      ASSIGN_OR_RETURN(disk_guid_, efi::ParseGuid(s_.disk().disk_guid()));
    }
    for (int i = 0; i < s_.disk().partitions_size(); ++i) {
      const v1::Partition& p = s_.disk().partitions(i);
      ASSIGN_OR_RETURN(Bytes type, efi::ParseGuid(p.type_guid()));
      partitions_.push_back({std::move(type), DeriveGuid(seed, absl::StrCat("partition/", i)),
                             p.first_lba(), p.last_lba(), p.name()});
    }
    return absl::OkStatus();
  }

  // The ESP is the first partition; without a disk the path is a bare file path.
  Bytes DevicePath(std::string_view path) {
    if (partitions_.empty()) {
      return efi::HardDriveFilePath(1, 2048, 1048576, DeriveGuid(s_.seed(), "partition/0"), path);
    }
    const efi::GptPartition& esp = partitions_.front();
    return efi::HardDriveFilePath(1, esp.first_lba, esp.last_lba - esp.first_lba + 1,
                                  esp.unique_guid, path);
  }

  absl::Status ReadyToBoot() {
    RETURN_IF_ERROR(Action(4, "Calling EFI Application from Boot Option"));
    for (uint32_t pcr = 0; pcr <= 6; ++pcr) {
      RETURN_IF_ERROR(MeasureData(pcr, kEvSeparator, Bytes(4, 0)));
    }
    for (const std::string& name : s_.secure_boot().remeasure_after_separator()) {
      RETURN_IF_ERROR(MeasureSecureBootVariable(name));
    }
    return absl::OkStatus();
  }

  // The firmware measures the GPT of the disk it loads the first boot application from, after
  // verifying that image (its authority) and before the image itself.
  absl::Status Gpt() {
    if (!s_.has_disk() || gpt_done_) return absl::OkStatus();
    gpt_done_ = true;
    return MeasureData(5, kEvEfiGptEvent, efi::GptData(disk_guid_, partitions_));
  }

  // Logs an application's image `times` times in a row (Authenticode digest).
  absl::Status Application(int index, std::span<const uint8_t> image,
                           std::span<const uint8_t> device_path, uint32_t times) {
    for (uint32_t n = 0; n < std::max<uint32_t>(times, 1); ++n) {
      LoggedEvent e{4,
                    kEvEfiBootServicesApplication,
                    {},
                    efi::ImageLoadEvent(kImageBase + 0x1000000ull * static_cast<uint64_t>(index),
                                        image.size(), device_path)};
      for (HashAlg alg : banks_) {
        ASSIGN_OR_RETURN(crypto::Digest d, AuthenticodeDigest(alg, image));
        e.digests.push_back(std::move(d));
      }
      events_.push_back(std::move(e));
    }
    return absl::OkStatus();
  }

  absl::Status Authority(const v1::Authority& a) {
    if (a.cert().empty()) return absl::OkStatus();
    // Firmware and shim log each authority once per boot, at its first use.
    if (!logged_authorities_.insert({a.variable(), a.cert()}).second) return absl::OkStatus();
    ASSIGN_OR_RETURN(Bytes der, load_cert_(a.cert()));
    Bytes data;
    if (a.variable() == "db") {
      data = efi::VariableData(efi::kImageSecurityDatabase, "db", efi::SignatureData(der));
    } else if (a.variable() == "Shim") {
      data = efi::VariableData(efi::kShimLock, "Shim", der);  // shim logs its vendor cert raw
    } else if (a.variable() == "MokList") {
      data = efi::VariableData(efi::kShimLock, "MokList", efi::SignatureData(der));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown authority variable \"", a.variable(), "\""));
    }
    return MeasureData(7, kEvEfiVariableAuthority, std::move(data));
  }

  // The files a grub command reads, in the order it reads them (see scenario.proto's Grub).
  static std::vector<std::string> FilesRead(const std::string& cmd) {
    std::vector<std::string> args;
    std::istringstream words(cmd);
    for (std::string w; words >> w;) {
      if (w.rfind("--", 0) != 0) args.push_back(std::move(w));
    }
    if (args.empty()) return {};
    const std::string verb = args.front();
    args.erase(args.begin());
    if (args.empty()) return {};
    if (verb == "initrd" || verb == "initrdefi") return args;
    for (std::string_view one : {"source", "configfile", "linux", "linuxefi", "multiboot",
                                 "multiboot2", "module", "module2"}) {
      if (verb == one) return {args.front()};
    }
    return {};
  }
  static bool IsLinuxCommand(const std::string& cmd) {
    return cmd.rfind("linux ", 0) == 0 || cmd.rfind("linuxefi ", 0) == 0;
  }

  absl::Status GrubString(const std::string& prefix, const std::string& s) {
    std::string text = prefix + s;
    Bytes data(text.begin(), text.end());
    data.push_back(0);
    return Measure(8, kEvIpl, std::move(data), Bytes(s.begin(), s.end()));
  }

  absl::Status ScenarioFile(const v1::LoadedFile& f) {
    return GrubFile(f.path(),
                    DeriveBytes(s_.seed(), absl::StrCat("file/", f.content_label()), f.length()));
  }

  // grub loads a kernel from memory: PCR 9 the file, the authority that verified it (once per
  // boot), then the image in PCR 4 with a zero-length device path (none when grub starts it
  // without LoadImage).
  absl::Status GrubApplication(int index) {
    const v1::BootApplication& app = s_.boot_applications(index);
    Bytes image = Image(app);
    RETURN_IF_ERROR(GrubFile(app.path(), image));
    RETURN_IF_ERROR(Authority(app.authority()));
    grub_apps_done_.insert(index);
    if (app.started_without_loadimage()) return absl::OkStatus();
    return Application(index, image, {}, app.logged_times());
  }

  // grub's commands in order, each followed by the files it reads (see scenario.proto).
  absl::Status Grub() {
    const v1::Grub& g = s_.grub();
    std::set<std::string> named;
    for (const std::string& cmd : g.commands()) {
      for (std::string& path : FilesRead(cmd)) named.insert(std::move(path));
    }
    for (const v1::LoadedFile& f : g.files()) {
      if (!named.contains(f.path())) RETURN_IF_ERROR(ScenarioFile(f));
    }
    bool cmdline_done = g.kernel_cmdline().empty();
    for (const std::string& cmd : g.commands()) {
      RETURN_IF_ERROR(GrubString("grub_cmd: ", cmd));
      for (const std::string& path : FilesRead(cmd)) {
        bool found = false;
        for (int i = 0; i < s_.boot_applications_size() && !found; ++i) {
          const v1::BootApplication& app = s_.boot_applications(i);
          if (app.loaded_by_grub() && app.path() == path && !grub_apps_done_.contains(i)) {
            RETURN_IF_ERROR(GrubApplication(i));
            found = true;
          }
        }
        for (const v1::LoadedFile& f : g.files()) {
          if (found) break;
          if (f.path() == path) {
            RETURN_IF_ERROR(ScenarioFile(f));
            found = true;
          }
        }
      }
      if (!cmdline_done && IsLinuxCommand(cmd)) {
        RETURN_IF_ERROR(GrubString("kernel_cmdline: ", g.kernel_cmdline()));
        cmdline_done = true;
      }
    }
    if (!cmdline_done) RETURN_IF_ERROR(GrubString("kernel_cmdline: ", g.kernel_cmdline()));
    // Images grub loaded that no command named.
    for (int i = 0; i < s_.boot_applications_size(); ++i) {
      if (s_.boot_applications(i).loaded_by_grub() && !grub_apps_done_.contains(i)) {
        RETURN_IF_ERROR(GrubApplication(i));
      }
    }
    return absl::OkStatus();
  }

  absl::Status GrubFile(std::string_view path, std::span<const uint8_t> contents) {
    Bytes data(path.begin(), path.end());
    data.push_back(0);
    return Measure(9, kEvIpl, std::move(data), contents);
  }

  // shim's own measurements after it starts (shim 15.7 and 16.1): MokList and MokListX in
  // PCR 14 (EV_IPL, the name as event data, the variable's contents hashed), SbatLevel in
  // PCR 7, then MokListTrusted in PCR 14.
  absl::Status ShimVariables() {
    // shim mirrors its built-in vendor certificate into MokListRT, which it measures as MokList.
    Bytes mok;
    for (const v1::BootApplication& app : s_.boot_applications()) {
      if (app.authority().variable() == "Shim" && !app.authority().cert().empty()) {
        ASSIGN_OR_RETURN(Bytes der, load_cert_(app.authority().cert()));
        mok = efi::X509SignatureList(der);
        break;
      }
    }
    RETURN_IF_ERROR(ShimMok("MokList", mok));
    RETURN_IF_ERROR(ShimMok("MokListX", {}));
    std::string_view sbat = kSbatLevel;
    RETURN_IF_ERROR(MeasureData(
        7, kEvEfiVariableAuthority,
        efi::VariableData(efi::kShimLock, "SbatLevel", Bytes(sbat.begin(), sbat.end()))));
    return ShimMok("MokListTrusted", Bytes{0});
  }
  absl::Status ShimMok(std::string_view name, std::span<const uint8_t> contents) {
    Bytes data(name.begin(), name.end());
    data.push_back(0);
    return Measure(14, kEvIpl, std::move(data), contents);
  }

  Bytes Image(const v1::BootApplication& app) {
    PeOptions pe;
    pe.seed = s_.seed();
    pe.label = app.image_label();
    return MakePeImage(pe);
  }

  // Firmware- and shim-loaded applications in order; grub's commands (and the images it
  // loads) run when the first application grub loads is reached, or after the last application
  // when grub loads none (a hypervisor host: multiboot modules, no EFI application).
  absl::Status BootLoaders() {
    bool grub_done = false;
    for (int i = 0; i < s_.boot_applications_size(); ++i) {
      const v1::BootApplication& app = s_.boot_applications(i);
      if (app.loaded_by_grub()) {
        if (!grub_done) RETURN_IF_ERROR(Grub());
        grub_done = true;
        continue;
      }
      RETURN_IF_ERROR(Authority(app.authority()));
      RETURN_IF_ERROR(Gpt());
      RETURN_IF_ERROR(Application(i, Image(app), DevicePath(app.path()), app.logged_times()));
      if (app.is_shim()) RETURN_IF_ERROR(ShimVariables());
    }
    RETURN_IF_ERROR(Gpt());
    if (!grub_done && s_.has_grub()) RETURN_IF_ERROR(Grub());
    return absl::OkStatus();
  }

  const v1::Scenario& s_;
  std::span<const HashAlg> banks_;
  const CertLoader& load_cert_;
  std::vector<LoggedEvent> events_;
  Bytes disk_guid_;
  std::vector<efi::GptPartition> partitions_;
  std::set<std::pair<std::string, std::string>> logged_authorities_;
  bool gpt_done_ = false;
  std::set<int> grub_apps_done_;
};

}  // namespace

absl::StatusOr<std::vector<HashAlg>> ScenarioBanks(const v1::Scenario& scenario) {
  std::vector<HashAlg> banks;
  for (const std::string& name : scenario.pcr_banks()) {
    std::optional<HashAlg> alg = crypto::HashAlgFromName(name);
    if (!alg) return absl::InvalidArgumentError(absl::StrCat("unknown PCR bank \"", name, "\""));
    for (HashAlg b : banks) {
      if (b == *alg)
        return absl::InvalidArgumentError(absl::StrCat("bank \"", name, "\" listed twice"));
    }
    banks.push_back(*alg);
  }
  if (banks.empty()) return absl::InvalidArgumentError("scenario lists no pcr_banks");
  return banks;
}

absl::StatusOr<std::vector<LoggedEvent>> BuildBoot(const v1::Scenario& scenario,
                                                   std::span<const HashAlg> banks,
                                                   const CertLoader& load_cert) {
  return Builder(scenario, banks, load_cert).Build();
}

absl::Status ApplyTamper(const v1::Scenario& scenario, std::span<const HashAlg> banks,
                         std::vector<LoggedEvent>& events) {
  for (const v1::Tamper& t : scenario.tamper()) {
    auto index = [&](int32_t n) -> absl::StatusOr<size_t> {
      if (n < 1 || static_cast<size_t>(n) > events.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("tamper: no event ", n, " (log has ", events.size(), ")"));
      }
      return static_cast<size_t>(n - 1);
    };
    switch (t.kind_case()) {
      case v1::Tamper::kChangeDigestOfEvent: {
        ASSIGN_OR_RETURN(size_t i, index(t.change_digest_of_event()));
        for (crypto::Digest& d : events[i].digests) d[0] ^= 0x01;
        break;
      }
      case v1::Tamper::kDropEvent: {
        ASSIGN_OR_RETURN(size_t i, index(t.drop_event()));
        events.erase(events.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
      case v1::Tamper::kAddEvent: {
        const std::string& text = t.add_event().action();
        LoggedEvent e{t.add_event().pcr(), kEvEfiAction, {}, Bytes(text.begin(), text.end())};
        for (HashAlg alg : banks) {
          ASSIGN_OR_RETURN(crypto::Digest d, crypto::Hash(alg, e.data));
          e.digests.push_back(std::move(d));
        }
        events.push_back(std::move(e));
        break;
      }
      case v1::Tamper::kKeepEvents: {
        if (t.keep_events() < 0 || static_cast<size_t>(t.keep_events()) > events.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat("tamper: cannot keep ", t.keep_events(), " events"));
        }
        events.resize(static_cast<size_t>(t.keep_events()));
        break;
      }
      case v1::Tamper::KIND_NOT_SET:
        return absl::InvalidArgumentError("tamper step without a kind");
    }
  }
  return absl::OkStatus();
}

}  // namespace bootgate::fixtures
