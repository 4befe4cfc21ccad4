#include "verifier/bootstate/extract.h"

#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/bootstate/boot_log.h"
#include "verifier/bytes/hex.h"
#include "verifier/eventlog/decode.h"
#include "verifier/eventlog/event_types.h"
#include "verifier/eventlog/parse.h"
#include "verifier/eventlog/replay.h"

namespace bootgate::bootstate {
namespace {

using appraisal::Finding;
using appraisal::Layer;
using appraisal::Severity;
using crypto::HashAlg;
using namespace ::bootgate::eventlog;  // NOLINT: event type constants
using namespace testing;               // NOLINT: the test boot log

std::string Sha256Of(const BootImage& image) {
  return bytes::ToHex(image.digests.at(HashAlg::kSha256));
}

// The one finding with `code`; fails the test unless there is exactly one.
Finding Only(const BootStateResult& result, const std::string& code) {
  INFO(Describe(result));
  std::vector<Finding> found = FindingsWith(result, code);
  REQUIRE(found.size() == 1);
  return found.front();
}

TEST_CASE("a good host's log gives the whole boot chain and no finding", "[bootstate]") {
  BootLog log;
  log.GoodBoot();
  BootStateResult result = Extract(log);
  INFO(Describe(result));
  REQUIRE(result.findings.empty());
  const BootState& s = result.state;
  CHECK(s.banks == std::vector<HashAlg>{HashAlg::kSha1, HashAlg::kSha256});

  CHECK(s.firmware.crtm_version == "bootgate-test-bios 1.0");
  REQUIRE(s.firmware.blobs.size() == 1);
  CHECK(s.firmware.blobs[0].event_index == log.at().blob);
  CHECK(s.firmware.blobs[0].description == "FVMAIN");
  CHECK(bytes::ToHex(s.firmware.blobs[0].digests.at(HashAlg::kSha256)) ==
        Sha256Hex(Text("firmware volume", false)));
  CHECK(s.firmware.pcr0.size() == 1);  // only the quoted bank
  CHECK(s.firmware.pcr0.at(HashAlg::kSha256) ==
        log.builder().expected_pcrs().at(HashAlg::kSha256).at(0));
  CHECK(s.firmware.pcr2.contains(HashAlg::kSha256));

  const SecureBootLayer& sb = s.secure_boot;
  CHECK(sb.enabled == true);
  CHECK(sb.secure_boot_event == log.at().secure_boot);
  CHECK_FALSE(sb.setup_mode.has_value());
  REQUIRE(sb.pk.has_value());
  CHECK(sb.pk->event_index == log.at().pk);
  REQUIRE(sb.pk->entries.size() == 1);
  CHECK(sb.pk->entries[0].kind == SignatureEntry::Kind::kX509);
  CHECK(sb.pk->entries[0].sha256 == Sha256Hex(Certificate("Test PK")));
  CHECK(sb.pk->entries[0].subject == "CN=Test PK,O=Example");
  CHECK(sb.pk->entries[0].owner == kOwnerGuid);
  REQUIRE(sb.kek.has_value());
  CHECK(sb.kek->entries.size() == 1);
  REQUIRE(sb.db.has_value());
  REQUIRE(sb.db->entries.size() == 2);
  CHECK(sb.db->entries[1].sha256 == Sha256Hex(Certificate("Test OS CA")));
  REQUIRE(sb.dbx.has_value());
  REQUIRE(sb.dbx->entries.size() == 2);
  CHECK(sb.dbx->entries[0].kind == SignatureEntry::Kind::kSha256);
  CHECK(sb.dbx->entries[0].sha256 == std::string(64, 'a'));

  // The normal post-separator PCR 7 events are authorities, not findings.
  REQUIRE(sb.authorities.size() == 4);
  CHECK(sb.authorities[0].event_index == log.at().db_authority);
  CHECK(sb.authorities[0].variable == "db");
  REQUIRE(sb.authorities[0].certificate.has_value());
  CHECK(sb.authorities[0].certificate->sha256 == Sha256Hex(Certificate("Test UEFI CA")));
  CHECK(sb.authorities[0].certificate->owner == kOwnerGuid);
  CHECK(sb.authorities[1].variable == "SbatLevel");
  CHECK_FALSE(sb.authorities[1].certificate.has_value());
  CHECK(sb.authorities[2].variable == "MokListRT");
  CHECK(sb.authorities[3].variable == "Shim");
  CHECK(sb.authorities[3].event_index == log.at().shim_authority);
  REQUIRE(sb.authorities[3].certificate.has_value());
  CHECK(sb.authorities[3].certificate->sha256 == Sha256Hex(Certificate("Test Distro CA")));
  CHECK(sb.authorities[3].certificate->owner.empty());
  CHECK(sb.sbat_level == "sbat,1,2022111500\nshim,2\ngrub,3\n");

  REQUIRE(s.boot_loader.loaders.size() == 2);
  CHECK(s.boot_loader.loaders[0].event_index == log.at().shim);
  CHECK(s.boot_loader.loaders[0].path == "\\EFI\\debian\\shimx64.efi");
  CHECK(Sha256Of(s.boot_loader.loaders[0]) == Sha256Hex(Text("shim image", false)));
  CHECK(s.boot_loader.loaders[1].event_index == log.at().grub);
  CHECK(Sha256Of(s.boot_loader.loaders[1]) == Sha256Hex(Text("grub image", false)));
  // The SHA-1 bank was not quoted: its digests prove nothing and are not offered.
  CHECK_FALSE(s.boot_loader.loaders[0].digests.contains(HashAlg::kSha1));

  REQUIRE(s.kernel.image.has_value());
  CHECK(s.kernel.image->event_index == log.at().kernel);
  CHECK(Sha256Of(*s.kernel.image) == Sha256Hex(Text("kernel image", false)));
  CHECK(s.kernel.command_line == BootLog::kCmdline);
  CHECK(s.kernel.command_line_event == log.at().cmdline);
  std::vector<std::string> commands;
  for (const bootstate::GrubCommand& c : s.boot_loader.grub_commands) commands.push_back(c.text);
  CHECK(commands == std::vector<std::string>{"set root=hd0,gpt2", "linux " + BootLog::kCmdline,
                                             "initrd /boot/initrd.img-6.1.0", "boot"});
  CHECK(s.boot_loader.grub_commands[1].event_index == log.at().linux_cmd);
  REQUIRE(s.kernel.grub_files.size() == 2);
  CHECK(s.kernel.grub_files[0].event_index == log.at().kernel_file);
  CHECK(s.kernel.grub_files[0].path == "/boot/vmlinuz-6.1.0");
  CHECK(Sha256Of(s.kernel.grub_files[0]) == Sha256Hex(Text("kernel file", false)));
  // The initrd command after the linux command, linked to the file grub read for it.
  REQUIRE(s.kernel.grub_initrd.size() == 1);
  CHECK(s.kernel.grub_initrd[0].kind == bootstate::GrubLoad::Kind::kInitrd);
  CHECK(s.kernel.grub_initrd[0].path == "/boot/initrd.img-6.1.0");
  REQUIRE(s.kernel.grub_initrd[0].file.has_value());
  CHECK(s.kernel.grub_initrd[0].file->event_index == s.kernel.grub_files[1].event_index);
  CHECK(Sha256Of(*s.kernel.grub_initrd[0].file) == Sha256Hex(Text("initrd file", false)));
  CHECK_FALSE(s.kernel.stub_initrd.has_value());
}

TEST_CASE("quoting both banks offers both banks' digests", "[bootstate]") {
  BootLog log;
  log.GoodBoot();
  BootStateResult result = Extract(log, "sha1:0-9+sha256:0-9");
  REQUIRE(result.findings.empty());
  CHECK(result.state.boot_loader.loaders[0].digests.size() == 2);
  CHECK(result.state.firmware.pcr0.size() == 2);
}

TEST_CASE("an event whose data does not hash to its digest is a finding and feeds nothing",
          "[bootstate]") {
  BootLog log;
  log.Firmware();
  const uint32_t sb = log.Measure(7, kEvEfiVariableDriverConfig, GlobalVar("SecureBoot", {1}));
  // db claims one certificate, but the digest is of another: the data is not what was measured.
  const uint32_t db = log.Lie(7, kEvEfiVariableDriverConfig,
                              SecurityDbVar("db", CertLists({Certificate("Real CA")})),
                              SecurityDbVar("db", CertLists({Certificate("Claimed CA")})));
  log.Separators();
  log.ShimAndGrub();
  log.GrubAndKernel();
  log.ExitBootServices();
  BootStateResult result = Extract(log);
  INFO(Describe(result));
  REQUIRE(result.findings.size() == 1);
  const Finding& f = result.findings[0];
  CHECK(f.code == "event-data-mismatch");
  CHECK(f.layer == Layer::kEventLog);
  CHECK(f.severity == Severity::kContraindicated);
  CHECK(f.pcr == 7u);
  CHECK(f.event_index == db);
  CHECK(f.message == "event " + std::to_string(db) +
                         " (EV_EFI_VARIABLE_DRIVER_CONFIG, PCR 7): data does not hash to the "
                         "digest; its content is ignored");
  CHECK(result.state.secure_boot.secure_boot_event == sb);
  CHECK_FALSE(result.state.secure_boot.db.has_value());
}

TEST_CASE("Secure Boot configuration measured after the PCR 7 separator is contraindicated",
          "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  log.Separators();
  const uint32_t late = log.Measure(
      7, kEvEfiVariableDriverConfig,
      SecurityDbVar("db", CertLists({Certificate("Test UEFI CA"), Certificate("Attacker CA")})));
  log.ShimAndGrub();
  log.GrubAndKernel();
  log.ExitBootServices();
  BootStateResult result = Extract(log);
  INFO(Describe(result));
  REQUIRE(result.findings.size() == 1);
  const Finding& f = result.findings[0];
  CHECK(f.code == "config-after-separator");
  CHECK(f.layer == Layer::kSecureBoot);
  CHECK(f.severity == Severity::kContraindicated);
  CHECK(f.pcr == 7u);
  CHECK(f.event_index == late);
  CHECK(f.message.find("db measured after the PCR 7 separator (event " +
                       std::to_string(log.at().separator[7]) + ")") != std::string::npos);
  // The late value does not replace the one measured in time.
  REQUIRE(result.state.secure_boot.db.has_value());
  CHECK(result.state.secure_boot.db->event_index == log.at().db);
  CHECK(result.state.secure_boot.db->entries.size() == 2);
  CHECK(result.state.secure_boot.db->entries[1].sha256 == Sha256Hex(Certificate("Test OS CA")));
}

TEST_CASE("authorities after the separator, option ROM authorities before it: no finding",
          "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  const uint32_t rom = log.Measure(7, kEvEfiVariableAuthority,
                                   SecurityDbVar("db", OwnedCert(Certificate("Test OS CA"))));
  log.Separators();
  log.ShimAndGrub();
  log.Measure(7, kEvEfiVariableAuthority, ShimVar("MokListXRT", {}));
  log.GrubAndKernel();
  log.ExitBootServices();
  BootStateResult result = Extract(log);
  INFO(Describe(result));
  CHECK(result.findings.empty());
  const auto& authorities = result.state.secure_boot.authorities;
  REQUIRE(authorities.size() == 6);
  CHECK(authorities.front().event_index == rom);
  CHECK(authorities.back().variable == "MokListXRT");
}

TEST_CASE("a db authority that carries no certificate is contraindicated", "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  log.Separators();
  // A db measurement relabelled as an authority, to escape config-after-separator.
  const uint32_t fake = log.Measure(7, kEvEfiVariableAuthority,
                                    SecurityDbVar("db", CertLists({Certificate("Attacker CA")})));
  log.ShimAndGrub();
  log.GrubAndKernel();
  log.ExitBootServices();
  BootStateResult result = Extract(log);
  Finding f = Only(result, "malformed-authority");
  CHECK(f.event_index == fake);
  CHECK(f.pcr == 7u);
  CHECK(f.layer == Layer::kSecureBoot);
  CHECK(f.severity == Severity::kContraindicated);
  CHECK(result.state.secure_boot.authorities.size() == 4);
}

TEST_CASE("separators: duplicate, error and odd values are findings", "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  log.Separators();
  const uint32_t second = log.Measure(4, kEvSeparator, {0, 0, 0, 0});
  const uint32_t error = log.Measure(6, kEvSeparator, {0xff, 0xff, 0xff, 0xff});
  log.ShimAndGrub();
  log.GrubAndKernel();
  log.ExitBootServices();
  BootStateResult result = Extract(log);
  INFO(Describe(result));
  Finding dup = FindingsWith(result, "duplicate-separator").at(0);
  CHECK(FindingsWith(result, "duplicate-separator").size() == 2);  // PCR 4 and PCR 6
  CHECK(dup.event_index == second);
  CHECK(dup.pcr == 4u);
  CHECK(dup.layer == Layer::kEventLog);
  CHECK(dup.severity == Severity::kContraindicated);
  Finding err = Only(result, "error-separator");
  CHECK(err.event_index == error);
  CHECK(err.pcr == 6u);
  CHECK(err.severity == Severity::kContraindicated);
  CHECK(FindingsWith(result, "odd-separator").empty());
}

TEST_CASE("a separator value other than 0 or all ones is a warning", "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  for (uint32_t pcr = 0; pcr < 8; ++pcr) {
    if (pcr == 3) continue;
    log.Measure(pcr, kEvSeparator, {0, 0, 0, 0});
  }
  const uint32_t odd = log.Measure(3, kEvSeparator, {1, 0, 0, 0});
  log.ShimAndGrub();
  log.GrubAndKernel();
  BootStateResult result = Extract(log);
  Finding f = Only(result, "odd-separator");
  CHECK(f.event_index == odd);
  CHECK(f.pcr == 3u);
  CHECK(f.severity == Severity::kWarning);
  CHECK(result.findings.size() == 1);
}

TEST_CASE("a missing PCR 7 or PCR 4 separator contraindicates, others warn", "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  for (uint32_t pcr : {0u, 2u, 3u, 5u, 6u}) log.Measure(pcr, kEvSeparator, {0, 0, 0, 0});
  log.ShimAndGrub();
  log.GrubAndKernel();
  log.ExitBootServices();
  BootStateResult result = Extract(log);
  INFO(Describe(result));
  std::vector<Finding> missing = FindingsWith(result, "missing-separator");
  REQUIRE(missing.size() == 3);
  CHECK(missing[0].pcr == 1u);
  CHECK(missing[0].severity == Severity::kWarning);
  CHECK(missing[1].pcr == 4u);
  CHECK(missing[1].severity == Severity::kContraindicated);
  CHECK(missing[2].pcr == 7u);
  CHECK(missing[2].severity == Severity::kContraindicated);
  CHECK_FALSE(missing[2].event_index.has_value());
  CHECK(missing[2].layer == Layer::kEventLog);
  CHECK(result.findings.size() == 3);
}

TEST_CASE("a boot application after ExitBootServices is a finding, not part of the chain",
          "[bootstate]") {
  BootLog log;
  log.GoodBoot();
  const uint32_t late = log.MeasureOther(4, kEvEfiBootServicesApplication,
                                         Text("late image", false), ImagePath("\\late.efi"));
  BootStateResult result = Extract(log);
  INFO(Describe(result));
  REQUIRE(result.findings.size() == 1);
  const Finding& f = result.findings[0];
  CHECK(f.code == "image-after-exit-boot-services");
  CHECK(f.layer == Layer::kBootLoader);
  CHECK(f.severity == Severity::kContraindicated);
  CHECK(f.pcr == 4u);
  CHECK(f.event_index == late);
  REQUIRE(result.state.kernel.image.has_value());
  CHECK(result.state.kernel.image->event_index == log.at().kernel);
  CHECK(result.state.boot_loader.loaders.size() == 2);
}

TEST_CASE("unexpected (PCR, type) pairs are findings, contraindicated on PCRs 4 and 7",
          "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  log.Separators();
  const uint32_t config_in_4 =
      log.Measure(4, kEvEfiVariableDriverConfig, GlobalVar("SecureBoot", {0}));
  const uint32_t ipl_in_2 = log.Measure(2, kEvIpl, Text("option rom"));
  // An image hidden as EV_IPL in PCR 4 (EV_IPL data is never checked against the digest).
  const uint32_t hidden_image = log.MeasureOther(4, kEvIpl, Text("evil grub", false), Text("grub"));
  log.ShimAndGrub();
  log.GrubAndKernel();
  log.ExitBootServices();
  BootStateResult result = Extract(log);
  INFO(Describe(result));
  std::vector<Finding> found = FindingsWith(result, "unexpected-event");
  REQUIRE(found.size() == 3);
  CHECK(found[0].event_index == config_in_4);
  CHECK(found[0].pcr == 4u);
  CHECK(found[0].severity == Severity::kContraindicated);
  CHECK(found[0].layer == Layer::kEventLog);
  CHECK(found[0].message == "event " + std::to_string(config_in_4) +
                                " (EV_EFI_VARIABLE_DRIVER_CONFIG, PCR 4): the TCG PC Client PFP "
                                "does not place this event type in PCR 4; its content is not "
                                "used");
  CHECK(found[1].event_index == ipl_in_2);
  CHECK(found[1].pcr == 2u);
  CHECK(found[1].severity == Severity::kWarning);
  CHECK(found[2].event_index == hidden_image);
  CHECK(found[2].severity == Severity::kContraindicated);
  // The misplaced SecureBoot=0 did not change the measured Secure Boot state.
  CHECK(result.state.secure_boot.enabled == true);
  CHECK(result.findings.size() == 3);
}

TEST_CASE("events on PCRs the quote does not cover prove nothing", "[bootstate]") {
  BootLog log;
  log.GoodBoot();
  SECTION("PCRs 8 and 9 not quoted: one warning per PCR, no command line") {
    BootStateResult result = Extract(log, "sha256:0-7");
    INFO(Describe(result));
    std::vector<Finding> found = FindingsWith(result, "pcr-not-quoted");
    REQUIRE(found.size() == 2);
    CHECK(found[0].pcr == 8u);
    CHECK(found[0].layer == Layer::kEvidence);
    CHECK(found[0].severity == Severity::kWarning);
    CHECK(found[0].event_index == log.at().linux_cmd - 1);  // the first PCR 8 event
    CHECK(found[0].seen == "5 events in PCR 8");
    CHECK(found[1].pcr == 9u);
    CHECK(found[1].event_index == log.at().kernel_file);
    CHECK(result.findings.size() == 2);
    CHECK_FALSE(result.state.kernel.command_line.has_value());
    CHECK(result.state.boot_loader.grub_commands.empty());
    CHECK(result.state.kernel.grub_initrd.empty());
    CHECK(result.state.kernel.grub_files.empty());
    // With no proven grub strings the last of three applications is the kernel.
    REQUIRE(result.state.kernel.image.has_value());
    CHECK(result.state.kernel.image->event_index == log.at().kernel);
  }
  SECTION("PCR 7 not quoted: no Secure Boot state, no separator rule on it") {
    BootStateResult result = Extract(log, "sha256:0-6,8,9");
    INFO(Describe(result));
    Finding f = Only(result, "pcr-not-quoted");
    CHECK(f.pcr == 7u);
    CHECK(f.event_index == log.at().secure_boot);
    CHECK(result.findings.size() == 1);
    CHECK_FALSE(result.state.secure_boot.enabled.has_value());
    CHECK(result.state.secure_boot.authorities.empty());
  }
  SECTION("a quote of a bank the log did not replay proves nothing") {
    BootStateResult result = Extract(log, "sha384:0-9");
    CHECK(FindingsWith(result, "pcr-not-quoted").size() == 10);
    CHECK(result.state.boot_loader.loaders.empty());
    CHECK_FALSE(result.state.firmware.crtm_version.has_value());
    CHECK(result.state.firmware.pcr0.empty());
  }
  SECTION("nothing quoted") {
    BootStateResult result = Extract(log, "");
    CHECK(FindingsWith(result, "pcr-not-quoted").size() == 10);
    CHECK(result.findings.size() == 10);
    CHECK(result.state.banks.size() == 2);
  }
}

TEST_CASE("Secure Boot variables: enabled, disabled, absent, malformed", "[bootstate]") {
  BootLog log;
  log.Firmware();
  SECTION("SecureBoot = 0 is disabled") {
    log.Measure(7, kEvEfiVariableDriverConfig, GlobalVar("SecureBoot", {0}));
    log.Separators();
    BootStateResult result = Extract(log);
    CHECK(result.findings.empty());
    CHECK(result.state.secure_boot.enabled == false);
  }
  SECTION("an absent SecureBoot variable (no data) reads as disabled") {
    log.Measure(7, kEvEfiVariableDriverConfig, GlobalVar("SecureBoot", {}));
    log.Separators();
    CHECK(Extract(log).state.secure_boot.enabled == false);
  }
  SECTION("not measured at all leaves the decision to policy") {
    log.Separators();
    BootStateResult result = Extract(log);
    CHECK(result.findings.empty());
    CHECK_FALSE(result.state.secure_boot.enabled.has_value());
    CHECK_FALSE(result.state.secure_boot.secure_boot_event.has_value());
  }
  SECTION("two bytes is malformed") {
    const uint32_t bad =
        log.Measure(7, kEvEfiVariableDriverConfig, GlobalVar("SecureBoot", {1, 0}));
    log.Separators();
    BootStateResult result = Extract(log);
    Finding f = Only(result, "malformed-variable");
    CHECK(f.event_index == bad);
    CHECK(f.severity == Severity::kContraindicated);
    CHECK_FALSE(result.state.secure_boot.enabled.has_value());
  }
  SECTION("setup, audit and deployed modes") {
    log.Measure(7, kEvEfiVariableDriverConfig, GlobalVar("SetupMode", {1}));
    log.Measure(7, kEvEfiVariableDriverConfig, GlobalVar("AuditMode", {0}));
    log.Measure(7, kEvEfiVariableDriverConfig, GlobalVar("DeployedMode", {1}));
    log.Separators();
    BootStateResult result = Extract(log);
    CHECK(result.findings.empty());
    CHECK(result.state.secure_boot.setup_mode == true);
    CHECK(result.state.secure_boot.audit_mode == false);
    CHECK(result.state.secure_boot.deployed_mode == true);
  }
  SECTION("measured twice before the separator: the first value counts") {
    log.Measure(7, kEvEfiVariableDriverConfig, GlobalVar("SecureBoot", {1}));
    const uint32_t again = log.Measure(7, kEvEfiVariableDriverConfig, GlobalVar("SecureBoot", {0}));
    log.Separators();
    BootStateResult result = Extract(log);
    Finding f = Only(result, "duplicate-variable");
    CHECK(f.event_index == again);
    CHECK(f.layer == Layer::kSecureBoot);
    CHECK(result.state.secure_boot.enabled == true);
  }
  SECTION("db under another vendor GUID is not db") {
    const uint32_t fake = log.Measure(7, kEvEfiVariableDriverConfig,
                                      GlobalVar("db", CertLists({Certificate("Attacker CA")})));
    log.Separators();
    BootStateResult result = Extract(log);
    Finding f = Only(result, "unexpected-variable");
    CHECK(f.event_index == fake);
    CHECK(f.severity == Severity::kWarning);
    CHECK_FALSE(result.state.secure_boot.db.has_value());
  }
  SECTION("a db that is not signature lists is malformed") {
    const uint32_t bad =
        log.Measure(7, kEvEfiVariableDriverConfig, SecurityDbVar("db", Bytes(10, 0x41)));
    log.Separators();
    BootStateResult result = Extract(log);
    Finding f = Only(result, "malformed-variable");
    CHECK(f.event_index == bad);
    CHECK_FALSE(result.state.secure_boot.db.has_value());
  }
}

TEST_CASE("UEFI debug mode contraindicates, disabled DMA protection warns", "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  const uint32_t debug = log.Measure(7, kEvEfiAction, Text("UEFI Debug Mode", false));
  const uint32_t dma = log.Measure(7, kEvEfiAction, Text("DMA Protection Disabled", false));
  log.Separators();
  BootStateResult result = Extract(log);
  Finding d = Only(result, "uefi-debug-mode");
  CHECK(d.event_index == debug);
  CHECK(d.severity == Severity::kContraindicated);
  Finding w = Only(result, "dma-protection-disabled");
  CHECK(w.event_index == dma);
  CHECK(w.severity == Severity::kWarning);
}

TEST_CASE("boot chain split: loaders, kernel, and grub booting without LoadImage", "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  log.Separators();
  log.ShimAndGrub();
  SECTION("multiboot2: no linux command, every application is a loader") {
    log.MeasureOther(8, kEvIpl, Text("multiboot2 /boot/xen.gz dom0_mem=4G", false),
                     Text("grub_cmd: multiboot2 /boot/xen.gz dom0_mem=4G"));
    log.MeasureOther(8, kEvIpl, Text("/boot/xen.gz dom0_mem=4G", false),
                     Text("kernel_cmdline: /boot/xen.gz dom0_mem=4G"));
    const uint32_t xen = log.MeasureOther(9, kEvIpl, Text("xen", false), Text("/boot/xen.gz"));
    log.ExitBootServices();
    BootStateResult result = Extract(log);
    CHECK(result.findings.empty());
    CHECK(result.state.boot_loader.loaders.size() == 2);
    CHECK_FALSE(result.state.kernel.image.has_value());
    CHECK(result.state.kernel.command_line == "/boot/xen.gz dom0_mem=4G");
    REQUIRE(result.state.kernel.grub_files.size() == 1);
    CHECK(result.state.kernel.grub_files[0].event_index == xen);
    CHECK_THAT(result.state.kernel.image_reason, Catch::Contains("grub booted no `linux` command"));
  }
  // Debian's grub under shim with Secure Boot off (tests/data/realboot/sb-off): the kernel is
  // known only by the file grub read for its linux command.
  SECTION("grub ran linux but nothing was loaded with LoadImage: the kernel is grub's file") {
    const uint32_t linux_cmd = log.MeasureOther(8, kEvIpl, Text("linux /vmlinuz ro", false),
                                                Text("grub_cmd: linux /vmlinuz ro"));
    log.MeasureOther(9, kEvIpl, Text("grub.cfg", false), Text("/EFI/debian/grub.cfg"));
    const uint32_t file =
        log.MeasureOther(9, kEvIpl, Text("kernel file", false), Text("(hd0,gpt1)/vmlinuz"));
    log.MeasureOther(8, kEvIpl, Text("/vmlinuz ro", false), Text("kernel_cmdline: /vmlinuz ro"));
    log.ExitBootServices();
    BootStateResult result = Extract(log);
    CHECK(result.state.boot_loader.loaders.size() == 2);
    CHECK_FALSE(result.state.kernel.image.has_value());
    CHECK_THAT(result.state.kernel.image_reason,
               Catch::Contains("`linux /vmlinuz ro` (event " + std::to_string(linux_cmd) + ")") &&
                   Catch::Contains("without the firmware's LoadImage") &&
                   Catch::Contains("it is the file grub read (PCR 9, event " +
                                   std::to_string(file) + ")"));
    REQUIRE(result.state.kernel.grub_linux.has_value());
    CHECK(result.state.kernel.grub_linux->command_event == linux_cmd);
    REQUIRE(result.state.kernel.grub_linux->file.has_value());
    CHECK(result.state.kernel.grub_linux->file->event_index == file);
    CHECK(Sha256Of(*result.state.kernel.grub_linux->file) == Sha256Hex(Text("kernel file", false)));
  }
  SECTION("grub ran linux, no LoadImage and no file with its path: nothing proves the kernel") {
    log.MeasureOther(8, kEvIpl, Text("linux /vmlinuz ro", false),
                     Text("grub_cmd: linux /vmlinuz ro"));
    log.MeasureOther(9, kEvIpl, Text("other", false), Text("/boot/other"));
    log.ExitBootServices();
    BootStateResult result = Extract(log);
    CHECK_FALSE(result.state.kernel.image.has_value());
    REQUIRE(result.state.kernel.grub_linux.has_value());
    CHECK_FALSE(result.state.kernel.grub_linux->file.has_value());
    CHECK_THAT(result.state.kernel.image_reason,
               Catch::Contains("no file grub read (PCR 9) matches its path"));
  }
  SECTION("shim and grub measuring no grub strings: the last application is the kernel") {
    log.ExitBootServices();
    BootStateResult result = Extract(log);
    CHECK(result.state.boot_loader.loaders.size() == 1);
    REQUIRE(result.state.kernel.image.has_value());
    CHECK(result.state.kernel.image->event_index == log.at().grub);
  }
}

// Debian's grub 2.06 under shim: the kernel's PCR 4 application comes after grub's `linux`
// command and BEFORE its kernel_cmdline, with a zero-length device path.
TEST_CASE("the kernel grub loads from memory before its command line is the kernel",
          "[bootstate]") {
  BootLog log;
  log.GoodBoot();
  BootStateResult result = Extract(log);
  INFO(Describe(result));
  CHECK(result.findings.empty());
  REQUIRE(result.state.boot_loader.loaders.size() == 2);
  CHECK(result.state.boot_loader.loaders[0].event_index == log.at().shim);
  CHECK(result.state.boot_loader.loaders[1].event_index == log.at().grub);
  REQUIRE(result.state.kernel.image.has_value());
  const BootImage& kernel = *result.state.kernel.image;
  CHECK(kernel.event_index == log.at().kernel);
  CHECK(kernel.from_memory);
  CHECK(kernel.path == "/boot/vmlinuz-6.1.0");  // from grub's verified linux command
  CHECK(kernel.repeated_in.empty());
  CHECK(Sha256Of(kernel) == Sha256Hex(Text("kernel image", false)));
  CHECK(result.state.kernel.command_line == BootLog::kCmdline);
  CHECK(result.state.kernel.image_reason == "the boot application grub loaded after `linux " +
                                                BootLog::kCmdline + "` (event " +
                                                std::to_string(log.at().linux_cmd) + ")");
}

TEST_CASE("a kernel measured twice in a row is one kernel image", "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  log.Separators();
  log.ShimAndGrub();
  const uint32_t linux_cmd = log.MeasureOther(8, kEvIpl, Text("linux /vmlinuz ro", false),
                                              Text("grub_cmd: linux /vmlinuz ro"));
  const uint32_t first = log.MeasureOther(4, kEvEfiBootServicesApplication,
                                          Text("kernel image", false), ImageFromMemory());
  const uint32_t second = log.MeasureOther(4, kEvEfiBootServicesApplication,
                                           Text("kernel image", false), ImageFromMemory());
  log.MeasureOther(8, kEvIpl, Text("/vmlinuz ro", false), Text("kernel_cmdline: /vmlinuz ro"));
  log.ExitBootServices();
  BootStateResult result = Extract(log);
  INFO(Describe(result));
  CHECK(result.findings.empty());
  CHECK(result.state.boot_loader.loaders.size() == 2);
  REQUIRE(result.state.kernel.image.has_value());
  CHECK(result.state.kernel.image->event_index == first);
  CHECK(result.state.kernel.image->repeated_in == std::vector<uint32_t>{second});
  CHECK(result.state.kernel.image->path == "/vmlinuz");
  CHECK(linux_cmd < first);
}

TEST_CASE("a kernel logged after its command line (older grub order) is still the kernel",
          "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  log.Separators();
  log.ShimAndGrub();
  log.MeasureOther(8, kEvIpl, Text("linuxefi /vmlinuz ro", false),
                   Text("grub_cmd: linuxefi /vmlinuz ro"));
  log.MeasureOther(8, kEvIpl, Text("/vmlinuz ro", false), Text("kernel_cmdline: /vmlinuz ro"));
  const uint32_t kernel = log.MeasureOther(4, kEvEfiBootServicesApplication,
                                           Text("kernel image", false), ImagePath("\\vmlinuz"));
  log.ExitBootServices();
  BootStateResult result = Extract(log);
  REQUIRE(result.state.kernel.image.has_value());
  CHECK(result.state.kernel.image->event_index == kernel);
  CHECK_FALSE(result.state.kernel.image->from_memory);
  CHECK(result.state.kernel.image->path == "\\vmlinuz");
  CHECK(result.state.boot_loader.loaders.size() == 2);
}

TEST_CASE("a kernel started by the firmware is the only application and is the kernel",
          "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  log.Separators();
  const uint32_t only =
      log.MeasureOther(4, kEvEfiBootServicesApplication, Text("kernel image", false),
                       ImagePath("\\EFI\\BOOT\\BOOTX64.EFI"));
  log.ExitBootServices();
  BootStateResult result = Extract(log);
  CHECK(result.state.boot_loader.loaders.empty());
  REQUIRE(result.state.kernel.image.has_value());
  CHECK(result.state.kernel.image->event_index == only);
  CHECK(result.state.kernel.image->path == "\\EFI\\BOOT\\BOOTX64.EFI");
  CHECK(result.state.kernel.image_reason == "the only boot application: started by the firmware");
  CHECK_FALSE(result.state.kernel.command_line.has_value());
  CHECK_FALSE(result.state.kernel.load_options.has_value());
}

// Linux's EFI stub measures its load options (tag 0x8F3B22ED) and the initrd (0x8F3B22EC) in
// PCR 9 as tagged events, digests of data the log does not carry.
TEST_CASE("the EFI stub's load options measurement is kept as a digest", "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  log.Separators();
  log.MeasureOther(4, kEvEfiBootServicesApplication, Text("kernel image", false),
                   ImagePath("kernel"));
  const auto tagged = [](uint32_t id, const std::string& text) {
    Bytes out = {static_cast<uint8_t>(id),
                 static_cast<uint8_t>(id >> 8),
                 static_cast<uint8_t>(id >> 16),
                 static_cast<uint8_t>(id >> 24),
                 static_cast<uint8_t>(text.size() + 1),
                 0,
                 0,
                 0};
    out.insert(out.end(), text.begin(), text.end());
    out.push_back(0);
    return out;
  };
  const uint32_t options = log.MeasureOther(9, kEvEventTag, Text("ro quiet", false),
                                            tagged(0x8F3B22ED, "LOADED_IMAGE::LoadOptions"));
  log.MeasureOther(9, kEvEventTag, Text("initrd", false), tagged(0x8F3B22EC, "Linux initrd"));
  log.ExitBootServices();
  BootStateResult result = Extract(log);
  INFO(Describe(result));
  CHECK(result.findings.empty());
  REQUIRE(result.state.kernel.load_options.has_value());
  CHECK(result.state.kernel.load_options->event_index == options);
  CHECK(Sha256Of(*result.state.kernel.load_options) == Sha256Hex(Text("ro quiet", false)));
}

TEST_CASE("shim's trailing-byte authority is an info finding, not forged evidence", "[bootstate]") {
  BootLog log;
  log.Firmware();
  log.SecureBootConfig();
  log.Separators();
  Bytes measured = ShimVar("Shim", Certificate("Test Distro CA"));
  Bytes logged = measured;
  logged.push_back(0);
  const uint32_t quirk = log.MeasureOther(7, kEvEfiVariableAuthority, measured, logged);
  BootStateResult result = Extract(log);
  INFO(Describe(result));
  const Finding f = Only(result, "shim-authority-trailing-byte");
  CHECK(f.severity == Severity::kInfo);
  CHECK(f.event_index == quirk);
  CHECK(FindingsWith(result, "event-data-mismatch").empty());
  REQUIRE(result.state.secure_boot.authorities.size() == 1);
  CHECK(result.state.secure_boot.authorities[0].variable == "Shim");
}

TEST_CASE("Windows \"WBCL\" separators in PCRs 12-14 are valid: no finding", "[bootstate]") {
  BootLog log;
  log.GoodBoot();
  for (uint32_t pcr : {12u, 13u, 14u}) log.Measure(pcr, kEvSeparator, {'W', 'B', 'C', 'L'});
  BootStateResult result = Extract(log, "sha256:0-14");
  INFO(Describe(result));
  CHECK(result.findings.empty());
}

TEST_CASE("extraction decodes the log itself when given no decoded events", "[bootstate]") {
  BootLog log;
  log.GoodBoot();
  absl::StatusOr<EventLog> parsed = ParseEventLog(log.Build());
  REQUIRE(parsed.ok());
  absl::StatusOr<ReplayResult> replay = Replay(*parsed);
  REQUIRE(replay.ok());
  auto selection = tpm::ParsePcrSelectionSpec("sha256:0-9");
  REQUIRE(selection.ok());
  BootStateResult result =
      ExtractBootState(*parsed, *replay, std::vector<DecodedEvent>{}, *selection);
  CHECK(result.findings.empty());
  CHECK(result.state.boot_loader.loaders.size() == 2);
  CHECK(result.state.kernel.command_line == BootLog::kCmdline);
}

TEST_CASE("layer and severity names are the stable strings findings are shown with",
          "[bootstate]") {
  CHECK(appraisal::LayerName(Layer::kEvidence) == "evidence");
  CHECK(appraisal::LayerName(Layer::kEventLog) == "event-log");
  CHECK(appraisal::LayerName(Layer::kFirmware) == "firmware");
  CHECK(appraisal::LayerName(Layer::kSecureBoot) == "secure-boot");
  CHECK(appraisal::LayerName(Layer::kBootLoader) == "boot-loader");
  CHECK(appraisal::LayerName(Layer::kKernel) == "kernel");
  CHECK(appraisal::LayerName(Layer::kPolicy) == "policy");
  CHECK(appraisal::SeverityName(Severity::kContraindicated) == "contraindicated");
  CHECK(appraisal::SeverityName(Severity::kWarning) == "warning");
}

}  // namespace
}  // namespace bootgate::bootstate
