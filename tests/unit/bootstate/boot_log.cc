#include "tests/unit/bootstate/boot_log.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "verifier/eventlog/decode.h"
#include "verifier/eventlog/event_types.h"
#include "verifier/eventlog/parse.h"
#include "verifier/eventlog/replay.h"
#include "verifier/tpm/quote.h"

namespace bootgate::bootstate::testing {

using namespace ::bootgate::eventlog;  // NOLINT: event type constants
using crypto::HashAlg;

BootLog::BootLog()
    : builder_(eventlog::testing::LogBuilder::CryptoAgile(
          std::vector<HashAlg>{HashAlg::kSha1, HashAlg::kSha256})) {}

uint32_t BootLog::Measure(uint32_t pcr, uint32_t type, Bytes data) {
  const auto index = static_cast<uint32_t>(builder_.event_count());
  builder_.Measure(pcr, type, std::move(data));
  return index;
}

uint32_t BootLog::MeasureOther(uint32_t pcr, uint32_t type, const Bytes& digest_of, Bytes data) {
  const auto index = static_cast<uint32_t>(builder_.event_count());
  builder_.MeasureOther(pcr, type, digest_of, std::move(data));
  return index;
}

void BootLog::Firmware() {
  at_.crtm = Measure(0, kEvSCrtmVersion, Text("bootgate-test-bios 1.0"));
  at_.blob = MeasureOther(0, kEvEfiPlatformFirmwareBlob2, Text("firmware volume", false),
                          Blob2("FVMAIN", 0xff820000, 0x10000));
}

void BootLog::SecureBootConfig() {
  at_.secure_boot = Measure(7, kEvEfiVariableDriverConfig, GlobalVar("SecureBoot", {1}));
  at_.pk =
      Measure(7, kEvEfiVariableDriverConfig, GlobalVar("PK", CertLists({Certificate("Test PK")})));
  at_.kek = Measure(7, kEvEfiVariableDriverConfig,
                    GlobalVar("KEK", CertLists({Certificate("Test KEK")})));
  at_.db = Measure(
      7, kEvEfiVariableDriverConfig,
      SecurityDbVar("db", CertLists({Certificate("Test UEFI CA"), Certificate("Test OS CA")})));
  at_.dbx = Measure(7, kEvEfiVariableDriverConfig,
                    SecurityDbVar("dbx", HashList({Bytes(32, 0xaa), Bytes(32, 0xbb)})));
  Measure(4, kEvEfiAction, Text("Calling EFI Application from Boot Option", false));
}

void BootLog::Separators() {
  for (uint32_t pcr = 0; pcr < 8; ++pcr)
    at_.separator[pcr] = Measure(pcr, kEvSeparator, {0, 0, 0, 0});
}

void BootLog::ShimAndGrub() {
  at_.db_authority = Measure(7, kEvEfiVariableAuthority,
                             SecurityDbVar("db", OwnedCert(Certificate("Test UEFI CA"))));
  at_.shim = MeasureOther(4, kEvEfiBootServicesApplication, Text("shim image", false),
                          ImagePath("\\EFI\\debian\\shimx64.efi"));
  at_.sbat = Measure(7, kEvEfiVariableAuthority,
                     ShimVar("SbatLevel", Text("sbat,1,2022111500\nshim,2\ngrub,3\n", false)));
  at_.moklist = Measure(7, kEvEfiVariableAuthority,
                        ShimVar("MokListRT", CertLists({Certificate("Test Distro CA")})));
  at_.shim_authority =
      Measure(7, kEvEfiVariableAuthority, ShimVar("Shim", Certificate("Test Distro CA")));
  at_.grub = MeasureOther(4, kEvEfiBootServicesApplication, Text("grub image", false),
                          ImagePath("\\EFI\\debian\\grubx64.efi"));
}

// In the order Debian's grub 2.06 under shim logs it (captured real boots,
// tests/data/realboot/): the `linux` command, the kernel file (PCR 9), the kernel's
// LoadImage from memory (PCR 4, no device path), and only then its command line.
void BootLog::GrubAndKernel() {
  // grub hashes the command without its prefix and NUL.
  MeasureOther(8, kEvIpl, Text("set root=hd0,gpt2", false), Text("grub_cmd: set root=hd0,gpt2"));
  const std::string linux_cmd = "linux " + kCmdline;
  at_.linux_cmd = MeasureOther(8, kEvIpl, Text(linux_cmd, false), Text("grub_cmd: " + linux_cmd));
  at_.kernel_file =
      MeasureOther(9, kEvIpl, Text("kernel file", false), Text("/boot/vmlinuz-6.1.0"));
  at_.kernel = MeasureOther(4, kEvEfiBootServicesApplication, Text("kernel image", false),
                            ImageFromMemory());
  at_.cmdline = MeasureOther(8, kEvIpl, Text(kCmdline, false), Text("kernel_cmdline: " + kCmdline));
  const std::string initrd_cmd = "initrd /boot/initrd.img-6.1.0";
  MeasureOther(8, kEvIpl, Text(initrd_cmd, false), Text("grub_cmd: " + initrd_cmd));
  MeasureOther(9, kEvIpl, Text("initrd file", false), Text("/boot/initrd.img-6.1.0"));
  MeasureOther(8, kEvIpl, Text("boot", false), Text("grub_cmd: boot"));
}

void BootLog::ExitBootServices() {
  at_.exit_boot_services = Measure(5, kEvEfiAction, Text("Exit Boot Services Invocation", false));
  Measure(5, kEvEfiAction, Text("Exit Boot Services Returned with Success", false));
}

void BootLog::GoodBoot() {
  Firmware();
  SecureBootConfig();
  Separators();
  ShimAndGrub();
  GrubAndKernel();
  ExitBootServices();
}

BootStateResult Extract(const BootLog& log, const std::string& quoted) {
  absl::StatusOr<EventLog> parsed = ParseEventLog(log.Build());
  INFO(parsed.status().ToString());
  REQUIRE(parsed.ok());
  absl::StatusOr<ReplayResult> replay = Replay(*parsed);
  INFO(replay.status().ToString());
  REQUIRE(replay.ok());
  std::vector<DecodedEvent> decoded;
  for (const Event& event : parsed->events) decoded.push_back(DecodeEvent(event));
  tpm::PcrSelection selection;
  if (!quoted.empty()) {
    absl::StatusOr<tpm::PcrSelection> spec = tpm::ParsePcrSelectionSpec(quoted);
    REQUIRE(spec.ok());
    selection = *spec;
  }
  return ExtractBootState(*parsed, *replay, decoded, selection);
}

std::vector<appraisal::Finding> FindingsWith(const BootStateResult& result,
                                             const std::string& code) {
  std::vector<appraisal::Finding> out;
  for (const appraisal::Finding& f : result.findings) {
    if (f.code == code) out.push_back(f);
  }
  return out;
}

std::string Describe(const BootStateResult& result) {
  std::string out = absl::StrCat(result.findings.size(), " findings\n");
  for (const appraisal::Finding& f : result.findings) {
    absl::StrAppend(&out, f.code, " [", appraisal::LayerName(f.layer), ", ",
                    appraisal::SeverityName(f.severity), "] ", f.message, "\n");
  }
  return out;
}

}  // namespace bootgate::bootstate::testing
