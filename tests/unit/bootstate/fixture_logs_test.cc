// ExtractBootState on event logs the swtpm-fixtures generator wrote (tests/data/bootstate),
// checked event by event: what the real scenarios give, without a TPM.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "verifier/bootstate/extract.h"
#include "verifier/eventlog/decode.h"
#include "verifier/eventlog/parse.h"
#include "verifier/eventlog/replay.h"

namespace bootgate::bootstate {
namespace {

BootStateResult ExtractFixture(const std::string& scenario) {
  const std::string path =
      std::string(BOOTGATE_SOURCE_DIR) + "/tests/data/bootstate/" + scenario + ".eventlog.bin";
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in.good());
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  absl::StatusOr<eventlog::EventLog> log = eventlog::ParseEventLog(bytes);
  REQUIRE(log.ok());
  absl::StatusOr<eventlog::ReplayResult> replay = eventlog::Replay(*log);
  REQUIRE(replay.ok());
  std::vector<eventlog::DecodedEvent> decoded;
  for (const eventlog::Event& event : log->events) decoded.push_back(eventlog::DecodeEvent(event));
  absl::StatusOr<tpm::PcrSelection> quoted = tpm::ParsePcrSelectionSpec("sha256:0-9,14");
  REQUIRE(quoted.ok());
  return ExtractBootState(*log, *replay, decoded, *quoted);
}

std::vector<uint32_t> Indices(const std::vector<BootImage>& images) {
  std::vector<uint32_t> out;
  for (const BootImage& image : images) out.push_back(image.event_index);
  return out;
}

TEST_CASE("good-host fixture: full chain, normal shim authorities, no finding", "[bootstate]") {
  BootStateResult result = ExtractFixture("good-host");
  CHECK(result.findings.empty());
  const BootState& s = result.state;
  CHECK(s.firmware.crtm_version == "bootgate-test-bios 2.19.1");
  REQUIRE(s.firmware.blobs.size() == 2);
  CHECK(s.firmware.blobs[0].event_index == 2);
  CHECK(s.firmware.blobs[0].description == "FVMAIN_COMPACT");
  CHECK(s.secure_boot.enabled == true);
  CHECK(s.secure_boot.secure_boot_event == 4u);
  REQUIRE(s.secure_boot.db.has_value());
  CHECK(s.secure_boot.db->event_index == 7);
  CHECK(s.secure_boot.db->entries.size() == 2);
  CHECK(s.secure_boot.db->entries[0].subject.find("bootgate Test UEFI CA") != std::string::npos);
  REQUIRE(s.secure_boot.dbx.has_value());
  CHECK(s.secure_boot.dbx->entries.size() == 3);
  REQUIRE(s.secure_boot.authorities.size() == 3);
  CHECK(s.secure_boot.authorities[0].event_index == 20);
  CHECK(s.secure_boot.authorities[0].variable == "db");
  REQUIRE(s.secure_boot.authorities[0].certificate.has_value());
  CHECK(s.secure_boot.authorities[0].certificate->sha256.rfind("d1713df90aa9ee61", 0) == 0);
  CHECK(s.secure_boot.authorities[1].variable == "SbatLevel");
  CHECK(s.secure_boot.authorities[2].variable == "Shim");
  REQUIRE(s.secure_boot.authorities[2].certificate.has_value());
  CHECK(s.secure_boot.authorities[2].certificate->sha256.rfind("948ea17613570633", 0) == 0);
  CHECK(s.secure_boot.sbat_level == "sbat,1,2022111500\nshim,2\ngrub,3\n");
  CHECK(Indices(s.boot_loader.loaders) == std::vector<uint32_t>{22, 28});
  CHECK(s.boot_loader.loaders[0].path == "\\EFI\\debian\\shimx64.efi");
  REQUIRE(s.kernel.image.has_value());
  // grub loaded it from memory after `linux` (event 40) and logged it twice (42, 43).
  CHECK(s.kernel.image->event_index == 42);
  CHECK(s.kernel.command_line ==
        "/boot/vmlinuz-6.1.0-18-amd64 root=UUID=3f7c2a1e-8a9b-4c1d-9e2f-0a1b2c3d4e5f ro quiet");
  CHECK(s.kernel.command_line_event == 44u);
  CHECK(s.boot_loader.grub_commands.size() == 12);
  // The ESP's grub.cfg (`source`) and /boot/grub/grub.cfg (`configfile`), and the initrd.
  CHECK(Indices(s.boot_loader.grub_config_files) == std::vector<uint32_t>{33, 37});
  REQUIRE(s.kernel.grub_initrd.size() == 1);
  CHECK(s.kernel.grub_initrd[0].path == "/boot/initrd.img-6.1.0-18-amd64");
  REQUIRE(s.kernel.grub_initrd[0].file.has_value());
  CHECK(s.kernel.grub_initrd[0].file->event_index == 46);
  CHECK(Indices(s.kernel.grub_files) == std::vector<uint32_t>{33, 37, 41, 46});
}

TEST_CASE("good-vm fixture gives no finding", "[bootstate]") {
  BootStateResult result = ExtractFixture("good-vm");
  CHECK(result.findings.empty());
  CHECK(Indices(result.state.boot_loader.loaders) == std::vector<uint32_t>{21, 27});
  REQUIRE(result.state.kernel.image.has_value());
  CHECK(result.state.kernel.image->event_index == 33);
}

TEST_CASE("hypervisor-host fixture: xen via multiboot2 has no PCR 4 kernel image", "[bootstate]") {
  BootStateResult result = ExtractFixture("hypervisor-host");
  CHECK(result.findings.empty());
  CHECK(Indices(result.state.boot_loader.loaders) == std::vector<uint32_t>{22, 28});
  CHECK_FALSE(result.state.kernel.image.has_value());
  CHECK(result.state.kernel.command_line ==
        "/boot/xen-4.17-amd64.gz placeholder dom0_mem=4096M,max:4096M");
  REQUIRE(result.state.kernel.grub_files.size() == 4);
  CHECK(result.state.kernel.grub_files[1].path == "/boot/xen-4.17-amd64.gz");
  CHECK(result.state.kernel.grub_files[1].event_index == 33);
  const std::vector<GrubLoad>& mb = result.state.kernel.multiboot;
  REQUIRE(mb.size() == 3);
  CHECK(mb[0].kind == GrubLoad::Kind::kHypervisor);
  CHECK(mb[0].command_event == 32);
  REQUIRE(mb[0].file.has_value());
  CHECK(mb[0].file->event_index == 33);
  REQUIRE(mb[1].file.has_value());
  CHECK(mb[1].file->event_index == 35);
  REQUIRE(mb[2].file.has_value());
  CHECK(mb[2].file->event_index == 37);
}

TEST_CASE("db-measured-after-separator fixture: one finding at event 20, PCR 7", "[bootstate]") {
  BootStateResult result = ExtractFixture("db-measured-after-separator");
  REQUIRE(result.findings.size() == 1);
  const appraisal::Finding& f = result.findings[0];
  CHECK(f.code == "config-after-separator");
  CHECK(f.layer == appraisal::Layer::kSecureBoot);
  CHECK(f.severity == appraisal::Severity::kContraindicated);
  CHECK(f.pcr == 7u);
  CHECK(f.event_index == 20u);
  REQUIRE(result.state.secure_boot.db.has_value());
  CHECK(result.state.secure_boot.db->event_index == 7);
}

}  // namespace
}  // namespace bootgate::bootstate
