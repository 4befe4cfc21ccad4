#include "tests/unit/policy/testdata.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "verifier/policy/load.h"

namespace bootgate::policy::testing {

using bootstate::BootState;
using bootstate::SignatureEntry;
using crypto::HashAlg;

std::string Hex64(char c) { return std::string(64, c); }

crypto::Digest Bytes32(char c) {
  const int v = (c >= 'a') ? c - 'a' + 10 : c - '0';
  return crypto::Digest(32, static_cast<uint8_t>(v * 16 + v));
}

namespace {
SignatureEntry Cert(char c, const std::string& subject) {
  return {SignatureEntry::Kind::kX509, Hex64(c), subject, "77fa9abd-0359-4d32-bd60-28f4e78f784b"};
}
SignatureEntry HashEntry(char c) { return {SignatureEntry::Kind::kSha256, Hex64(c), "", ""}; }
bootstate::BootImage Image(uint32_t event_index, char digest, const std::string& path) {
  bootstate::BootImage image;
  image.event_index = event_index;
  image.digests = {{HashAlg::kSha256, Bytes32(digest)}};
  image.path = path;
  return image;
}
}  // namespace

BootState GoodState() {
  BootState s;
  s.banks = {HashAlg::kSha256};
  s.firmware.crtm_version = "bootgate-test-bios 2.19.1";
  s.firmware.blobs.push_back({3, {{HashAlg::kSha256, Bytes32('b')}}, "FVMAIN_COMPACT"});
  s.firmware.pcr0 = {{HashAlg::kSha256, Bytes32('0')}};
  s.secure_boot.enabled = true;
  s.secure_boot.setup_mode = false;
  s.secure_boot.secure_boot_event = 8;
  s.secure_boot.pk = bootstate::SecureBootVariable{9, {Cert('a', "CN=PK")}};
  s.secure_boot.kek = bootstate::SecureBootVariable{10, {Cert('c', "CN=KEK")}};
  s.secure_boot.db = bootstate::SecureBootVariable{11, {Cert('d', "CN=UEFI CA")}};
  s.secure_boot.dbx = bootstate::SecureBootVariable{12, {HashEntry('1'), HashEntry('2')}};
  s.secure_boot.authorities.push_back({19, "db", Cert('d', "CN=UEFI CA")});
  s.secure_boot.authorities.push_back({21, "Shim", Cert('e', "CN=Debian Secure Boot CA")});
  s.secure_boot.authorities.push_back({25, "SbatLevel", std::nullopt});
  s.secure_boot.authorities.push_back({26, "MokListRT", std::nullopt});
  s.boot_loader.loaders.push_back(Image(20, '5', "\\EFI\\debian\\shimx64.efi"));
  s.boot_loader.loaders.push_back(Image(22, '6', "\\EFI\\debian\\grubx64.efi"));
  s.kernel.image = Image(24, '7', "/boot/vmlinuz-6.1.0-18-amd64");
  s.kernel.command_line = kCmdline;
  s.kernel.command_line_event = 30;
  // grub's configuration and the initrd (events 31-37; not interleaved with the above as a real
  // log would be: the policy does not read the order of different PCRs).
  s.boot_loader.grub_commands = {{31, "source (hd0,gpt2)/boot/grub/grub.cfg"},
                                 {33, "set timeout=0"},
                                 {34, std::string("linux ") + kCmdline},
                                 {35, "initrd /boot/initrd.img-6.1.0-18-amd64"},
                                 {37, "boot"}};
  s.boot_loader.grub_config_files.push_back(Image(32, '4', "(hd0,gpt2)/boot/grub/grub.cfg"));
  bootstate::GrubLoad initrd;
  initrd.kind = bootstate::GrubLoad::Kind::kInitrd;
  initrd.command_event = 35;
  initrd.command = "initrd /boot/initrd.img-6.1.0-18-amd64";
  initrd.path = "/boot/initrd.img-6.1.0-18-amd64";
  initrd.file = Image(36, '3', "/boot/initrd.img-6.1.0-18-amd64");
  s.kernel.grub_initrd.push_back(std::move(initrd));
  return s;
}

// The policy text is laid out as an operator would write it.
// clang-format off
std::string GoodPolicyText(const std::string& extra) {
  return absl::StrCat(R"pb(name: "test-policy"
version: "7"
groups {
  name: "debian-12"
  hosts: "host-1"
  hosts: "host-2"
  required_banks: "sha256"
  required_pcrs: "sha256:0-7"
  verdict_ttl { seconds: 3600 }
  firmware {
    crtm_versions: "bootgate-test-bios 2.19.1"
    blobs: ")pb", Hex64('b'), R"pb("
    pcr0: ")pb", Hex64('0'), R"pb("
  }
  secure_boot {
    required: true
    pk { sha256: ")pb", Hex64('a'), R"pb(" name: "PK" }
    kek { sha256: ")pb", Hex64('c'), R"pb(" name: "KEK" }
    db { sha256: ")pb", Hex64('d'), R"pb(" name: "UEFI CA" }
    dbx_must_contain: ")pb", Hex64('1'), R"pb("
    min_dbx_entries: 2
  }
  boot_loader {
    allowed { name: "shimx64.efi" sha256: ")pb", Hex64('5'), R"pb(" source: "shim-signed 1.39" }
    allowed { name: "grubx64.efi" sha256: ")pb", Hex64('6'), R"pb(" }
    grub {
      commands: "source (hd0,gpt2)/boot/grub/grub.cfg"
      commands: "set timeout=0"
      commands: "linux )pb", kCmdline, R"pb("
      commands: "initrd /boot/initrd.img-6.1.0-18-amd64"
      commands: "boot"
      config_files { name: "grub.cfg" sha256: ")pb", Hex64('4'), R"pb(" }
    }
  }
  kernel {
    allowed { name: "vmlinuz-6.1.0-18-amd64" sha256: ")pb", Hex64('7'), R"pb(" }
    initrd { allowed { name: "initrd.img-6.1.0-18-amd64" sha256: ")pb", Hex64('3'), R"pb(" } }
    cmdline {
      exact: ")pb", kCmdline, R"pb("
      required_args: "ro"
      forbidden_args: "init"
    }
  }
}
)pb", extra);
}
// clang-format on

EvaluationContext Context(const std::string& host) {
  EvaluationContext c;
  c.host_id = host;
  c.clock_safe = true;
  c.quoted_pcrs = std::map<crypto::HashAlg, std::set<uint32_t>>{
      {crypto::HashAlg::kSha256, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}};
  c.now = absl::FromUnixSeconds(1767225600);  // 2026-01-01
  return c;
}

v1::Policy GoodPolicy(const std::string& extra) {
  absl::StatusOr<v1::Policy> p =
      LoadPolicy(GoodPolicyText(extra), PolicyFormat::kTextproto, "test.textproto");
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return *p;
}

std::string Codes(const std::vector<appraisal::Finding>& findings) {
  std::string out;
  for (const appraisal::Finding& f : findings) {
    absl::StrAppend(&out, out.empty() ? "" : ",", f.code);
  }
  return out;
}

appraisal::Finding Only(const bootstate::BootState& state, const v1::Policy& policy,
                        const EvaluationContext& context) {
  const std::vector<appraisal::Finding> f = Evaluate(state, context, policy);
  INFO(Codes(f));
  REQUIRE(f.size() == 1);
  INFO(f[0].message);
  return f[0];
}

}  // namespace bootgate::policy::testing
